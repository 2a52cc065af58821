import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { toDynamoDBValues } from '../../lambda/attribute-values';
import type { CallEvent } from '../../lambda/analytics/call-changes';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../lambda/analytics/event-names';
import { callRowKey, CALL_ROWS_PREFIX } from '../../lambda/analytics/call-row';
import { eventBridgePublisher, s3RowStore, type Outflow } from '../../lambda/analytics/outflow';
import { handleStreamRecords } from '../../lambda/analytics/stream-handler';
import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { exportRows } from '../../lib/calls/export-rows';
import { asStoredItem } from '../support/storage';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';

/*
 * The stream function on synthesized DynamoDB stream records: rows written to S3 (s3rver) and
 * moved with their call, removed with their item; events published once per fact; a poisoned
 * record reported so Lambda retries from it, the ones before it done once.
 */

let emulators: Emulators;
let published: CallEvent[];
let outflow: Outflow;
const at = (iso: string) => Date.parse(iso) / 1000;
let sequence = 0;

type Image = Record<string, unknown>;
function record(before: Image | undefined, after: Image | undefined) {
  const id = (after ?? before)?.conversation_id as string;
  return {
    eventName: before && after ? 'MODIFY' : after ? 'INSERT' : 'REMOVE',
    dynamodb: {
      Keys: { conversation_id: { S: id } },
      OldImage: before && toDynamoDBValues(before as never),
      NewImage: after && toDynamoDBValues(after as never),
      SequenceNumber: String(++sequence),
    },
  };
}
const batch = (...records: ReturnType<typeof record>[]) => ({ Records: records }) as unknown as DynamoDBStreamEvent;

async function rowKeys(): Promise<string[]> {
  const { Contents } = await emulators.s3.send(new ListObjectsV2Command({ Bucket: emulators.bucketName, Prefix: CALL_ROWS_PREFIX }));
  return (Contents ?? []).map((o) => o.Key as string).sort();
}
async function row(key: string) {
  const object = await emulators.s3.send(new GetObjectCommand({ Bucket: emulators.bucketName, Key: key }));
  return JSON.parse(await object.Body!.transformToString());
}

beforeAll(async () => {
  emulators = await startEmulators();
});
afterAll(async () => {
  await emulators?.close();
});
beforeEach(() => {
  published = [];
  outflow = { rows: s3RowStore(emulators.s3, emulators.bucketName), events: { publish: async (events) => void published.push(...events) } };
});

describe('the stream function', () => {
  const failure = { conversation_id: 'conv_s1', agent_id: 'a', start_time_unix_secs: at('2025-11-30T23:59:00Z'), failure_reason: 'busy', failure_event_timestamp: 1 };
  const transcribed = { ...failure, start_time_unix_secs: at('2025-12-01T00:00:30Z'), transcription_event_timestamp: 2, user_turns: 2, call_successful: 'success', cost: 12 };

  it('writes a call\'s row under its start day, moves it when the start moves, and removes it with the item', async () => {
    expect(await handleStreamRecords(batch(record(undefined, failure)), outflow)).toEqual({ batchItemFailures: [] });
    expect(await rowKeys()).toEqual([callRowKey('conv_s1', '2025-11-30')]);
    expect(await row(callRowKey('conv_s1', '2025-11-30'))).toMatchObject({ conversation_id: 'conv_s1', outcome: 'not_connected', failure_reason: 'busy' });

    await handleStreamRecords(batch(record(failure, transcribed)), outflow);
    expect(await rowKeys()).toEqual([callRowKey('conv_s1', '2025-12-01')]);
    expect(await row(callRowKey('conv_s1', '2025-12-01'))).toMatchObject({ outcome: 'success', cost: 12, start_time: '2025-12-01 00:00:30.000' });
    expect(published.map((e) => e.detailType)).toEqual([DETAIL_TYPES.notConnected, DETAIL_TYPES.transcription]);

    // A bookkeeping write: the row is written again as it is, nothing is published.
    await handleStreamRecords(batch(record(transcribed, { ...transcribed, audio_missing_checked_at: 9 })), outflow);
    expect(published).toHaveLength(2);

    await handleStreamRecords(batch(record(transcribed, undefined)), outflow);
    expect(await rowKeys()).toEqual([]);
  });

  it('removes every version of a moved row, so no copy of what a deletion removes lingers at the old day', async () => {
    const first = { conversation_id: 'conv_moved', start_time_unix_secs: at('2025-12-05T23:59:00Z'), failure_reason: 'busy', failure_event_timestamp: 1, external_number: '+15550100999' };
    await handleStreamRecords(batch(record(undefined, first)), outflow);
    await handleStreamRecords(batch(record(first, { ...first, start_time_unix_secs: at('2025-12-06T00:00:10Z'), transcription_event_timestamp: 2 })), outflow);
    expect((await rowKeys()).filter((k) => k.includes('conv_moved'))).toEqual([callRowKey('conv_moved', '2025-12-06')]);
  });

  it('reports the first record it could not carry out, after doing the ones before it, and none after', async () => {
    const ok = (id: string) => ({ conversation_id: id, start_time_unix_secs: at('2025-12-02T10:00:00Z'), transcription_event_timestamp: 1 });
    const poisoned = record(undefined, ok('conv_poison'));
    const events = outflow.events!;
    outflow = { ...outflow, events: { publish: async (list) => (list.some((e) => e.detail.conversation_id === 'conv_poison') ? Promise.reject(Object.assign(new Error('refused'), { name: 'PutEventsFailed' })) : events.publish(list)) } };
    const result = await handleStreamRecords(batch(record(undefined, ok('conv_before')), poisoned, record(undefined, ok('conv_after'))), outflow);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: poisoned.dynamodb.SequenceNumber }] });
    expect(published.map((e) => e.detail.conversation_id)).toEqual(['conv_before']);
    // The poisoned call's row was written before its events failed (a retry writes it again); the one after, not yet.
    expect((await rowKeys()).filter((k) => k.includes('2025-12-02'))).toEqual([callRowKey('conv_before', '2025-12-02'), callRowKey('conv_poison', '2025-12-02')]);
  });

  it('purges every version of a row once the deletion sweep scrubbed the call, then writes it scrubbed', async () => {
    const item = { conversation_id: 'conv_scrub', start_time_unix_secs: at('2025-12-03T10:00:00Z'), transcription_event_timestamp: 1, external_number: '+15550100123' };
    await handleStreamRecords(batch(record(undefined, item)), outflow);
    const scrubbed = { conversation_id: 'conv_scrub', start_time_unix_secs: item.start_time_unix_secs, transcription_event_timestamp: 1, transcript_deleted_at: '2025-12-04T00:00:00Z' };
    await handleStreamRecords(batch(record(item, scrubbed)), outflow);
    expect(await row(callRowKey('conv_scrub', '2025-12-03'))).toMatchObject({ external_number: null });
    expect(published.at(-1)).toMatchObject({ detailType: DETAIL_TYPES.dataDeleted, detail: { deleted: ['transcript'] } });
  });
});

describe('calls export', () => {
  it('writes the row of every call already stored that has a start time, and nothing on a dry run', async () => {
    const items = [
      { conversation_id: 'conv_x1', start_time_unix_secs: at('2025-10-01T10:00:00Z'), transcription_event_timestamp: 1, call_successful: 'failure' },
      { conversation_id: 'conv_x2', start_time_unix_secs: at('2025-10-02T10:00:00Z'), failure_reason: 'busy', failure_event_timestamp: 1 },
      { conversation_id: 'conv_x3', has_audio: true },
    ];
    for (const item of items) await emulators.dynamodb.send(new PutItemCommand({ TableName: emulators.tableName, Item: asStoredItem(item) }));
    const target = { description: 'emulators', local: true, tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 };
    const before = await rowKeys();
    expect(await exportRows(target, { dryRun: true })).toMatchObject({ rows: expect.any(Number) });
    expect(await rowKeys()).toEqual(before);
    const report = await exportRows(target);
    expect(report.items).toBeGreaterThanOrEqual(3);
    expect(await row(callRowKey('conv_x1', '2025-10-01'))).toMatchObject({ outcome: 'failure' });
    expect(await row(callRowKey('conv_x2', '2025-10-02'))).toMatchObject({ outcome: 'not_connected' });
    expect((await rowKeys()).filter((k) => k.includes('conv_x3'))).toEqual([]);
  });

  it('with prune, removes the rows no item has (a day its call left, a call whose item went)', async () => {
    const target = { description: 'emulators', local: true, tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 };
    const rows = s3RowStore(emulators.s3, emulators.bucketName);
    await rows.put(callRowKey('conv_x1', '2025-09-30'), '{}\n');
    await rows.put(callRowKey('conv_gone', '2025-09-30'), '{}\n');
    const dry = await exportRows(target, { prune: true, dryRun: true });
    expect(dry.pruned).toBeGreaterThanOrEqual(2);
    expect(await rowKeys()).toContain(callRowKey('conv_gone', '2025-09-30'));
    const report = await exportRows(target, { prune: true });
    expect(report.pruned).toBe(dry.pruned);
    const after = await rowKeys();
    expect(after).not.toContain(callRowKey('conv_gone', '2025-09-30'));
    expect(after).not.toContain(callRowKey('conv_x1', '2025-09-30'));
    expect(after).toContain(callRowKey('conv_x1', '2025-10-01'));
    expect((await exportRows(target, { prune: true })).pruned).toBe(0);
  });
});

describe('the EventBridge publisher', () => {
  let server: Server;
  let requests: { Entries: { Source: string; DetailType: string; Detail: string; EventBusName: string }[] }[];
  let refuse = false;

  beforeAll(async () => {
    requests = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const parsed = JSON.parse(body);
        requests.push(parsed);
        res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(refuse ? { FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] } : { FailedEntryCount: 0, Entries: parsed.Entries.map((_: unknown, i: number) => ({ EventId: `e${i}` })) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('sends events in requests of ten, with the source, detail-type and detail, and fails when any is refused', async () => {
    const client = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const publisher = eventBridgePublisher(client, 'calls-bus');
    const events = Array.from({ length: 12 }, (_, i) => ({ detailType: DETAIL_TYPES.audio, detail: { conversation_id: `c${i}` } }));
    await publisher.publish(events);
    expect(requests.map((r) => r.Entries.length)).toEqual([10, 2]);
    expect(requests[0].Entries[0]).toEqual({ EventBusName: 'calls-bus', Source: EVENT_SOURCE, DetailType: 'Call Audio Stored', Detail: '{"conversation_id":"c0"}' });
    // Large details: requests stay under PutEvents' 256 KB in all, whatever the count.
    requests.length = 0;
    await publisher.publish(Array.from({ length: 5 }, (_, i) => ({ detailType: DETAIL_TYPES.conversationFailed, detail: { conversation_id: `big${i}`, pad: 'x'.repeat(100_000) } })));
    expect(requests.map((r) => r.Entries.length)).toEqual([2, 2, 1]);
    expect(Math.max(...requests.map((r) => Buffer.byteLength(JSON.stringify(r))))).toBeLessThan(256 * 1024);
    refuse = true;
    await expect(publisher.publish(events.slice(0, 1))).rejects.toMatchObject({ name: 'PutEventsFailed', message: '1 of 1 events refused (ThrottlingException)' });
    client.destroy();
  });
});
