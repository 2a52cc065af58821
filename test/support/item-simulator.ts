import type { AttributeValue as DynamoDBValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBItem } from '../../lambda/attribute-values';

/*
 * DynamoDB's UpdateItem, in memory, for the update expressions the receiver writes (SET with
 * if_not_exists, REMOVE, ADD and DELETE on string sets, the ordering guard's condition), with the
 * checks DynamoDB makes that matter here: item size, nesting depth, map key length, set contents.
 * Fast enough for property tests of thousands of event sequences.
 */

export const DYNAMODB_ITEM_LIMIT = 400 * 1024;
const MAX_NESTING = 32;

/** DynamoDB's size rules, with UTF-8 byte counts (dynalite counts UTF-16 units, which is less). */
export function wireValueBytes(value: DynamoDBValue, depth = 1): number {
  if (depth > MAX_NESTING) throw new Error('nesting over 32 levels');
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) {
    if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value.N) || !Number.isFinite(Number(value.N))) throw new Error(`not a DynamoDB number: ${value.N}`);
    const magnitude = Math.abs(Number(value.N));
    if (magnitude !== 0 && (magnitude < 1e-130 || magnitude >= 1e126)) throw new Error(`number out of DynamoDB's range: ${value.N}`);
    return 21;
  }
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) {
    if (value.SS.length === 0 || new Set(value.SS).size !== value.SS.length) throw new Error('an empty or repeating string set');
    return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s), 0);
  }
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + wireValueBytes(v, depth + 1), 0);
  if (value.M !== undefined) {
    let total = 3;
    for (const key of Object.keys(value.M)) {
      const keyBytes = Buffer.byteLength(key);
      if (keyBytes === 0 || keyBytes >= 65_536) throw new Error(`a map key of ${keyBytes} bytes`);
      if (!key.isWellFormed()) throw new Error('a map key that is not well-formed UTF-16');
      total += 1 + keyBytes + wireValueBytes(value.M[key], depth + 1);
    }
    return total;
  }
  throw new Error(`unsupported attribute value ${JSON.stringify(value).slice(0, 80)}`);
}

export function itemBytes(item: DynamoDBItem): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + wireValueBytes(value), 0);
}

export interface WireUpdate {
  readonly Key: DynamoDBItem;
  readonly UpdateExpression?: string;
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: DynamoDBItem;
}

function checkStrings(value: DynamoDBValue): void {
  if (value.S !== undefined && !value.S.isWellFormed()) throw new Error('a string that is not well-formed UTF-16');
  for (const v of value.L ?? []) checkStrings(v);
  for (const v of Object.values(value.M ?? {})) checkStrings(v);
  for (const s of value.SS ?? []) if (!s.isWellFormed()) throw new Error('a set string that is not well-formed');
}

/** A table of items, updated as DynamoDB would; throws what DynamoDB would refuse. */
export function simulatedTable() {
  const items = new Map<string, DynamoDBItem>();
  return {
    items,
    /** @returns the old values of the attributes the expression names (UPDATED_OLD), or undefined when the condition failed */
    update(request: WireUpdate): DynamoDBItem | undefined {
      const key = request.Key.conversation_id.S as string;
      if (Buffer.byteLength(key) > 2048) throw new Error('partition key over 2048 bytes');
      const names = request.ExpressionAttributeNames ?? {};
      const values = request.ExpressionAttributeValues ?? {};
      for (const v of Object.values(values)) checkStrings(v);
      const before = items.get(key);
      const item: DynamoDBItem = { ...(before ?? { conversation_id: request.Key.conversation_id }) };
      if (request.ConditionExpression === 'attribute_not_exists(#ts) OR #ts < :ts') {
        const current = item[names['#ts']];
        if (current && Number(current.N) >= Number(values[':ts'].N)) return undefined;
      } else if (request.ConditionExpression) throw new Error(`condition not simulated: ${request.ConditionExpression}`);
      const touched: string[] = [];
      for (const clause of (request.UpdateExpression ?? '').split(/ (?=(?:SET|REMOVE|ADD|DELETE) )/)) {
        const [verb, rest] = [clause.slice(0, clause.indexOf(' ')), clause.slice(clause.indexOf(' ') + 1)];
        for (const part of rest.split(/, (?=#)/)) {
          if (verb === 'SET') {
            const match = /^(#\w+) = (?:if_not_exists\(\1, (:\w+)\)|(:\w+))$/.exec(part);
            if (!match) throw new Error(`SET not simulated: ${part}`);
            const name = names[match[1]];
            touched.push(name);
            if (match[3]) item[name] = values[match[3]];
            else if (item[name] === undefined) item[name] = values[match[2]];
          } else if (verb === 'REMOVE') {
            touched.push(names[part]);
            delete item[names[part]];
          } else {
            const [nameRef, valueRef] = part.split(' ');
            const name = names[nameRef];
            touched.push(name);
            const current = new Set(item[name]?.SS ?? []);
            for (const s of values[valueRef].SS ?? []) {
              if (verb === 'ADD') current.add(s);
              else current.delete(s);
            }
            if (current.size > 0) item[name] = { SS: [...current] };
            else delete item[name];
          }
        }
      }
      if (new Set(touched).size !== touched.length) throw new Error('two document paths overlap');
      for (const [name] of Object.entries(item)) if (Buffer.byteLength(name) === 0) throw new Error('an empty attribute name');
      const size = itemBytes(item);
      if (size > DYNAMODB_ITEM_LIMIT) throw Object.assign(new Error(`item of ${size} bytes is over 400 KB`), { name: 'ValidationException' });
      items.set(key, item);
      return Object.fromEntries(touched.filter((name) => before?.[name] !== undefined).map((name) => [name, before![name]]));
    },
  };
}
