/*
 * Values as DynamoDB can hold them, and an item kept under its 400 KB limit.
 */

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

/** The item must stay under DynamoDB's 400 KB; this leaves room for the other events' attributes. */
export const TRANSCRIPTION_ITEM_BUDGET_BYTES = 300 * 1024;

/** DynamoDB nests at most 32 levels; deeper values are kept as JSON text. */
const MAX_DEPTH = 16;

/** DynamoDB numbers stop at 1e-130; the SDK refuses integers it cannot represent exactly. */
function storableNumber(value: number): number | string | undefined {
  if (!Number.isFinite(value)) return undefined;
  const magnitude = Math.abs(value);
  return magnitude > Number.MAX_SAFE_INTEGER || (magnitude !== 0 && magnitude < 1e-120) ? String(value) : value;
}

/**
 * DynamoDB holds UTF-8: half of a surrogate pair (a sender that cut an emoji in two) becomes U+FFFD.
 * The raw body in S3 keeps the original.
 */
const wellFormed = (text: string) => (text.isWellFormed() ? text : text.toWellFormed());

/** Text with something in it, or undefined. */
export function nonEmptyText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Sets a key as an own property, `__proto__` included (assigning that one would set the prototype). */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * Drops what DynamoDB cannot hold (undefined, NaN, empty map keys), keeps numbers it cannot
 * represent as text, makes text well-formed, and flattens deep nesting.
 */
export function toStorable(value: unknown, depth = 0): AttributeValue | undefined {
  if (typeof value === 'string') return wellFormed(value);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return storableNumber(value);
  if (typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return JSON.stringify(value);
  if (Array.isArray(value)) return value.map((v) => toStorable(v, depth + 1) ?? null);
  const out: { [key: string]: AttributeValue } = {};
  const record = value as Record<string, unknown>;
  // Object.keys, not Object.entries: the same keys in the same order, without a pair per key.
  for (const k of Object.keys(record)) {
    const stored = k === '' ? undefined : toStorable(record[k], depth + 1);
    if (stored !== undefined) setOwn(out, wellFormed(k), stored);
  }
  return out;
}

/** Keeps only defined, non-null, storable attributes; empty strings are dropped (they cannot be index keys). */
export function compact(attributes: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const name of Object.keys(attributes)) {
    const value = attributes[name];
    if (value === undefined || value === null || value === '') continue;
    const stored = toStorable(value);
    if (stored !== undefined && stored !== null) out[name] = stored;
  }
  return out;
}

/** Dropped in this order when a transcription's attributes exceed the budget. */
const DROPPABLE_WHEN_LARGE = ['dynamic_variables', 'data_collection', 'evaluation', 'feedback', 'transcript_summary'] as const;

/** Strings kept whole when even the droppable attributes were not enough (a pathological payload). */
const LAST_RESORT_STRING_CHARS = 1024;

/**
 * JSON.stringify writes at most 6 bytes per UTF-16 unit of a string: `\uXXXX` for control characters
 * and lone surrogates; anything else is at most 3 UTF-8 bytes (a surrogate pair, two units, is 4).
 */
const MAX_JSON_BYTES_PER_STRING_UNIT = 6;
/** The longest JSON text of a finite number is 25 characters (`-1.2345678901234567e-123`, `-0.0000012345678901234567`). */
const MAX_JSON_NUMBER_BYTES = 32;
/** Deeper than this, the estimate gives up (toStorable keeps values far shallower). */
const MAX_ESTIMATE_DEPTH = 64;

/**
 * An upper bound on `Buffer.byteLength(JSON.stringify(value))` that reads string lengths, never
 * their contents. Anything it does not model (toJSON, bigint, functions, too deep) counts as
 * Infinity, and so does anything once the running total passes `limit`: only "fits" is certain.
 */
function jsonBytesAtMost(value: unknown, limit: number, depth = 0): number {
  if (value === null || value === undefined) return 4; // `null` (undefined is omitted, or `null` in an array)
  switch (typeof value) {
    case 'string':
      return value.length * MAX_JSON_BYTES_PER_STRING_UNIT + 2;
    case 'number':
      return MAX_JSON_NUMBER_BYTES; // `null` when not finite
    case 'boolean':
      return 5;
    case 'object':
      break;
    default:
      return Infinity;
  }
  if (depth >= MAX_ESTIMATE_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') return Infinity;
  // Arrays and plain objects only, as toStorable makes them (a boxed number, say, serializes as its value).
  const isArray = Array.isArray(value);
  const proto = isArray ? null : Object.getPrototypeOf(value);
  if (proto !== null && proto !== Object.prototype) return Infinity;
  let total = 2; // [] or {}
  if (isArray) {
    for (let i = 0; i < value.length && total <= limit; i += 1) total += jsonBytesAtMost(value[i], limit, depth + 1) + 1;
    return total <= limit ? total : Infinity;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    // "key": value,
    total += key.length * MAX_JSON_BYTES_PER_STRING_UNIT + 4 + jsonBytesAtMost(record[key], limit, depth + 1);
    if (total > limit) return Infinity;
  }
  return total;
}

/** The attributes, made to fit: the biggest optional ones dropped first (the full event is in S3). */
export function fitToBudget(attributes: Attributes, budgetBytes: number): Attributes {
  // Nearly always far under the budget: the cheap bound settles it without serializing.
  if (jsonBytesAtMost(attributes, budgetBytes) <= budgetBytes) return attributes;
  const size = (a: Attributes) => Buffer.byteLength(JSON.stringify(a));
  if (size(attributes) <= budgetBytes) return attributes;
  const fitted: Attributes = { ...attributes };
  const truncated: string[] = [];
  for (const name of DROPPABLE_WHEN_LARGE) {
    if (!(name in fitted)) continue;
    delete fitted[name];
    truncated.push(name);
    if (size(fitted) <= budgetBytes) return { ...fitted, truncated_fields: truncated };
  }
  for (const [name, value] of Object.entries(fitted)) {
    if (typeof value === 'string' && value.length > LAST_RESORT_STRING_CHARS) {
      fitted[name] = wellFormed(value.slice(0, LAST_RESORT_STRING_CHARS));
      truncated.push(name);
    }
  }
  return { ...fitted, truncated_fields: truncated };
}
