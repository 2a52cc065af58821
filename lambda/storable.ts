/*
 * Payload values as DynamoDB can hold them. Whatever a JSON object holds (any key, any depth, any
 * number) becomes something DynamoDB takes, or is cut and said so; never an error.
 */

export function isStringSet(value: unknown): value is ReadonlySet<string> {
  return value instanceof Set;
}

/** A stored value: JSON as DynamoDB holds it, or a set of names the receiver builds (tools used, tags). */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | ReadonlySet<string> | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

/** DynamoDB nests at most 32 levels; a value nested deeper than this in an attribute is cut. */
export const MAX_DEPTH = 16;

/** DynamoDB names, map keys included, must be 1 byte to under 64 KB of UTF-8: a longer key's entry is cut. */
const MAX_NAME_BYTES = 65_535;

/** Whether a name fits DynamoDB's limit; 3 bytes per UTF-16 unit at most, so short names need no counting. */
const nameFits = (name: string) => name.length * 3 <= MAX_NAME_BYTES || Buffer.byteLength(name) <= MAX_NAME_BYTES;

/**
 * Map keys are stored as sent, except two kinds that need an escape: the empty key (DynamoDB
 * refuses empty names) is stored as `␀`, and a key that starts with `␀` gets one more in front.
 * Readers undo it with {@link unescapeMapKey}.
 */
export const MAP_KEY_ESCAPE = '\u2400';

export function escapeMapKey(key: string): string {
  return key === '' || key.startsWith(MAP_KEY_ESCAPE) ? MAP_KEY_ESCAPE + key : key;
}

export function unescapeMapKey(key: string): string {
  return key.startsWith(MAP_KEY_ESCAPE) ? key.slice(1) : key;
}

/** DynamoDB numbers stop at 1e-130 and 1e126; the SDK refuses integers it cannot represent exactly. */
function storableNumber(value: number): number | string | undefined {
  if (!Number.isFinite(value)) return undefined;
  const magnitude = Math.abs(value);
  return magnitude > Number.MAX_SAFE_INTEGER || (magnitude !== 0 && magnitude < 1e-120) ? String(value) : value;
}

/**
 * DynamoDB holds UTF-8: half of a surrogate pair (a sender that cut an emoji in two) becomes U+FFFD.
 * The raw body in S3 keeps the original.
 */
export const wellFormed = (text: string) => (text.isWellFormed() ? text : text.toWellFormed());

/** A JSON object (not null, not a list), to read a payload's fields by hand. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A number in a payload, or a string that is one (some senders write numbers as text); else undefined. */
export function figure(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Text with something in it, or undefined. */
export function nonEmptyText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Sets a key as an own property, `__proto__` included (assigning that one would set the prototype). */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

type Container = AttributeValue[] | { [key: string]: AttributeValue };

/** A walk through a nested value: containers still to fill, and whether anything was cut. */
interface Walk {
  cut: boolean;
  readonly pending: { source: object; target: Container; depth: number }[];
}

/** A value that is not a container, as DynamoDB can hold it (undefined: leave it out). */
function storableScalar(value: unknown): AttributeValue | undefined {
  if (typeof value === 'string') return wellFormed(value);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return storableNumber(value);
  return undefined;
}

/** A scalar as stored, or an empty container queued to be filled; null past the depth limit. */
function place(value: unknown, depth: number, walk: Walk): AttributeValue | undefined {
  if (typeof value !== 'object' || value === null) return storableScalar(value);
  if (depth > MAX_DEPTH) {
    walk.cut = true;
    return null;
  }
  const target: Container = Array.isArray(value) ? [] : {};
  walk.pending.push({ source: value, target, depth });
  return target;
}

/**
 * A value as DynamoDB can hold it: undefined, functions and non-finite numbers dropped (null in a
 * list), numbers it cannot represent kept as text, text made well-formed, map keys escaped.
 * Walks with a stack of its own, so no nesting depth can overflow the call stack.
 * @returns `cut` when something nested deeper than {@link MAX_DEPTH} (replaced by null) or a
 *   map key over DynamoDB's limit (entry left out) was cut
 */
export function toStorable(value: unknown): { value: AttributeValue | undefined; cut: boolean } {
  const walk: Walk = { cut: false, pending: [] };
  const root = place(value, 1, walk);
  while (walk.pending.length > 0) {
    const { source, target, depth } = walk.pending.pop()!;
    if (Array.isArray(source)) {
      for (const element of source) (target as AttributeValue[]).push(place(element, depth + 1, walk) ?? null);
      continue;
    }
    const record = source as Record<string, unknown>;
    // Object.keys, not Object.entries: the same keys in the same order, without a pair per key.
    for (const key of Object.keys(record)) {
      const name = escapeMapKey(wellFormed(key));
      if (!nameFits(name)) {
        walk.cut = true;
        continue;
      }
      const stored = place(record[key], depth + 1, walk);
      if (stored !== undefined) setOwn(target as Record<string, AttributeValue>, name, stored);
    }
  }
  return { value: root, cut: walk.cut };
}

/** An empty map or list says nothing: the attribute is left out rather than stored empty. */
function isEmptyContainer(value: AttributeValue): boolean {
  if (typeof value !== 'object' || value === null || isStringSet(value)) return false;
  if (Array.isArray(value)) return value.length === 0;
  for (const _ in value) return false;
  return true;
}

/**
 * Keeps only defined, non-null, storable attributes; empty strings, maps and lists are dropped (an
 * empty string cannot be an index key; an empty map or list says nothing).
 * @param cut receives the names of attributes of which something was cut
 */
export function compact(attributes: Record<string, unknown>, cut?: string[]): Attributes {
  const out: Attributes = {};
  for (const name of Object.keys(attributes)) {
    const value = attributes[name];
    if (value === undefined || value === null || value === '') continue;
    if (isStringSet(value)) {
      const names = stringSet(value);
      if (names) out[name] = names;
      continue;
    }
    // Most attributes are text or numbers: no walk for them.
    const stored = typeof value === 'object' ? toStorable(value) : { value: storableScalar(value), cut: false };
    if (stored.cut) cut?.push(name);
    if (stored.value !== undefined && stored.value !== null && !isEmptyContainer(stored.value)) out[name] = stored.value;
  }
  return out;
}

/** A set of well-formed, non-empty text, or undefined when none is left (DynamoDB refuses an empty set). */
function stringSet(values: ReadonlySet<unknown>): ReadonlySet<string> | undefined {
  const names = new Set<string>();
  for (const value of values) if (typeof value === 'string' && value !== '') names.add(wellFormed(value));
  return names.size > 0 ? names : undefined;
}
