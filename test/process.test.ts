import { ConfigurationError, StorageError } from '../lambda/errors';
import { processWebhook, type ProcessDependencies } from '../lambda/process';
import type { CallUpdate, StoreErrorRecord } from '../lambda/call-item';
import type { CallStore } from '../lambda/storage';
import { loadExample, signedRequest, TEST_SECRET } from './support/webhooks';

const NOW = new Date('2026-01-01T00:00:00Z');
const NOW_SECS = NOW.getTime() / 1000;

/**
 * Records what the flow asks of storage, in order; can be told to fail one kind of write. Like the
 * real store, it writes an update's object only once the update applied.
 */
function recordingStore(fail?: 'raw' | 'object' | 'item' | 'invalid_item') {
  const calls: string[] = [];
  const updates: CallUpdate[] = [];
  const storeErrors: StoreErrorRecord[] = [];
  const store: CallStore = {
    async putObject(key) {
      const kind = key.startsWith('raw/') ? 'raw' : 'object';
      if (fail === kind) throw new StorageError('object', 'S3 PutObject failed: NetworkingError (HTTP -)');
      calls.push(`put ${key}`);
    },
    async applyUpdate(update) {
      if (fail === 'item') throw new StorageError('item', 'DynamoDB UpdateItem failed: ServiceUnavailable (HTTP 503)');
      if (fail === 'invalid_item') {
        throw new StorageError('item', 'DynamoDB UpdateItem failed: ValidationException (HTTP 400)', { cause: Object.assign(new Error('x'), { name: 'ValidationException' }), permanent: true });
      }
      calls.push(`update ${update.eventType}`);
      updates.push(update);
      return 'created';
    },
    async recordStoreError(record) {
      calls.push(`store error ${record.eventType}`);
      storeErrors.push(record);
    },
  };
  return { store, calls, updates, storeErrors };
}

function deps(store: CallStore, overrides: Partial<ProcessDependencies> = {}): ProcessDependencies {
  return { getSecret: async () => TEST_SECRET, store, now: () => NOW, ...overrides };
}

const signed = (body: string | object, timestamp = NOW_SECS, secret = TEST_SECRET) => signedRequest(body, { timestamp, secret });

describe('processWebhook', () => {
  it('archives the body, which is the transcript, then stores the item pointing at it, and answers 200', async () => {
    const { store, calls, updates } = recordingStore();
    const { response, log } = await processWebhook(signed(loadExample('post_call_transcription.phone')), deps(store));
    expect(response).toEqual({ statusCode: 200, body: { status: 'stored', type: 'post_call_transcription', conversation_id: 'conv_7901kphone0inbound0000001' } });
    expect(calls).toEqual([expect.stringMatching(/^put raw\/calls\/conv_7901kphone0inbound0000001\/post_call_transcription\/1767225600-[0-9a-f]{32}\.json$/), 'update post_call_transcription']);
    // One copy of the bytes: the raw body is what the item calls its transcript.
    expect(`put ${updates[0].set.transcript_s3_key}`).toBe(calls[0]);
    expect(log).toMatchObject({ outcome: 'stored', status_code: 200, agent_id: 'agent_7901kdemo0support000000001' });
  });

  it('keeps an audio delivery as a small envelope and its decoded MP3, not its body, before the item points at them', async () => {
    const example = loadExample('post_call_audio');
    const { store, calls, updates } = recordingStore();
    const { response, log } = await processWebhook(signed(example), deps(store));
    expect(response.statusCode).toBe(200);
    expect(calls).toEqual([expect.stringMatching(/^put raw\/calls\/abc\/post_call_audio\/\d+-[0-9a-f]{32}\.json$/), 'put audio/calls/abc/1739537319.mp3', 'update post_call_audio']);
    const mp3Bytes = Buffer.from(example.data.full_audio, 'base64').length;
    expect(updates[0].set).toMatchObject({ audio_s3_key: 'audio/calls/abc/1739537319.mp3', audio_bytes: mp3Bytes });
    // Each byte once: the MP3, and an envelope of a few hundred bytes, not the base64 body again.
    expect(log.stored_bytes).toBeGreaterThan(mp3Bytes);
    expect(log.stored_bytes).toBeLessThan(mp3Bytes + 1024);
  });

  it('archives an audio delivery that is stale for the item too: a redelivery after a deletion is swept again', async () => {
    const { store, calls } = recordingStore();
    store.applyUpdate = async (update) => {
      calls.push(`update ${update.eventType}`);
      return 'stale';
    };
    const { response } = await processWebhook(signed(loadExample('post_call_audio')), deps(store));
    expect(response.body.status).toBe('duplicate');
    expect(calls).toEqual([expect.stringMatching(/^put raw\//), expect.stringMatching(/^put audio\//), 'update post_call_audio']);
  });

  it('archives whole, before answering 400, an audio body that is not base64', async () => {
    const example = loadExample('post_call_audio');
    example.data.full_audio = 'not base64 at all!';
    const { store, calls } = recordingStore();
    const { response } = await processWebhook(signed(example), deps(store));
    expect(response.statusCode).toBe(400);
    expect(calls).toEqual([expect.stringMatching(/^put raw\/calls\/abc\/post_call_audio\//)]);
  });

  it('keeps a call DynamoDB refuses to store as a minimal item pointing at its raw body, answers 200 and counts it', async () => {
    const { store, calls, storeErrors } = recordingStore('invalid_item');
    const { response, log } = await processWebhook(signed(loadExample('post_call_transcription.phone')), deps(store));
    expect(response).toEqual({ statusCode: 200, body: { status: 'store_error', type: 'post_call_transcription', conversation_id: 'conv_7901kphone0inbound0000001' } });
    expect(log).toMatchObject({ outcome: 'store_error', error_name: 'StorageError', error_reason: 'item', error_message: 'DynamoDB UpdateItem failed: ValidationException (HTTP 400)' });
    expect(storeErrors).toEqual([
      {
        conversationId: 'conv_7901kphone0inbound0000001',
        agentId: 'agent_7901kdemo0support000000001',
        eventType: 'post_call_transcription',
        eventTimestamp: 1764000030,
        rawKey: calls[0].slice('put '.length),
        error: 'ValidationException',
      },
    ]);
  });

  it('answers 500, not a minimal item, when storage fails for a reason a retry can change', async () => {
    const { store, storeErrors } = recordingStore('item');
    const { response } = await processWebhook(signed(loadExample('post_call_transcription.phone')), deps(store));
    expect(response.statusCode).toBe(500);
    expect(storeErrors).toEqual([]);
  });

  it.each([
    ['a wrong secret', () => signed(loadExample('post_call_audio'), NOW_SECS, 'wsec_wrong')],
    ['a stale signature', () => signed(loadExample('post_call_audio'), NOW_SECS - 31 * 60)],
    ['no signature', () => ({ rawBody: Buffer.from('{}'), signatureHeader: undefined })],
  ])('answers 401 to %s and stores nothing', async (_label, request) => {
    const { store, calls } = recordingStore();
    const { response, log } = await processWebhook(request(), deps(store));
    expect(response.statusCode).toBe(401);
    expect(response.body.error).toBe('invalid_signature');
    expect(calls).toEqual([]);
    expect(log.error_name).toBe('SignatureError');
  });

  it('answers 400 to signed malformed JSON, after archiving it for inspection', async () => {
    const { store, calls } = recordingStore();
    const { response } = await processWebhook(signed('{"type":"post_call_transcription",'), deps(store));
    expect(response.statusCode).toBe(400);
    expect(calls).toEqual([expect.stringMatching(/^put raw\//)]);
  });

  it('answers 400 when full_audio decodes to nothing', async () => {
    const { store } = recordingStore();
    const { response } = await processWebhook(signed({ type: 'post_call_audio', data: { conversation_id: 'c', full_audio: '====' } }), deps(store));
    expect(response.statusCode).toBe(400);
  });

  it('answers 400 to full_audio that is not base64 (the docs placeholder), after archiving it', async () => {
    const { store, calls } = recordingStore();
    const body = { type: 'post_call_audio', data: { conversation_id: 'c', agent_id: 'a', full_audio: 'base64-encoded-audio-data...' } };
    const { response } = await processWebhook(signed(body), deps(store));
    expect(response.statusCode).toBe(400);
    expect(response.body.message).toMatch(/not base64/);
    expect(calls).toEqual([expect.stringMatching(/^put raw\/calls\/c\/post_call_audio\//)]);
  });

  it('accepts and archives an unknown event type with 200 so the webhook is never disabled', async () => {
    const { store, calls } = recordingStore();
    const { response } = await processWebhook(signed({ type: 'agent_did_something_new', event_timestamp: NOW_SECS, data: {} }), deps(store));
    expect(response).toEqual({ statusCode: 200, body: { status: 'ignored', type: 'agent_did_something_new' } });
    expect(calls).toHaveLength(1);
  });

  it.each(['raw', 'object', 'item'] as const)('answers 500 when the %s write fails, so ElevenLabs can retry', async (fail) => {
    const { store } = recordingStore(fail);
    const { response, log } = await processWebhook(signed(loadExample(fail === 'object' ? 'post_call_audio' : 'post_call_transcription')), deps(store));
    expect(response).toEqual({ statusCode: 500, body: { error: 'storage_unavailable' } });
    expect(log.error_name).toBe('StorageError');
  });

  it('fails closed with 500 while the secret is unset', async () => {
    const { store, calls } = recordingStore();
    const getSecret = async () => {
      throw new ConfigurationError('secret_unset', 'The webhook secret is not set.');
    };
    const { response, log } = await processWebhook(signed(loadExample('post_call_audio')), deps(store, { getSecret }));
    expect(response).toEqual({ statusCode: 500, body: { error: 'not_configured' } });
    expect(log.error_reason).toBe('secret_unset');
    expect(calls).toEqual([]);
  });

  it('refuses a missing or stale signature without reading the secret', async () => {
    const { store } = recordingStore();
    let reads = 0;
    const getSecret = async () => {
      reads += 1;
      return TEST_SECRET;
    };
    await processWebhook({ rawBody: Buffer.from('{}'), signatureHeader: undefined }, deps(store, { getSecret }));
    await processWebhook(signed(loadExample('post_call_audio'), NOW_SECS - 3600), deps(store, { getSecret }));
    expect(reads).toBe(0);
  });

  it('verifies with the stored secret when the cached one no longer matches (rotation)', async () => {
    const { store } = recordingStore();
    const getSecret = async (options?: { refresh?: boolean }) => (options?.refresh ? 'wsec_rotated' : TEST_SECRET);
    const { response } = await processWebhook(signed(loadExample('post_call_audio'), NOW_SECS, 'wsec_rotated'), deps(store, { getSecret }));
    expect(response.statusCode).toBe(200);
  });

  it('logs no message of an unexpected error, which could quote the payload', async () => {
    const { store } = recordingStore();
    store.applyUpdate = async () => {
      throw new RangeError('value +15550100123 out of range');
    };
    const { response, log } = await processWebhook(signed(loadExample('call_initiation_failure.sip')), deps(store));
    expect(response).toEqual({ statusCode: 500, body: { error: 'internal_error' } });
    expect(log).toMatchObject({ error_name: 'RangeError' });
    expect(JSON.stringify(log)).not.toContain('+1555');
  });

  it('refuses a source outside the allow-list with 403 before reading the secret or storing anything', async () => {
    const { store, calls } = recordingStore();
    let reads = 0;
    const getSecret = async () => {
      reads += 1;
      return TEST_SECRET;
    };
    const allowedSourceIps = new Set(['34.67.146.145']);
    const { response, log } = await processWebhook({ ...signed(loadExample('post_call_audio')), sourceIp: '203.0.113.9' }, deps(store, { getSecret, allowedSourceIps }));
    expect(response).toEqual({ statusCode: 403, body: { error: 'forbidden_source' } });
    expect(log).toMatchObject({ outcome: 'forbidden', status_code: 403 });
    expect([reads, calls]).toEqual([0, []]);
    const allowed = await processWebhook({ ...signed(loadExample('post_call_audio')), sourceIp: '34.67.146.145' }, deps(store, { getSecret, allowedSourceIps }));
    expect(allowed.response.statusCode).toBe(200);
  });

  it('answers a redelivery that changes nothing as a duplicate', async () => {
    const { store } = recordingStore();
    store.applyUpdate = async () => 'stale';
    const { response } = await processWebhook(signed(loadExample('call_initiation_failure.sip')), deps(store));
    expect(response.body.status).toBe('duplicate');
  });
});
