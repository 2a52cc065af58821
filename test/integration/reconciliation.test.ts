import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createElevenLabsApi } from '../../lambda/elevenlabs-api';
import { processWebhook } from '../../lambda/process';
import { backfill, backfillConversation, reconcileAudio, type ReconciliationDependencies } from '../../lambda/reconciliation';
import { createReconciliationStore } from '../../lambda/reconciliation-store';
import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { fakeAudioChunk, startFakeElevenLabsApi, type FakeElevenLabsApi } from '../support/fake-elevenlabs-api';
import { storageReader } from '../support/storage';
import { loadExample, signedRequest, TEST_SECRET } from '../support/webhooks';

/*
 * The ElevenLabs API closing what webhooks leave open, end to end: the real storage adapter against
 * dynalite and s3rver, and the real API client against a faithful fake of the API.
 */
const API_KEY = 'sk_test_reconciliation';
const HOUR = 3600;
const now = Math.floor(Date.now() / 1000);
const LARGE_AUDIO = 12 * 1024 * 1024;

let emulators: Emulators;
let api: FakeElevenLabsApi;
let deps: ReconciliationDependencies;
let read: ReturnType<typeof storageReader>;

beforeAll(async () => {
  emulators = await startEmulators();
  read = storageReader(emulators);
  api = await startFakeElevenLabsApi({
    apiKey: API_KEY,
    pageSize: 2,
    conversations: [
      { conversation_id: 'conv_long_call', agent_id: 'agent_a', start_time_unix_secs: now - HOUR, call_duration_secs: 1800, has_audio: true, audioBytes: LARGE_AUDIO },
      { conversation_id: 'conv_deleted_audio', agent_id: 'agent_a', start_time_unix_secs: now - 2 * HOUR, has_audio: true },
      { conversation_id: 'conv_missed_1', agent_id: 'agent_a', start_time_unix_secs: now - 3 * HOUR, has_audio: true, audioBytes: 30_000 },
      { conversation_id: 'conv_missed_2', agent_id: 'agent_b', start_time_unix_secs: now - 4 * HOUR, has_audio: false },
      { conversation_id: 'conv_old', agent_id: 'agent_a', start_time_unix_secs: now - 48 * HOUR, has_audio: false },
      // Outside every backfill window here: read by the tests that name them.
      { conversation_id: 'conv_audio_vanished', agent_id: 'agent_a', start_time_unix_secs: now - 96 * HOUR, has_audio: true, audioBytes: 10_000 },
      { conversation_id: 'conv_memory_small', agent_id: 'agent_m', start_time_unix_secs: now - 96 * HOUR, has_audio: true, audioBytes: 8 * 1024 * 1024 },
      { conversation_id: 'conv_memory_large', agent_id: 'agent_m', start_time_unix_secs: now - 96 * HOUR, has_audio: true, audioBytes: 64 * 1024 * 1024 },
    ],
  });
  api.deleteAudio('conv_deleted_audio');
  deps = {
    api: createElevenLabsApi({ apiKey: API_KEY, baseUrl: api.baseUrl, sleep: async () => undefined }),
    store: createReconciliationStore({ tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 }),
    now: () => new Date(),
  };
});

afterAll(async () => {
  await api?.close();
  await emulators?.close();
});

/** A transcription webhook for one of the fake's conversations, stored as the webhook handler stores it. */
async function deliverTranscription(conversationId: string, agentId: string, extra: Record<string, unknown> = {}) {
  const body: Record<string, any> = { ...loadExample('post_call_transcription.phone'), event_timestamp: Math.floor(Date.now() / 1000) };
  Object.assign(body.data, { conversation_id: conversationId, agent_id: agentId, has_audio: true, ...extra });
  const scheduled: string[] = [];
  const { response } = await processWebhook(signedRequest(body), {
    getSecret: async () => TEST_SECRET,
    store: deps.store,
    now: deps.now,
    scheduleAudioCheck: async (id) => {
      scheduled.push(id);
    },
  });
  return { status: response.statusCode, scheduled };
}

function sha256(buffer: Buffer) {
  return createHash('sha256').update(buffer).digest('hex');
}

describe('API reconciliation', () => {
  it('queues an audio check for a transcription that says the call has audio', async () => {
    expect(await deliverTranscription('conv_long_call', 'agent_a')).toEqual({ status: 200, scheduled: ['conv_long_call'] });
  });

  it('streams audio too large for any webhook from the API into S3, byte for byte', async () => {
    expect(await reconcileAudio('conv_long_call', deps)).toBe('fetched');
    const item = await read.item('conv_long_call');
    expect(item).toMatchObject({ audio_source: 'api', audio_bytes: LARGE_AUDIO, audio_s3_key: 'audio/calls/conv_long_call/api.mp3', call_successful: 'success' });
    const stored = await read.object(item!.audio_s3_key);
    expect(stored.contentType).toBe('audio/mpeg');
    expect(sha256(stored.body)).toBe(sha256(fakeAudioChunk('conv_long_call', 0, LARGE_AUDIO)));
    expect([...item!.events_received].sort()).toEqual(['api_audio', 'post_call_transcription']);
  });

  it('streams with flat memory: eight times the recording takes no more memory', async () => {
    // Measured in a process of its own, so the emulators and the fake API here do not count.
    const measure = async (conversationId: string) => {
      const script = join(__dirname, '..', 'support', 'measure-audio-upload.ts');
      const { stdout } = await promisify(execFile)(join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx'), [script, api.baseUrl, API_KEY, conversationId], { env: { ...process.env, ...emulators.environment } });
      return JSON.parse(stdout) as { bytes: number; arrayBuffersGrowth: number };
    };
    const small = await measure('conv_memory_small');
    const large = await measure('conv_memory_large');
    expect([small.bytes, large.bytes]).toEqual([8 * 1024 * 1024, 64 * 1024 * 1024]);
    // Flat, not tight: on a loaded machine the upload falls behind by a part or two (5 MB each);
    // memory that followed the recording's size would add 56 MB here.
    expect(large.arrayBuffersGrowth).toBeLessThan(small.arrayBuffersGrowth + 24 * 1024 * 1024);
    expect(large.arrayBuffersGrowth).toBeLessThan(large.bytes / 2);
  });

  it('does nothing more for audio already stored, and an audio webhook arriving later changes nothing', async () => {
    const requests = api.requests.length;
    expect(await reconcileAudio('conv_long_call', deps)).toBe('present');
    expect(api.requests.length).toBe(requests);
    const audio = loadExample('post_call_audio');
    Object.assign(audio.data, { conversation_id: 'conv_long_call', agent_id: 'agent_a' });
    const { response } = await processWebhook(signedRequest(audio), { getSecret: async () => TEST_SECRET, store: deps.store, now: deps.now });
    expect(response.body.status).toBe('duplicate');
    const item = await read.item('conv_long_call');
    expect(item).toMatchObject({ audio_source: 'api', audio_bytes: LARGE_AUDIO });
    expect((await read.object(item!.audio_s3_key)).body.length).toBe(LARGE_AUDIO);
  });

  it('waits for a transcription before asking for audio, so a call in progress is never marked deleted', async () => {
    const requests = api.requests.length;
    expect(await reconcileAudio('conv_deleted_audio', deps)).toBe('waiting');
    expect(api.requests.length).toBe(requests);
    expect(await read.item('conv_deleted_audio')).toBeUndefined();
  });

  it('records audio ElevenLabs has deleted, once, instead of retrying for ever', async () => {
    await deliverTranscription('conv_deleted_audio', 'agent_a');
    expect(await reconcileAudio('conv_deleted_audio', deps)).toBe('deleted');
    expect(await read.item('conv_deleted_audio')).toMatchObject({ audio_fetch_status: 'deleted', has_audio: true });
    const requests = api.requests.length;
    expect(await reconcileAudio('conv_deleted_audio', deps)).toBe('no_audio');
    expect(api.requests.length).toBe(requests);
  });

  it('retries a rate-limited audio download as told, then stores it', async () => {
    api.failNext(/conv_missed_1\/audio/, { status: 429, retryAfter: '1' }, { status: 503 });
    await deliverTranscription('conv_missed_1', 'agent_a');
    expect(await reconcileAudio('conv_missed_1', deps)).toBe('fetched');
  });

  it('refuses an answer about another conversation: recorded as that call\'s failure, nothing stored, the run carries on', async () => {
    const { conversation: real } = await deps.api.getConversation('conv_missed_2');
    api.failNext(/\/conversations\/conv_missed_2$/, { json: { ...real, conversation_id: 'conv_impostor' } });
    expect(await backfill({ sinceUnixSecs: now - 24 * HOUR }, deps)).toEqual({ listed: 4, stored: 0, audioFetched: 0, audioDeleted: 0, failures: ['conv_missed_2: ElevenLabsApiError server'] });
    expect(await read.item('conv_impostor')).toBeUndefined();
    expect(await read.item('conv_missed_2')).toBeUndefined();
  });

  it('fetches the audio again when the item points at an MP3 that was never written (its function stopped in between)', async () => {
    expect(await deliverTranscription('conv_audio_vanished', 'agent_a')).toMatchObject({ status: 200 });
    await deps.store.applyUpdate({ conversationId: 'conv_audio_vanished', eventType: 'post_call_audio', eventTimestamp: 1, set: { has_audio: true, audio_s3_key: 'audio/calls/conv_audio_vanished/1.mp3', audio_bytes: 5, audio_source: 'webhook' }, setIfMissing: {} }, { now: new Date() });
    expect(await reconcileAudio('conv_audio_vanished', deps)).toBe('fetched');
    const item = await read.item('conv_audio_vanished');
    expect(item).toMatchObject({ audio_source: 'api', audio_s3_key: 'audio/calls/conv_audio_vanished/api.mp3' });
    expect((await read.object(item!.audio_s3_key)).body.length).toBe(item!.audio_bytes);
    expect(await reconcileAudio('conv_audio_vanished', deps)).toBe('present');
  });

  it('backfills a conversation nested too deep to re-serialize: stored from the answer as it came, the depth cut', async () => {
    const { conversation } = await deps.api.getConversation('conv_missed_2');
    Object.assign(conversation, { conversation_id: 'conv_deep', conversation_initiation_client_data: { dynamic_variables: { deep: '__DEEP__', kept: 'yes' } } });
    // 6,000 levels: JSON.stringify throws a RangeError on them, JSON.parse does not.
    const text = JSON.stringify(conversation).replace('"__DEEP__"', () => `${'['.repeat(6_000)}1${']'.repeat(6_000)}`);
    api.failNext(/\/conversations\/conv_deep$/, { jsonText: text });
    expect(await backfillConversation({ conversation_id: 'conv_deep', status: 'done' }, deps)).toBe('stored');
    const item = await read.item('conv_deep');
    expect(item).toMatchObject({ dynamic_variables: { kept: 'yes' }, truncated_fields: ['dynamic_variables'] });
    expect((await read.object(item!.transcript_s3_key)).body.toString()).toContain(text);
  });

  it('backfills the same record as the webhook: the API answers with the same object', async () => {
    const data = { ...loadExample('sdk/phone.sip_trunking').data, conversation_id: 'conv_sdk_backfill' };
    api.failNext(/\/conversations\/conv_sdk_backfill$/, { jsonText: JSON.stringify(data) });
    expect(await backfillConversation({ conversation_id: 'conv_sdk_backfill', status: 'done' }, deps)).toBe('stored');
    expect(await read.item('conv_sdk_backfill')).toMatchObject({
      channel: 'phone', external_number: '+16305550112', cost_fiat: 0.033171, batch_call_id: 'btcal_4401k2reminders0march01',
      tools_used: new Set(['confirm_appointment', 'end_call']), evaluation_rationale: expect.any(Object), tag_ids: new Set(['tag_4401k2reminders00000001']),
    });
  });

  it('backfills the calls whose webhooks never came, and their audio, within the period', async () => {
    const report = await backfill({ sinceUnixSecs: now - 24 * HOUR }, deps);
    expect(report).toMatchObject({ listed: 4, stored: 1, failures: [] });
    const missed = await read.item('conv_missed_2');
    expect(missed).toMatchObject({ agent_id: 'agent_b', cost: 100, termination_reason: 'end_call', call_successful: 'success' });
    expect([...missed!.events_received]).toEqual(['api_backfill']);
    expect(JSON.parse((await read.object(missed!.transcript_s3_key)).body.toString())).toMatchObject({ type: 'post_call_transcription', source: 'elevenlabs_api' });
    expect(await read.item('conv_old')).toBeUndefined();
  });

  it('stores nothing twice when run again', async () => {
    const before = await read.item('conv_missed_2');
    expect(await backfill({ sinceUnixSecs: now - 24 * HOUR }, deps)).toMatchObject({ listed: 4, stored: 0, audioFetched: 0, failures: [] });
    expect(await read.item('conv_missed_2')).toEqual(before);
  });

  it('lets the real transcription webhook, arriving after a backfill, win', async () => {
    expect((await deliverTranscription('conv_missed_2', 'agent_b', { agent_name: 'From the webhook' })).status).toBe(200);
    expect(await read.item('conv_missed_2')).toMatchObject({ agent_name: 'From the webhook', cost: 142 });
  });

  it('stops a backfill run at a rate limit it should not wait out, leaving the rest to the next run', async () => {
    api.failNext(/\/v1\/convai\/conversations$/, { status: 429, retryAfter: '3600' });
    expect(await backfill({ sinceUnixSecs: now - 24 * HOUR }, deps)).toMatchObject({ listed: 0, stoppedEarly: 'rate_limited' });
  });

  it('stops at its deadline', async () => {
    expect(await backfill({ sinceUnixSecs: now - 24 * HOUR, deadlineMs: Date.now() - 1 }, deps)).toMatchObject({ listed: 0, stoppedEarly: 'deadline' });
  });

  it('stops at its deadline while the list sends only empty pages', async () => {
    let pages = 0;
    // Ends after 1000 pages, so a run that misses its deadline fails on the report, not a hang.
    api.serveListPages(() => ({ conversations: [], has_more: (pages += 1) < 1000, next_cursor: `empty_${pages}` }));
    try {
      let clock = Date.now();
      const ticking = { ...deps, now: () => new Date((clock += 1000)) };
      expect(await backfill({ sinceUnixSecs: now - 24 * HOUR, deadlineMs: clock + 10_000 }, ticking)).toMatchObject({ listed: 0, stoppedEarly: 'deadline' });
      expect(pages).toBeLessThanOrEqual(10);
    } finally {
      api.serveListPages(undefined);
    }
  });

  it('narrows the backfill to one agent', async () => {
    const listed = api.requests.filter((r) => r.path === '/v1/convai/conversations').length;
    expect(await backfill({ sinceUnixSecs: now - 24 * HOUR, agentId: 'agent_b' }, deps)).toMatchObject({ listed: 1 });
    expect(api.requests.filter((r) => r.path === '/v1/convai/conversations').slice(listed)[0].query).toMatchObject({ agent_id: 'agent_b' });
  });
});
