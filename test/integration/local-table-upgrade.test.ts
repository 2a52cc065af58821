import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { withStartMonth } from '../../lib/calls/month-keys';
import { CALLS_INDEXES, callsTableCreateInput } from '../../lib/calls-table-schema';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startEmulators } from '../../lib/local/emulators';
import { writeTableBackup } from '../../lib/local/table-backup';
import { upgradeBackupPath } from '../../lib/local/table-upgrade';

/*
 * A data folder of `npm start` from the previous release (its table without by_month), opened by
 * this one on real dynalite: the table is rebuilt with every index and every item, and the states
 * a crash can leave halfway are finished on the next start, never losing an item.
 */

type Item = Record<string, AttributeValue>;
const TABLE = 'calls';
const ITEM_COUNT = 60;

/** The previous release's table: every index but by_month, and no start_month key. */
function previousReleaseTable() {
  const input = callsTableCreateInput(TABLE);
  return {
    ...input,
    AttributeDefinitions: input.AttributeDefinitions.filter((a) => a.AttributeName !== 'start_month'),
    GlobalSecondaryIndexes: input.GlobalSecondaryIndexes.filter((i) => i.IndexName !== 'by_month'),
  };
}

/** Calls as the previous release stored them, with every kind of value, and enough bytes for several scan pages. */
function items(): Item[] {
  return Array.from({ length: ITEM_COUNT }, (_, n) => {
    const item: Item = {
      conversation_id: { S: `conv_${String(n).padStart(3, '0')}` },
      agent_id: { S: `agent_${n % 3}` },
      start_time_unix_secs: { N: String(1_764_000_000 + n * 60) },
      cost: { N: '12345678901234567890.123456789' },
      events_received: { SS: ['post_call_transcription', 'post_call_audio'] },
      evaluation: { M: { constructor: { S: 'success' }, nested: { L: [{ NULL: true }, { BOOL: false }, { NS: ['1', '2.5'] }] } } },
    };
    // One call in four belongs to a campaign: by_batch must still find them after the upgrade.
    if (n % 4 === 0) item.batch_call_id = { S: n < 30 ? 'btcal_spring' : 'btcal_autumn' };
    if (n % 10 === 0) item.opaque = { B: Buffer.from([0, 255, n]) };
    if (n === 7) item.fingerprints = { BS: [Buffer.from('a'), Buffer.from([1, 2, 3])] };
    // About 1.8 MB in all: dynalite scans 1 MB a page, so the copy must follow pages.
    if (n % 2 === 0) item.transcript_summary = { S: `${n} `.repeat(20_000) };
    return item;
  });
}

/** dynalite on the folder's DynamoDB data alone, as an earlier version of `npm start` left it. */
async function withDynalite<T>(dataDir: string, use: (client: DynamoDBClient) => Promise<T>): Promise<T> {
  const server = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  try {
    return await use(client);
  } finally {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function until(check: () => Promise<boolean>) {
  for (let i = 0; !(await check()); i++) {
    if (i > 500) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
const tableStatus = (client: DynamoDBClient) =>
  client.send(new DescribeTableCommand({ TableName: TABLE })).then((d) => d.Table!.TableStatus, (e: Error) => (e.name === 'ResourceNotFoundException' ? 'GONE' : Promise.reject(e)));

async function createTable(client: DynamoDBClient, input: ReturnType<typeof previousReleaseTable>, content: Item[]) {
  await client.send(new CreateTableCommand(input));
  await until(async () => (await tableStatus(client)) === 'ACTIVE');
  for (let i = 0; i < content.length; i += 25) {
    const { UnprocessedItems } = await client.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: content.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    expect(UnprocessedItems ?? {}).toEqual({});
  }
}

async function dropTable(client: DynamoDBClient) {
  await client.send(new DeleteTableCommand({ TableName: TABLE }));
  await until(async () => (await tableStatus(client)) === 'GONE');
}

/** Every item, in key order, as dynalite gives it back. */
async function scanAll(client: DynamoDBClient): Promise<Item[]> {
  const all: Item[] = [];
  let ExclusiveStartKey: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true, ExclusiveStartKey }));
    all.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return all.sort((a, b) => a.conversation_id.S!.localeCompare(b.conversation_id.S!));
}

const campaign = (client: DynamoDBClient, batchCallId: string) =>
  client
    .send(new QueryCommand({ TableName: TABLE, IndexName: 'by_batch', KeyConditionExpression: 'batch_call_id = :b', ExpressionAttributeValues: { ':b': { S: batchCallId } } }))
    .then((out) => out.Items!.map((i) => i.conversation_id.S));

/** Starts the emulators as `npm start` does on the folder; checks every item and every index, then stops. */
async function startAndCheck(dataDir: string, expected: Item[]): Promise<string[]> {
  const lines: string[] = [];
  const emulators = await startEmulators({ dataDir, log: (line) => lines.push(line) });
  try {
    const { Table } = await emulators.dynamodb.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table!.GlobalSecondaryIndexes!.map((i) => i.IndexName).sort()).toEqual(CALLS_INDEXES.map((i) => i.indexName).sort());
    // Each item as it was, plus the month the new index is keyed by (items without a start time would get none).
    expect(await scanAll(emulators.dynamodb)).toEqual(expected.map(withStartMonth));
    const listed = await emulators.dynamodb.send(new QueryCommand({ TableName: TABLE, IndexName: 'by_month', KeyConditionExpression: 'start_month = :m', ExpressionAttributeValues: { ':m': { S: '2025-11' } } }));
    expect(listed.Items!.map((i) => i.conversation_id.S)).toEqual(expected.map((i) => i.conversation_id.S));
    // The indexes of the previous release still answer, in start-time order (the ids follow it).
    const idsWhere = (attribute: string, value: string) => expected.filter((i) => i[attribute]?.S === value).map((i) => i.conversation_id.S);
    expect(await campaign(emulators.dynamodb, 'btcal_spring')).toEqual(idsWhere('batch_call_id', 'btcal_spring'));
    expect(await campaign(emulators.dynamodb, 'btcal_autumn')).toEqual(idsWhere('batch_call_id', 'btcal_autumn'));
    const byAgent = await emulators.dynamodb.send(new QueryCommand({ TableName: TABLE, IndexName: 'by_agent', KeyConditionExpression: 'agent_id = :a', ExpressionAttributeValues: { ':a': { S: 'agent_1' } }, Select: 'COUNT' }));
    expect(byAgent.Count).toBe(idsWhere('agent_id', 'agent_1').length);
  } finally {
    await emulators.close();
  }
  expect(readdirSync(dataDir).filter((name) => name.includes('upgrade'))).toEqual([]);
  return lines;
}

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'receiver-table-upgrade-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

/** The previous release's folder, and what its table held. */
const previousReleaseFolder = (more?: (client: DynamoDBClient) => Promise<void>) =>
  withDynalite(dataDir, async (client) => {
    await createTable(client, previousReleaseTable(), items());
    // More than one page: the copy must follow LastEvaluatedKey, not stop at the first megabyte.
    expect((await client.send(new ScanCommand({ TableName: TABLE }))).LastEvaluatedKey).toBeDefined();
    const held = await scanAll(client);
    await more?.(client);
    return held;
  });

describe('opening a data folder whose table lacks an index', () => {
  it('rebuilds the table with every index and every item, says so in one line of counts, and only once', async () => {
    const held = await previousReleaseFolder();
    expect(held).toHaveLength(ITEM_COUNT);
    expect(held.filter((i) => i.batch_call_id).length).toBe(15);
    expect(await startAndCheck(dataDir, held)).toEqual([
      `Upgraded the local table calls (new or changed indexes: by_month): ${ITEM_COUNT} items copied to a backup, the table recreated, ${ITEM_COUNT} items copied back.`,
    ]);
    expect(await startAndCheck(dataDir, held)).toEqual([]);
  });

  it('creates a missing table without a word', async () => {
    const lines: string[] = [];
    await (await startEmulators({ dataDir, log: (line) => lines.push(line) })).close();
    expect(lines).toEqual([]);
    expect(await startAndCheck(dataDir, [])).toEqual([]);
  });
});

describe('after a crash in the middle of an upgrade, the next start', () => {
  const backup = () => upgradeBackupPath(dataDir, TABLE);

  it('copies every item back when the crash came after the table was dropped', async () => {
    const held = await previousReleaseFolder(async (client) => {
      await writeTableBackup(client, TABLE, backup());
      await dropTable(client);
    });
    expect(await startAndCheck(dataDir, held)).toEqual([`Finished an interrupted upgrade of the local table calls: ${ITEM_COUNT} items copied back from its backup.`]);
  });

  it('fills up the new table when the crash came halfway through copying back', async () => {
    const held = await previousReleaseFolder(async (client) => {
      await writeTableBackup(client, TABLE, backup());
      await dropTable(client);
      await createTable(client, callsTableCreateInput(TABLE), items().slice(0, 20));
    });
    expect(await startAndCheck(dataDir, held)).toEqual([`Finished an interrupted upgrade of the local table calls: ${ITEM_COUNT} items copied back from its backup.`]);
  });

  it('upgrades afresh when the crash came while the backup was being written (the table untouched)', async () => {
    const held = await previousReleaseFolder(async (client) => {
      await writeTableBackup(client, TABLE, backup());
      // What a crash leaves: the backup still under its temporary name, cut mid-line.
      const content = readFileSync(backup(), 'utf8');
      writeFileSync(`${backup()}.partial`, content.slice(0, content.length / 2));
      rmSync(backup());
    });
    expect(await startAndCheck(dataDir, held)).toEqual([expect.stringMatching(/^Upgraded the local table calls .*: 60 items copied to a backup/)]);
  });

  it('refuses a backup that is not whole, leaving the table and the file as they are', async () => {
    const held = await previousReleaseFolder(async (client) => {
      await writeTableBackup(client, TABLE, backup());
      const lines = readFileSync(backup(), 'utf8').trimEnd().split('\n');
      // Its end line lost, then one item more than it counted: neither may replace the table.
      writeFileSync(backup(), `${lines.slice(0, -1).join('\n')}\n`);
    });
    await expect(startEmulators({ dataDir, log: () => {} })).rejects.toThrow(/table-upgrade\.jsonl is incomplete \(60 items, end line missing\)\. The local table calls was left as it is; keep this file/);
    appendFileSync(backup(), `${JSON.stringify({ end: ITEM_COUNT - 1 })}\n`);
    await expect(startEmulators({ dataDir, log: () => {} })).rejects.toThrow(/incomplete \(60 items, end line says 59\)/);
    expect(existsSync(backup())).toBe(true);
    expect(await withDynalite(dataDir, scanAll)).toEqual(held);
  });
});
