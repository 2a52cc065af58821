import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { rebuildCalls } from '../../lib/calls/rebuild';
import { sweepDeletions } from '../../lambda/deletion';
import { processWebhook, type ProcessDependencies } from '../../lambda/process';
import { createCallStore, createDeletionStore } from '../../lambda/storage';
import { apiAudioKey } from '../../lambda/object-keys';
import { loadExample, nowSecs, signedRequest, TEST_SECRET } from '../support/webhooks';
import { storageReader } from '../support/storage';

/*
 * `calls rebuild` on dynalite and s3rver: calls stored by the real webhook flow, their items then
 * lost, damaged or left behind by an older version, rebuilt from S3 alone.
 */
let emulators: Emulators;
let read: ReturnType<typeof storageReader>;
let deps: ProcessDependencies;
let target: Parameters<typeof rebuildCalls>[0];

beforeAll(async () => {
  emulators = await startEmulators();
  target = { tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 };
  deps = { getSecret: async () => TEST_SECRET, store: createCallStore({ ...target, deletionSweep: true }), now: () => new Date() };
  read = storageReader(emulators);
});

afterAll(async () => {
  await emulators?.close();
});

async function deliver(body: object) {
  const { response } = await processWebhook(signedRequest(body), deps);
  expect(response.statusCode).toBe(200);
}

function withId<T extends Record<string, any>>(body: T, conversationId: string, eventTimestamp = nowSecs() - 100): T {
  return { ...body, event_timestamp: eventTimestamp, data: { ...body.data, conversation_id: conversationId } };
}

const forget = (conversationId: string) => emulators.dynamodb.send(new DeleteItemCommand({ TableName: emulators.tableName, Key: { conversation_id: { S: conversationId } } }));
/** The item without what only says when it was written. */
const comparable = (item: Record<string, unknown> | undefined) => ({ ...item, updated_at: undefined });

describe('calls rebuild', () => {
  it('rebuilds lost items, transcription, audio (from its envelope), failure and the API\'s audio, as the webhook stored them', async () => {
    await deliver(withId(loadExample('sdk/phone.twilio'), 'conv_rb_full'));
    await deliver(withId(loadExample('post_call_audio'), 'conv_rb_full'));
    await deliver(withId(loadExample('call_initiation_failure.sip'), 'conv_rb_fail'));
    const store = createCallStore(target);
    await store.putObject(apiAudioKey('conv_rb_api'), Buffer.from('ID3 api audio'), 'audio/mpeg');
    const full = await read.item('conv_rb_full');
    const failed = await read.item('conv_rb_fail');
    await forget('conv_rb_full');
    await forget('conv_rb_fail');

    const report = await rebuildCalls(target);
    expect(report.failures).toEqual([]);
    expect(comparable(await read.item('conv_rb_full'))).toEqual(comparable(full));
    expect(comparable(await read.item('conv_rb_fail'))).toEqual(comparable(failed));
    expect(await read.item('conv_rb_api')).toMatchObject({ audio_s3_key: apiAudioKey('conv_rb_api'), audio_bytes: 13, audio_source: 'api' });
  });

  it('fills what an item stored by an older version lacks, and never overwrites newer data', async () => {
    await deliver(withId(loadExample('sdk/whatsapp.inbound'), 'conv_rb_old'));
    // As an earlier version stored it: no channel, the number without its +.
    await emulators.dynamodb.send(new UpdateItemCommand({
      TableName: emulators.tableName,
      Key: { conversation_id: { S: 'conv_rb_old' } },
      UpdateExpression: 'SET external_number = :n REMOVE channel, cost_fiat',
      ExpressionAttributeValues: { ':n': { S: '447700900734' } },
    }));
    // A newer transcription than anything archived for this call: the rebuild must not undo it.
    await deliver(withId(loadExample('sdk/widget'), 'conv_rb_newer', nowSecs() - 500));
    await emulators.dynamodb.send(new UpdateItemCommand({
      TableName: emulators.tableName,
      Key: { conversation_id: { S: 'conv_rb_newer' } },
      UpdateExpression: 'SET transcription_event_timestamp = :t, agent_name = :a',
      ExpressionAttributeValues: { ':t': { N: String(nowSecs()) }, ':a': { S: 'Changed since' } },
    }));

    const dry = await rebuildCalls(target, { dryRun: true });
    expect(dry.unchanged).toBeGreaterThanOrEqual(1);
    expect(await read.item('conv_rb_old')).not.toHaveProperty('channel');

    await rebuildCalls(target);
    expect(await read.item('conv_rb_old')).toMatchObject({ channel: 'whatsapp', external_number: '+447700900734', cost_fiat: expect.any(Number) });
    expect(await read.item('conv_rb_newer')).toMatchObject({ agent_name: 'Changed since' });
  });

  it("gives items from before the month index the calls list's key, even when their archive is gone", async () => {
    await deliver(withId(loadExample('sdk/widget'), 'conv_rb_month'));
    const stored = await read.item('conv_rb_month');
    expect(stored?.start_month).toBe(new Date(stored!.start_time_unix_secs * 1000).toISOString().slice(0, 7));
    // As stored before the index, with no archive left to replay: a start time, no month.
    await emulators.dynamodb.send(new DeleteItemCommand({ TableName: emulators.tableName, Key: { conversation_id: { S: 'conv_rb_month' } } }));
    await emulators.dynamodb.send(new PutItemCommand({ TableName: emulators.tableName, Item: { conversation_id: { S: 'conv_rb_month_old' }, start_time_unix_secs: { N: '1764000000' } } }));
    // One filed under another month: a later failure set the month where missing, from its own time.
    await emulators.dynamodb.send(new PutItemCommand({ TableName: emulators.tableName, Item: { conversation_id: { S: 'conv_rb_month_wrong' }, start_time_unix_secs: { N: '1767225000' }, start_month: { S: '2026-01' } } }));
    const dry = await rebuildCalls(target, { dryRun: true, sinceUnixSecs: nowSecs() + 3600 });
    expect(dry.monthKeys).toBe(2);
    expect(await read.item('conv_rb_month_old')).not.toHaveProperty('start_month');
    const report = await rebuildCalls(target, { sinceUnixSecs: nowSecs() + 3600 });
    expect(report.monthKeys).toBe(2);
    expect((await read.item('conv_rb_month_wrong'))?.start_month).toBe('2025-12');
    expect(await read.item('conv_rb_month_old')).toEqual({ conversation_id: 'conv_rb_month_old', start_time_unix_secs: 1764000000, start_month: '2025-11' });
    expect((await rebuildCalls(target, { sinceUnixSecs: nowSecs() + 3600 })).monthKeys).toBe(0);
  });

  it('brings back nothing a deletion removed, and keeps what only reconciliation knows', async () => {
    const body = withId(loadExample('post_call_transcription.phone'), 'conv_rb_deleted');
    body.data.metadata.deletion_settings = { deletion_time_unix_secs: nowSecs() - 60, delete_transcript_and_pii: true, delete_audio: true };
    await deliver(body);
    await deliver(withId(loadExample('post_call_audio'), 'conv_rb_deleted'));
    expect((await sweepDeletions({ store: createDeletionStore(target), now: () => new Date() })).failures).toEqual([]);
    await emulators.dynamodb.send(new UpdateItemCommand({
      TableName: emulators.tableName,
      Key: { conversation_id: { S: 'conv_rb_deleted' } },
      UpdateExpression: 'SET audio_fetch_status = :d',
      ExpressionAttributeValues: { ':d': { S: 'deleted' } },
    }));
    const swept = await read.item('conv_rb_deleted');
    await rebuildCalls(target);
    const after = await read.item('conv_rb_deleted');
    expect(comparable(after)).toEqual(comparable(swept));
    for (const personal of ['external_number', 'transcript_summary', 'audio_s3_key']) expect(after).not.toHaveProperty(personal);
  });

  it('reads only the period asked for, and writes nothing on a dry run', async () => {
    await deliver(withId(loadExample('sdk/sms'), 'conv_rb_period'));
    await forget('conv_rb_period');
    const future = nowSecs() + 3_600;
    expect(await rebuildCalls(target, { sinceUnixSecs: future })).toMatchObject({ objects: 0, applied: 0 });
    expect((await rebuildCalls(target, { dryRun: true })).applied).toBeGreaterThanOrEqual(1);
    expect(await read.item('conv_rb_period')).toBeUndefined();
    await rebuildCalls(target, { sinceUnixSecs: nowSecs() - 600 });
    expect(await read.item('conv_rb_period')).toMatchObject({ channel: 'sms' });
  });

  it('never brings back audio the sweep deleted, even from an MP3 a later failed delivery left, and queues the call to delete it again', async () => {
    const id = 'conv_rb_audio_deleted';
    const transcription = withId(loadExample('post_call_transcription.phone'), id);
    transcription.data.metadata.deletion_settings = { deletion_time_unix_secs: nowSecs() - 2 * 86_400, delete_transcript_and_pii: false, delete_audio: true };
    await deliver(transcription);
    const audio = withId(loadExample('post_call_audio'), id);
    await deliver(audio);
    const sweep = (at: number) => sweepDeletions({ store: createDeletionStore(target), now: () => new Date(at * 1000) });
    expect((await sweep(nowSecs())).failures).toEqual([]);
    expect(await read.keys(`audio/calls/${id}/`)).toEqual([]);
    // The same audio again, while DynamoDB fails: archived (envelope and MP3), answered 500.
    const failing = { ...deps, store: { ...deps.store, applyUpdate: async () => Promise.reject(Object.assign(new Error('down'), { name: 'StorageError', reason: 'item' })) } };
    expect((await processWebhook(signedRequest(audio), failing)).response.statusCode).toBe(500);
    expect(await read.keys(`audio/calls/${id}/`)).toHaveLength(1);
    const swept = await read.item(id);

    await rebuildCalls(target);
    const after = await read.item(id);
    expect(after).not.toHaveProperty('audio_s3_key');
    expect(after!.audio_deleted_at).toBe(swept!.audio_deleted_at);
    expect(after).toMatchObject({ deletion_queue: 'due' });
    expect((await sweep(nowSecs() + 60)).failures).toEqual([]);
    expect(await read.keys(`audio/calls/${id}/`)).toEqual([]);
  });

  it('applies an audio envelope only when it names the MP3 the webhook writes, and that MP3 is there', async () => {
    // Shaped like an envelope, but pointing at another call's object and dated in the year 9999: a
    // body the webhook refused (no full_audio), archived whole, and no record of any audio.
    const forged = { type: 'post_call_audio', event_timestamp: 253_402_300_000, data: { conversation_id: 'conv_rb_forged', agent_id: 'a', full_audio_s3_key: 'raw/calls/other/x.json', full_audio_bytes: 42 } };
    expect((await processWebhook(signedRequest(forged), deps)).response.statusCode).toBe(400);
    // A real envelope whose MP3 write failed: nothing to point at.
    const lost = withId(loadExample('post_call_audio'), 'conv_rb_lost_mp3');
    const noAudio = { ...deps, store: { ...deps.store, putObject: async (key: string, body: Buffer | string, type: string) => (key.startsWith('audio/') ? Promise.reject(Object.assign(new Error('x'), { name: 'StorageError', reason: 'object' })) : deps.store.putObject(key, body, type)) } };
    expect((await processWebhook(signedRequest(lost), noAudio)).response.statusCode).toBe(500);

    const report = await rebuildCalls(target);
    expect(await read.item('conv_rb_forged')).toBeUndefined();
    expect(await read.item('conv_rb_lost_mp3')).toBeUndefined();
    expect(report.missingMp3).toBeGreaterThanOrEqual(1);
  });
});
