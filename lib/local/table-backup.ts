import { createReadStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/*
 * A local table's items in a file, one JSON line per item, for the table upgrade to copy them out
 * and back. The file appears under its name only once complete (written aside, flushed to disk,
 * then renamed), and its last line says how many items it holds, so a backup cut short by a crash
 * is never mistaken for the whole table.
 */

type Item = Record<string, AttributeValue>;
/** The one line after the items. */
type EndLine = { end: number };

/** Binary values as base64 (JSON has no bytes); every other type is JSON as the SDK gives it. */
function encode(value: AttributeValue): unknown {
  if (value.B) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS) return { BS: value.BS.map((bytes) => Buffer.from(bytes).toString('base64')) };
  if (value.M) return { M: mapValues(value.M, encode) };
  if (value.L) return { L: value.L.map(encode) };
  return value;
}

function decode(value: any): AttributeValue {
  if (typeof value.B === 'string') return { B: Buffer.from(value.B, 'base64') };
  if (Array.isArray(value.BS)) return { BS: value.BS.map((bytes: string) => Buffer.from(bytes, 'base64')) };
  if (value.M) return { M: mapValues(value.M, decode) };
  if (value.L) return { L: value.L.map(decode) };
  return value;
}

/** Object.fromEntries defines keys as own properties, so a map key named `__proto__` stays a key. */
function mapValues<T>(record: Record<string, any>, convert: (value: any) => T): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, convert(value)]));
}

/** Scans the whole table (consistent reads) into `path`; returns how many items it holds. */
export async function writeTableBackup(client: DynamoDBClient, tableName: string, path: string): Promise<number> {
  const partial = `${path}.partial`;
  const file = await open(partial, 'w', 0o600);
  let count = 0;
  try {
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }));
      const lines = (page.Items ?? []).map((item) => `${JSON.stringify(mapValues(item, encode))}\n`);
      if (lines.length > 0) await file.write(lines.join(''));
      count += lines.length;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    await file.write(`${JSON.stringify({ end: count } satisfies EndLine)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(partial, path);
  await syncDirectory(dirname(path));
  return count;
}

/** Makes the rename itself durable; some platforms cannot open a folder, and lose only that. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the file's own bytes are already on disk.
  }
}

/** The items of a backup, one by one, so a large table is never held in memory. */
export async function* readTableBackup(path: string): AsyncGenerator<Item> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    const parsed = JSON.parse(line);
    if ('end' in parsed && typeof parsed.end === 'number' && Object.keys(parsed).length === 1) return;
    yield mapValues(parsed, decode);
  }
}

/**
 * How many items a backup holds, after checking it ends with its count line and holds exactly that
 * many items; throws otherwise, before anything relies on it.
 */
export async function completeBackupCount(path: string): Promise<number> {
  let items = 0;
  let end: number | undefined;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    if (end !== undefined) throw new Error(`${path} has lines after its end line`);
    const parsed = JSON.parse(line);
    if ('end' in parsed && Object.keys(parsed).length === 1) end = parsed.end;
    else items += 1;
  }
  if (end !== items) throw new Error(`${path} is incomplete (${items} items, end line ${end === undefined ? 'missing' : `says ${end}`})`);
  return items;
}
