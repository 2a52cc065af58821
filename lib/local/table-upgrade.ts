import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TableDescription,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { CALLS_INDEXES, callsTableCreateInput } from '../calls-table-schema';
import { withStartMonth } from '../calls/month-keys';
import { completeBackupCount, readTableBackup, writeTableBackup } from './table-backup';

/*
 * The local calls table, kept as lib/calls-table-schema.ts defines it. DynamoDB adds an index to a
 * live table (the deployed stack does, one per deploy), but dynalite cannot: a data folder made
 * by an earlier version would keep its old indexes and a reader querying a new one would fail. So
 * the table is rebuilt: its items copied out to a backup file, the table recreated, the items
 * copied back. The backup is complete on disk before the table is touched and removed only once
 * every item is back, so a crash at any point loses nothing: the next start finds the backup and
 * finishes the job.
 */

/** Where the items wait while their table is rebuilt: beside the emulators' folders, in the data folder. */
export function upgradeBackupPath(dataDir: string, tableName: string): string {
  return join(dataDir, `${tableName}-table-upgrade.jsonl`);
}

/** The indexes of the schema that `table` lacks, or holds with other keys or projection. */
export function outdatedIndexes(table: TableDescription): string[] {
  const types = new Map((table.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType]));
  return CALLS_INDEXES.filter((wanted) => {
    const index = (table.GlobalSecondaryIndexes ?? []).find((i) => i.IndexName === wanted.indexName);
    if (!index) return true;
    const keys = (index.KeySchema ?? []).map((k) => `${k.KeyType} ${k.AttributeName} ${types.get(k.AttributeName!)}`);
    const wantedKeys = [`HASH ${wanted.partitionKey.name} ${wanted.partitionKey.type}`, `RANGE ${wanted.sortKey.name} ${wanted.sortKey.type}`];
    return keys.join() !== wantedKeys.join() || index.Projection?.ProjectionType !== (wanted.projection ?? 'ALL');
  }).map((index) => index.indexName);
}

/**
 * Creates the table when missing, rebuilds it when its indexes are out of date, and first finishes
 * an upgrade a crash interrupted. Logs one line (counts only) when it copied items.
 */
export async function ensureCallsTable(client: DynamoDBClient, tableName: string, dataDir: string, log: (line: string) => void): Promise<void> {
  const backup = upgradeBackupPath(dataDir, tableName);
  // A backup cut short while being written: the table was not touched yet, so it is still whole.
  await rm(`${backup}.partial`, { force: true });
  if (existsSync(backup)) {
    const restored = await restoreFromBackup(client, tableName, backup);
    log(`Finished an interrupted upgrade of the local table ${tableName}: ${restored} items copied back from its backup.`);
    return;
  }
  const table = await describeTable(client, tableName);
  if (!table) {
    await createTable(client, tableName);
    return;
  }
  const outdated = outdatedIndexes(table);
  if (outdated.length === 0) return;
  const saved = await writeTableBackup(client, tableName, backup);
  const restored = await restoreFromBackup(client, tableName, backup);
  log(`Upgraded the local table ${tableName} (new or changed indexes: ${outdated.join(', ')}): ${saved} items copied to a backup, the table recreated, ${restored} items copied back.`);
}

/**
 * Brings the table to the schema and puts every item of a complete backup into it, then removes
 * the backup. Safe to run again after a crash at any point: puts overwrite, nothing else is lost.
 */
async function restoreFromBackup(client: DynamoDBClient, tableName: string, backup: string): Promise<number> {
  // Before the table is dropped: a backup that is not whole must not replace it.
  const expected = await completeBackupCount(backup).catch((error: Error) => {
    throw new Error(`${error.message}. The local table ${tableName} was left as it is; keep this file, it may hold your only copy of some calls.`);
  });
  const table = await describeTable(client, tableName);
  // An up-to-date table here is one a crash left half filled: filling it up is enough.
  const rebuild = !table || outdatedIndexes(table).length > 0;
  if (table && rebuild) await deleteTable(client, tableName);
  if (rebuild) await createTable(client, tableName);

  let batch: WriteRequest[] = [];
  for await (const item of readTableBackup(backup)) {
    // Items from before the month index get its key as they go back, so the calls list finds them.
    batch.push({ PutRequest: { Item: withStartMonth(item) } });
    if (batch.length === 25) {
      await writeBatch(client, tableName, batch);
      batch = [];
    }
  }
  await writeBatch(client, tableName, batch);
  const present = await countItems(client, tableName);
  if (present < expected) throw new Error(`The local table ${tableName} holds ${present} items after copying ${expected} back; its backup ${backup} is kept for the next start.`);
  await rm(backup);
  return expected;
}

/** BatchWriteItem takes at most 25 puts and may hand some back unprocessed: those go again. */
async function writeBatch(client: DynamoDBClient, tableName: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === 10) throw new Error(`The local table ${tableName} kept refusing writes while its items were copied back`);
    const { UnprocessedItems } = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
    pending = UnprocessedItems?.[tableName] ?? [];
    if (pending.length > 0) await sleep(50 * (attempt + 1));
  }
}

async function countItems(client: DynamoDBClient, tableName: string): Promise<number> {
  let count = 0;
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, Select: 'COUNT', ConsistentRead: true, ExclusiveStartKey }));
    count += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return count;
}

async function describeTable(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** Creates the table as the schema defines it and waits until it and its indexes take writes. */
async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(callsTableCreateInput(tableName)));
  await waitFor(tableName, async () => {
    const table = await describeTable(client, tableName);
    return table?.TableStatus === 'ACTIVE' && (table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
  });
}

/** dynalite drops the items at once but forgets the table name only a moment later. */
async function deleteTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  await waitFor(tableName, async () => (await describeTable(client, tableName)) === undefined);
}

async function waitFor(tableName: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`The local table ${tableName} did not become ready within 30 s`);
    await sleep(20);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
