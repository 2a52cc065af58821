import { isStringSet, type AttributeValue, type Attributes } from './storable';

/*
 * Item sizes as DynamoDB counts them against its 400 KB limit (developer guide, "Item sizes"):
 * names and strings by their UTF-8 bytes, numbers up to 21 bytes, null and booleans 1 byte, and
 * 3 bytes per list or map plus 1 byte per element. Rounded up wherever the guide is approximate,
 * so "fits" here means fits there.
 */

/** DynamoDB's item limit, attribute names included. */
export const DYNAMODB_ITEM_LIMIT_BYTES = 400 * 1024;

/** The most a number takes: 38 significant digits at 2 per byte, plus a byte or two. */
const NUMBER_BYTES = 21;
const CONTAINER_BYTES = 3;
const ELEMENT_BYTES = 1;

type StringBytes = (text: string) => number;

const utf8Bytes: StringBytes = (text) => Buffer.byteLength(text);
/** Never less than the UTF-8 size: 3 bytes per UTF-16 unit at most (a surrogate pair is 4 bytes for 2 units). */
const utf8BytesAtMost: StringBytes = (text) => text.length * 3;

/** The size of a value; anything past `limit` returns Infinity without reading further. */
function valueSize(value: AttributeValue, stringBytes: StringBytes, limit: number): number {
  if (typeof value === 'string') return stringBytes(value);
  if (typeof value === 'number') return NUMBER_BYTES;
  if (value === null || typeof value === 'boolean') return 1;
  let total = CONTAINER_BYTES;
  if (isStringSet(value)) {
    for (const element of value) total += ELEMENT_BYTES + stringBytes(element);
    return total > limit ? Infinity : total;
  }
  if (Array.isArray(value)) {
    for (const element of value) {
      total += ELEMENT_BYTES + valueSize(element, stringBytes, limit - total);
      if (total > limit) return Infinity;
    }
    return total;
  }
  for (const key of Object.keys(value)) {
    total += ELEMENT_BYTES + stringBytes(key) + valueSize(value[key], stringBytes, limit - total);
    if (total > limit) return Infinity;
  }
  return total;
}

function attributesSize(attributes: Attributes, stringBytes: StringBytes, limit: number): number {
  let total = 0;
  for (const name of Object.keys(attributes)) {
    total += stringBytes(name) + valueSize(attributes[name], stringBytes, limit - total);
    if (total > limit) return Infinity;
  }
  return total;
}

/** The attributes' size in an item, names included; Infinity once past `limit`. */
export function attributesBytes(attributes: Attributes, limit = Infinity): number {
  return attributesSize(attributes, utf8Bytes, limit);
}

/** One attribute's size in an item, its name included. */
export function attributeBytes(name: string, value: AttributeValue): number {
  return utf8Bytes(name) + valueSize(value, utf8Bytes, Infinity);
}

/** An upper bound of the attributes' size, from string lengths alone. */
export function attributesBytesAtMost(attributes: Attributes): number {
  return attributesSize(attributes, utf8BytesAtMost, Infinity);
}

/**
 * Whether the attributes surely take at most `limit` bytes, from string lengths alone (never their
 * contents): nearly every event is far under, and this settles it without encoding a byte.
 */
export function surelyFits(attributes: Attributes, limit: number): boolean {
  return attributesSize(attributes, utf8BytesAtMost, limit) <= limit;
}
