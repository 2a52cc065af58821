import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { StorageError } from '../../lambda/errors';
import { DELETION_GRACE_SECONDS, PERSONAL_ATTRIBUTES, planDeletion, sweepDeletions } from '../../lambda/deletion';
import { processWebhook, type ProcessDependencies } from '../../lambda/process';
import { createCallStore, createDeletionStore, STORAGE_HTTP_OPTIONS } from '../../lambda/storage';
import { S3Client } from '@aws-sdk/client-s3';
import { apiAudioKey, legacyAudioKeys } from '../../lambda/object-keys';
import { loadExample, nowSecs, signedRequest, TEST_SECRET } from '../support/webhooks';
import { storageReader } from '../support/storage';

/*
 * Honouring ElevenLabs' deletion settings, end to end on dynalite and s3rver: webhooks stored by
 * the real flow, then the sweep as the scheduled function runs it.
 */
let emulators: Emulators;
let read: ReturnType<typeof storageReader>;
let deps: ProcessDependencies;
let deletionStore: ReturnType<typeof createDeletionStore>;

beforeAll(async () => {
  emulators = await startEmulators();
  const config = { tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 };
  deps = { getSecret: async () => TEST_SECRET, store: createCallStore({ ...config, deletionSweep: true }), now: () => new Date() };
  deletionStore = createDeletionStore(config);
  read = storageReader(emulators);
});

afterAll(async () => {
  await emulators?.close();
});

const AGENT = 'agent_7901kdemo0support000000001';

function transcription(conversationId: string, deletion: Record<string, unknown> | null, eventTimestamp = nowSecs() - 30) {
  const body = loadExample('post_call_transcription.phone');
  body.data.conversation_id = conversationId;
  body.event_timestamp = eventTimestamp;
  body.data.metadata.deletion_settings = deletion;
  return body;
}

function audio(conversationId: string) {
  const body = loadExample('post_call_audio');
  body.data.conversation_id = conversationId;
  body.data.agent_id = AGENT;
  return body;
}

async function deliver(body: object, timestamp?: number) {
  const result = await processWebhook(signedRequest(body, { timestamp }), deps);
  expect(result.response.statusCode).toBe(200);
  return result;
}

const sweep = (atUnixSecs: number) => sweepDeletions({ store: deletionStore, now: () => new Date(atUnixSecs * 1000) });

/** Every object key the call has in the bucket, whatever the prefix. */
async function objectsOf(conversationId: string): Promise<string[]> {
  const keys = [...(await read.keys('transcripts/')), ...(await read.keys('audio/')), ...(await read.keys('raw/'))];
  return keys.filter((k) => k.includes(`/${conversationId}/`) || k.includes(`/${conversationId}.`)).sort();
}

describe('deletion settings, honoured by the sweep', () => {
  it('deletes transcript, audio and raw bodies when due, keeps what is not personal, and sweeps again a day later', async () => {
    const id = 'conv_delete_all';
    const deletionTime = nowSecs() - 60;
    const body = transcription(id, { deletion_time_unix_secs: deletionTime, delete_transcript_and_pii: true, delete_audio: true, deleted_logs_at_time_unix_secs: null });
    await deliver(body);
    await deliver(body, nowSecs() + 1); // a redelivery, signed anew: stale, its raw body kept beside the first
    await deliver(audio(id));
    const stored = await read.item(id);
    expect(stored).toMatchObject({ deletion_queue: 'due', deletion_due_unix_secs: deletionTime, delete_audio: true, external_number: expect.any(String) });
    expect((await read.keys(`raw/calls/${id}/`)).length).toBe(3);
    // Three raw bodies (the first one is the transcript) and one MP3.
    expect((await objectsOf(id)).length).toBe(4);

    const now = nowSecs();
    const report = await sweep(now);
    expect(report.failures).toEqual([]);
    expect(report).toMatchObject({ due: 1, transcriptsDeleted: 1, audioDeleted: 1 });
    expect(await objectsOf(id)).toEqual([]);
    const scrubbed = await read.item(id);
    for (const attribute of [...PERSONAL_ATTRIBUTES, 'transcript_s3_key', 'audio_s3_key']) {
      expect(scrubbed).not.toHaveProperty(attribute);
    }
    // What answers "how long, what did it cost, did it succeed" stays, and the call stays in its agent's index.
    expect(scrubbed).toMatchObject({ agent_id: AGENT, cost: 142, call_duration_secs: 21, call_successful: 'success', start_time_unix_secs: 1764000000 });
    expect(scrubbed).toMatchObject({ transcript_deleted_at: new Date(now * 1000).toISOString(), audio_deleted_at: expect.any(String) });
    expect(scrubbed).toMatchObject({ deletion_queue: 'due', deletion_due_unix_secs: deletionTime + DELETION_GRACE_SECONDS });

    // A replay of the audio after the deletion changes no item (it is stale), but what it archived
    // before anything was known, its MP3 and envelope, is there; the call goes back in the queue,
    // and the next sweep deletes both.
    await deliver(audio(id));
    expect(await objectsOf(id)).toEqual([expect.stringMatching(new RegExp(`^audio/calls/${id}/`)), expect.stringMatching(new RegExp(`^raw/calls/${id}/post_call_audio/`))]);
    expect((await read.item(id))!).not.toHaveProperty('audio_s3_key');
    expect(await sweep(now + 60)).toMatchObject({ due: 1, audioDeleted: 1, failures: [] });
    expect(await objectsOf(id)).toEqual([]);
    // The second pass a day after the deletion time, after which the call leaves the index.
    expect((await sweep(now + 3600)).due).toBe(0);
    const second = await sweep(deletionTime + DELETION_GRACE_SECONDS);
    expect(second).toMatchObject({ due: 1, audioDeleted: 1, failures: [] });
    const final = await read.item(id);
    expect(final).not.toHaveProperty('deletion_queue');
    // The time our copy was first deleted stays.
    expect(final).toMatchObject({ transcript_deleted_at: new Date(now * 1000).toISOString() });
    expect((await sweep(deletionTime + 10 * DELETION_GRACE_SECONDS)).due).toBe(0);

    // A redelivery after the last pass puts the call back in the queue; the next sweep deletes what it brought.
    await deliver(body);
    expect(await objectsOf(id)).toEqual([expect.stringMatching(new RegExp(`^raw/calls/${id}/post_call_transcription/`))]);
    expect(await read.item(id)).toMatchObject({ deletion_queue: 'due' });
    expect((await sweep(nowSecs())).failures).toEqual([]);
    expect(await objectsOf(id)).toEqual([]);
  });

  it('deletes every MP3 of the call: one per audio event, the API\'s, and those under earlier versions\' keys', async () => {
    const id = 'conv_delete_every_mp3';
    await deliver(transcription(id, { deletion_time_unix_secs: nowSecs() - 60, delete_transcript_and_pii: false, delete_audio: true }));
    // Two audio events, the older first: each applied in turn, each its own MP3.
    await deliver({ ...audio(id), event_timestamp: nowSecs() - 300 });
    await deliver({ ...audio(id), event_timestamp: nowSecs() - 200 });
    const store = createCallStore({ tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 });
    for (const key of [apiAudioKey(id), ...legacyAudioKeys(AGENT, id)]) await store.putObject(key, Buffer.from('ID3'), 'audio/mpeg');
    expect((await read.keys(`audio/calls/${id}/`)).length).toBe(3);
    expect(await sweep(nowSecs())).toMatchObject({ due: 1, audioDeleted: 1, failures: [] });
    expect(await read.keys(`audio/calls/${id}/`)).toEqual([]);
    for (const key of legacyAudioKeys(AGENT, id)) expect(await read.exists(key)).toBe(false);
    // The transcript was not to be deleted: its raw body stays.
    expect((await read.keys(`raw/calls/${id}/post_call_transcription/`)).length).toBe(1);
  });

  it('re-queues nothing on a redelivery when the sweep is off (no extra write)', async () => {
    const id = 'conv_delete_sweep_off';
    const body = transcription(id, { deletion_time_unix_secs: nowSecs() - 10, delete_transcript_and_pii: true, delete_audio: false });
    await deliver(body);
    await sweep(nowSecs() + 2 * DELETION_GRACE_SECONDS); // deleted, and out of the queue
    expect(await read.item(id)).not.toHaveProperty('deletion_queue');
    const sweepOff = { ...deps, store: createCallStore({ tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 }) };
    expect((await processWebhook(signedRequest(body), sweepOff)).response.body.status).toBe('duplicate');
    expect(await read.item(id)).not.toHaveProperty('deletion_queue');
  });

  it('also deletes the raw body of a delivery that failed after it was archived', async () => {
    const id = 'conv_delete_failed_delivery';
    await deliver(transcription(id, { deletion_time_unix_secs: nowSecs() - 10, delete_transcript_and_pii: true, delete_audio: true }));
    // An audio webhook whose item update failed (ElevenLabs never retries audio): its raw body, with the recording, stays in S3.
    const failing = { ...deps, store: { ...deps.store, applyUpdate: async () => Promise.reject(new StorageError('item', 'DynamoDB UpdateItem failed: simulated')) } };
    expect((await processWebhook(signedRequest(audio(id)), failing)).response.statusCode).toBe(500);
    expect(await read.keys(`raw/calls/${id}/post_call_audio/`)).toHaveLength(1);
    expect((await sweep(nowSecs())).failures).toEqual([]);
    expect(await objectsOf(id)).toEqual([]);
  });

  it('leaves a call alone until its deletion time, and deletes only what the settings name', async () => {
    const id = 'conv_delete_audio_only';
    const deletionTime = nowSecs() + 3600;
    await deliver(transcription(id, { deletion_time_unix_secs: deletionTime, delete_transcript_and_pii: false, delete_audio: true }));
    await deliver(audio(id));
    const before = await read.item(id);
    expect((await sweep(nowSecs())).due).toBe(0);
    expect(await read.exists(before!.audio_s3_key)).toBe(true);

    const report = await sweep(deletionTime);
    expect(report).toMatchObject({ due: 1, audioDeleted: 1, transcriptsDeleted: 0, failures: [] });
    const after = await read.item(id);
    expect(await read.exists(before!.audio_s3_key)).toBe(false);
    expect(await read.exists(before!.transcript_s3_key)).toBe(true);
    expect(after).toMatchObject({ transcript_s3_key: before!.transcript_s3_key, external_number: before!.external_number, transcript_summary: expect.any(String) });
    expect(after).not.toHaveProperty('audio_s3_key');
    expect(after).not.toHaveProperty('transcript_deleted_at');
    expect(await read.keys(`raw/calls/${id}/post_call_audio/`)).toEqual([]);
    expect(await read.keys(`raw/calls/${id}/post_call_transcription/`)).toHaveLength(1);
  });

  it('never touches another call, even one whose id starts with the same characters', async () => {
    const deletionTime = nowSecs() - 10;
    await deliver(transcription('conv_prefix', { deletion_time_unix_secs: deletionTime, delete_transcript_and_pii: true, delete_audio: true }));
    await deliver(transcription('conv_prefix_other', null));
    await deliver(audio('conv_prefix_other'));
    await deliver(audio('conv_prefix'));
    const other = await read.item('conv_prefix_other');
    const deleted = await read.item('conv_prefix');
    const otherObjects = await objectsOf('conv_prefix_other');
    expect(otherObjects).toHaveLength(3);
    await sweep(nowSecs());
    expect(await objectsOf('conv_prefix_other')).toEqual(otherObjects);
    expect(await objectsOf('conv_prefix')).toEqual([]);
    expect(await read.exists(deleted!.audio_s3_key)).toBe(false);
    expect(await read.exists(other!.transcript_s3_key)).toBe(true);
    expect(await read.exists(other!.audio_s3_key)).toBe(true);
    expect(await read.item('conv_prefix_other')).toEqual(other);
  });

  it('records ElevenLabs settings that schedule nothing, without entering the deletion index', async () => {
    await deliver(transcription('conv_keep', { deletion_time_unix_secs: null, delete_transcript_and_pii: false, delete_audio: false }));
    const item = await read.item('conv_keep');
    expect(item).toMatchObject({ delete_transcript_and_pii: false, delete_audio: false });
    expect(item).not.toHaveProperty('deletion_queue');
  });

  it('defers a call whose item changed while it was being swept, then deletes it on the next sweep', async () => {
    const id = 'conv_delete_race';
    const deletionTime = nowSecs() - 10;
    await deliver(transcription(id, { deletion_time_unix_secs: deletionTime, delete_transcript_and_pii: true, delete_audio: false }, nowSecs() - 100));
    const plan = planDeletion((await read.item(id))!, nowSecs());
    // A newer transcription arrives between the sweep's read and its update.
    await deliver(transcription(id, { deletion_time_unix_secs: deletionTime, delete_transcript_and_pii: true, delete_audio: false }, nowSecs() - 50));
    expect(await deletionStore.scrubCall(plan!.scrub)).toBe(false);
    expect(await read.item(id)).toHaveProperty('transcript_summary');
    const report = await sweep(nowSecs());
    expect(report.failures).toEqual([]);
    const item = await read.item(id);
    expect(item).not.toHaveProperty('transcript_summary');
    expect(await read.keys(`transcripts/${AGENT}/${id}/`)).toEqual([]);
  });

  it('reports a call it cannot delete and leaves it due for the next sweep', async () => {
    const id = 'conv_delete_s3_down';
    await deliver(transcription(id, { deletion_time_unix_secs: nowSecs() - 10, delete_transcript_and_pii: true, delete_audio: true }));
    const closedS3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, endpoint: 'http://127.0.0.1:9', forcePathStyle: true, maxAttempts: 1, requestHandler: STORAGE_HTTP_OPTIONS });
    const broken = createDeletionStore({ tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: closedS3 });
    const report = await sweepDeletions({ store: broken, now: () => new Date() });
    expect(report.failures).toEqual([expect.stringMatching(new RegExp(`^${id}: StorageError`))]);
    expect(await read.item(id)).toMatchObject({ deletion_queue: 'due', transcript_summary: expect.any(String) });
    expect((await sweep(nowSecs())).failures).toEqual([]);
    expect(await read.item(id)).not.toHaveProperty('transcript_summary');
  });
});

// Last: these calls stay in the queue for the sweep's second pass, which the tests above count.
describe('the personal data of every channel', () => {
  it.each(['whatsapp.outbound', 'phone.sip_trunking', 'sms'])('removes what identifies or describes the person of a %s conversation, and keeps the figures', async (fixture) => {
    const body = loadExample(`sdk/${fixture}`);
    const id = `conv_delete_${fixture}`;
    body.data.conversation_id = id;
    body.event_timestamp = nowSecs() - 30;
    body.data.metadata.deletion_settings = { deletion_time_unix_secs: nowSecs() - 60, delete_transcript_and_pii: true, delete_audio: false };
    await deliver(body);
    const personal = ['external_number', 'initiator_id', 'batch_call_recipient_id', 'evaluation_rationale', 'data_collection_rationale', 'timezone'];
    const before = (await read.item(id))!;
    expect(personal.filter((name) => name in before).length).toBeGreaterThanOrEqual(4);
    expect((await sweep(nowSecs())).failures).toEqual([]);
    const scrubbed = (await read.item(id))!;
    for (const attribute of PERSONAL_ATTRIBUTES) expect(scrubbed).not.toHaveProperty(attribute);
    // Not personal: the channel, the money, the campaign, the counts and the verdicts.
    for (const kept of ['channel', 'cost_fiat', 'charging', 'agent_turns', 'tool_calls', 'evaluation', 'phone_number_id', 'conversation_initiation_source']) {
      if (kept in before) expect(scrubbed[kept]).toEqual(before[kept]);
    }
    if (before.batch_call_id) expect(scrubbed.batch_call_id).toBe(before.batch_call_id);
  });
});
