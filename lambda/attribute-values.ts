import type { AttributeValue as DynamoDBValue } from '@aws-sdk/client-dynamodb';
import { isStringSet, setOwn, unescapeMapKey, type AttributeValue } from './storable';

/*
 * Values to and from DynamoDB's wire format, for every write and read of call items. Not the SDK's
 * marshaller: it decides what a map is from `value.constructor.name`, so a payload map with a key
 * named `constructor` is refused (or `{"constructor": {"name": "Set"}}` is read as a set), and it
 * drops a `__proto__` key on both ways. Stored values are plain JSON already (see toStorable).
 */

export type DynamoDBItem = Record<string, DynamoDBValue>;

/** What the storage layer writes: stored values, string sets included (see AttributeValue). */
export type WritableValue = AttributeValue;

/** A value in DynamoDB's format. Numbers go as their shortest text, as DynamoDB wants them. */
export function toDynamoDB(value: WritableValue): DynamoDBValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (isStringSet(value)) return { SS: [...value] };
  if (Array.isArray(value)) return { L: value.map(toDynamoDB) };
  const map: DynamoDBItem = {};
  for (const key of Object.keys(value)) setOwn(map, key, toDynamoDB((value as Record<string, AttributeValue>)[key]));
  return { M: map };
}

/** Expression values (`:v0`...) in DynamoDB's format. */
export function toDynamoDBValues(values: Record<string, WritableValue>): DynamoDBItem {
  const out: DynamoDBItem = {};
  for (const name of Object.keys(values)) out[name] = toDynamoDB(values[name]);
  return out;
}

/**
 * A value read back: numbers as numbers, sets as Sets, binary as bytes, and map keys as they were
 * sent (every key own, the empty key's escape undone).
 */
export function fromDynamoDB(value: DynamoDBValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(fromDynamoDB);
  if (value.M !== undefined) {
    const map: Record<string, unknown> = {};
    for (const key of Object.keys(value.M)) setOwn(map, unescapeMapKey(key), fromDynamoDB(value.M[key]));
    return map;
  }
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(Number));
  if (value.B !== undefined) return value.B;
  if (value.BS !== undefined) return new Set(value.BS);
  return undefined;
}

/** An item read back; top-level names are the receiver's own and never escaped. */
export function fromDynamoDBItem(item: DynamoDBItem): Record<string, any> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(item)) setOwn(out, name, fromDynamoDB(item[name]));
  return out;
}
