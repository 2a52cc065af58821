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
 * Drops what DynamoDB cannot hold (undefined, NaN, empty map keys), keeps numbers it cannot
 * represent as text, and flattens deep nesting.
 */
export function toStorable(value: unknown, depth = 0): AttributeValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return storableNumber(value);
  if (typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return JSON.stringify(value);
  if (Array.isArray(value)) return value.map((v) => toStorable(v, depth + 1) ?? null);
  const out: { [key: string]: AttributeValue } = {};
  for (const [k, v] of Object.entries(value)) {
    const stored = k === '' ? undefined : toStorable(v, depth + 1);
    if (stored !== undefined) out[k] = stored;
  }
  return out;
}

/** Keeps only defined, non-null, storable attributes; empty strings are dropped (they cannot be index keys). */
export function compact(attributes: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [name, value] of Object.entries(attributes)) {
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

/** The attributes, made to fit: the biggest optional ones dropped first (the full event is in S3). */
export function fitToBudget(attributes: Attributes, budgetBytes: number): Attributes {
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
      fitted[name] = value.slice(0, LAST_RESORT_STRING_CHARS);
      truncated.push(name);
    }
  }
  return { ...fitted, truncated_fields: truncated };
}
