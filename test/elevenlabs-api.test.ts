import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createElevenLabsApi, ElevenLabsApiError, type ElevenLabsApiOptions } from '../lambda/elevenlabs-api';
import { ConfigurationError } from '../lambda/errors';
import { fakeAudioChunk, startFakeElevenLabsApi, type FakeConversation, type FakeElevenLabsApi } from './support/fake-elevenlabs-api';

/* The client through Node's own fetch against a loopback fake; waits are recorded, not slept. */
const API_KEY = 'sk_test_0123456789abcdef';
const CONVERSATION = /^\/v1\/convai\/conversations\/conv_1$/;
const TWELVE_MB = 12 * 1024 * 1024;
const call = (id: string, agent = 'agent_a', start = 1_700_000_000): FakeConversation => ({ conversation_id: id, agent_id: agent, start_time_unix_secs: start });

let fake: FakeElevenLabsApi;
let waits: number[];

async function setUp(conversations: FakeConversation[] = [call('conv_1')], options: Partial<ElevenLabsApiOptions> = {}) {
  fake = await startFakeElevenLabsApi({ apiKey: API_KEY, conversations });
  waits = [];
  const sleep = async (ms: number) => void waits.push(ms);
  return createElevenLabsApi({ apiKey: API_KEY, baseUrl: fake.baseUrl, sleep, ...options });
}

afterEach(() => fake?.close());

/** Reads a listing to its end, the way backfill does. */
async function drain(listing: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of listing);
}

async function failureOf(promise: Promise<unknown>): Promise<ElevenLabsApiError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ElevenLabsApiError);
  return error as ElevenLabsApiError;
}

describe('getConversation', () => {
  it('returns the conversation, the same object as the webhook data', async () => {
    const { conversation, text } = await (await setUp()).getConversation('conv_1');
    expect(JSON.parse(text)).toEqual(conversation);
    expect(conversation).toMatchObject({ conversation_id: 'conv_1', agent_id: 'agent_a', status: 'done', has_audio: true, metadata: { start_time_unix_secs: 1_700_000_000 } });
    expect(conversation.transcript).toHaveLength(2);
    expect(fake.requests).toEqual([{ method: 'GET', path: '/v1/convai/conversations/conv_1', query: {} }]);
  });

  it('fails as unauthorized without retrying when the key is refused, and never shows the key', async () => {
    await setUp();
    const api = createElevenLabsApi({ apiKey: 'sk_wrong_key', baseUrl: fake.baseUrl, sleep: async () => undefined });
    const error = await failureOf(api.getConversation('conv_1'));
    expect(error).toMatchObject({ name: 'ElevenLabsApiError', reason: 'unauthorized', status: 401 });
    expect(error.message).toMatch(/ELEVENLABS_API_KEY/);
    expect(`${error.message} ${error.stack}`).not.toMatch(/sk_wrong_key/);
    expect(fake.requests).toHaveLength(1);
  });

  it('fails as not_found at once for an unknown conversation', async () => {
    const error = await failureOf((await setUp()).getConversation('conv_missing'));
    expect(error).toMatchObject({ reason: 'not_found', status: 404 });
    expect(fake.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('fails as client at once on another 4xx', async () => {
    const api = await setUp();
    fake.failNext(CONVERSATION, { status: 422 });
    expect(await failureOf(api.getConversation('conv_1'))).toMatchObject({ reason: 'client', status: 422 });
    expect(fake.requests).toHaveLength(1);
  });

  it('waits the Retry-After seconds after a 429, then succeeds', async () => {
    const api = await setUp();
    fake.failNext(CONVERSATION, { status: 429, retryAfter: '2' });
    expect((await api.getConversation('conv_1')).conversation).toMatchObject({ conversation_id: 'conv_1' });
    expect(waits).toEqual([2000]);
  });

  it('waits until a Retry-After HTTP-date', async () => {
    const api = await setUp();
    fake.failNext(CONVERSATION, { status: 429, retryAfter: new Date(Date.now() + 3000).toUTCString() });
    await api.getConversation('conv_1');
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(1000);
    expect(waits[0]).toBeLessThanOrEqual(3000);
  });

  it('gives up at once when Retry-After asks for longer than a request should wait, saying how long', async () => {
    const api = await setUp();
    fake.failNext(CONVERSATION, { status: 429, retryAfter: '3600' });
    await expect(api.getConversation('conv_1')).rejects.toMatchObject({ reason: 'rate_limited', retryAfterMs: 3_600_000 });
    expect(waits).toEqual([]);
  });

  it('backs off when a 429 has no Retry-After', async () => {
    const api = await setUp();
    fake.failNext(CONVERSATION, { status: 429 });
    await api.getConversation('conv_1');
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeLessThan(500);
  });

  it('backs off with full jitter after 503s, then succeeds', async () => {
    const api = await setUp();
    fake.failNext(CONVERSATION, { status: 503 }, { status: 503 });
    expect((await api.getConversation('conv_1')).conversation).toMatchObject({ conversation_id: 'conv_1' });
    expect(waits).toHaveLength(2);
    waits.forEach((ms, i) => expect(ms >= 0 && ms < 500 * 2 ** i).toBe(true));
    expect(fake.requests).toHaveLength(3);
  });

  it('gives up as server after maxAttempts', async () => {
    const api = await setUp(undefined, { maxAttempts: 3 });
    fake.failNext(CONVERSATION, { status: 500 }, { status: 502 }, { status: 503 });
    expect(await failureOf(api.getConversation('conv_1'))).toMatchObject({ reason: 'server', status: 503 });
    expect(fake.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('gives up as rate_limited, saying how often it retried', async () => {
    const api = await setUp(undefined, { maxAttempts: 2 });
    fake.failNext(CONVERSATION, { status: 429, retryAfter: '1' }, { status: 429, retryAfter: '1' });
    expect((await failureOf(api.getConversation('conv_1'))).message).toMatch(/ElevenLabs rate limit: retried 1 times/);
  });

  it('times out an attempt whose headers are late, retries, and gives up as timeout', async () => {
    const api = await setUp(undefined, { maxAttempts: 2, timeoutMs: 200 });
    fake.failNext(CONVERSATION, { delayMs: 1000 }, { delayMs: 1000 });
    const started = Date.now();
    expect(await failureOf(api.getConversation('conv_1'))).toMatchObject({ reason: 'timeout', status: undefined });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.requests).toHaveLength(2);
  });

  it('gives up as network when nothing listens', async () => {
    const api = await setUp(undefined, { maxAttempts: 2 });
    await fake.close();
    expect(await failureOf(api.getConversation('conv_1'))).toMatchObject({ reason: 'network', status: undefined });
  });

  it('refuses, without retrying, an answer about another conversation than the one asked for', async () => {
    const api = await setUp([{ ...call('conv_1'), data: { conversation_id: 'conv_2', agent_id: 'agent_a', status: 'done' } }]);
    const error = await failureOf(api.getConversation('conv_1'));
    expect(error).toMatchObject({ reason: 'server', status: 200 });
    expect(error.message).toMatch(/conversation conv_1 with another conversation_id/);
    expect(fake.requests).toHaveLength(1);
  });

  it('URL-encodes ids, so a slash stays inside one path segment', async () => {
    expect((await (await setUp([call('conv/with?odd#chars')])).getConversation('conv/with?odd#chars')).conversation).toMatchObject({ conversation_id: 'conv/with?odd#chars' });
    expect(fake.requests[0].path).toBe('/v1/convai/conversations/conv%2Fwith%3Fodd%23chars');
  });
});

describe('listConversations', () => {
  it('lists 250 conversations newest first over pages of 100, following the cursors', async () => {
    const api = await setUp(Array.from({ length: 250 }, (_, i) => call(`conv_${i}`, 'agent_a', 1_700_000_000 + i)));
    const listed = [];
    for await (const conversation of api.listConversations()) listed.push(conversation);
    expect(listed.map((c) => c.conversation_id)).toEqual(Array.from({ length: 250 }, (_, i) => `conv_${249 - i}`));
    expect(listed[0]).toMatchObject({ agent_id: 'agent_a', start_time_unix_secs: 1_700_000_249, status: 'done' });
    const queries = fake.requests.map((r) => r.query);
    expect(queries).toEqual([{ page_size: '100' }, { page_size: '100', cursor: expect.any(String) }, { page_size: '100', cursor: expect.any(String) }]);
    expect(queries[1].cursor).not.toBe(queries[2].cursor);
  });

  it('filters by agent and start time', async () => {
    const api = await setUp([call('a_old', 'agent_a', 100), call('a_mid', 'agent_a', 200), call('a_new', 'agent_a', 300), call('b_mid', 'agent_b', 200)]);
    const ids = [];
    for await (const c of api.listConversations({ agentId: 'agent_a', callStartAfterUnix: 150, callStartBeforeUnix: 350, pageSize: 1 })) ids.push(c.conversation_id);
    expect(ids).toEqual(['a_new', 'a_mid']);
    expect(fake.requests[0].query).toEqual({ agent_id: 'agent_a', call_start_after_unix: '150', call_start_before_unix: '350', page_size: '1' });
  });

  it('stops with an error on a cursor it has already seen, A B A, after three requests', async () => {
    const api = await setUp();
    // The guard ends the circle at 10 requests, so a client that misses it fails on the count, not a hang.
    fake.serveListPages((cursor) => ({ conversations: [], has_more: fake.requests.length < 10, next_cursor: cursor === 'A' ? 'B' : 'A' }));
    const error = await failureOf(drain(api.listConversations()));
    expect(error).toMatchObject({ reason: 'server', status: 200 });
    expect(error.message).toMatch(/cursor it had already returned/);
    expect(fake.requests.map((r) => r.query.cursor)).toEqual([undefined, 'A', 'B']);
  });

  it('asks shouldStop before every page and ends there, even while pages come back empty', async () => {
    const api = await setUp();
    fake.serveListPages(() => ({ conversations: [], has_more: fake.requests.length < 50, next_cursor: `page_${fake.requests.length}` }));
    let asked = 0;
    await drain(api.listConversations({ shouldStop: () => (asked += 1) > 5 }));
    expect(asked).toBe(6);
    expect(fake.requests).toHaveLength(5);
  });
});

describe('the base URL', () => {
  const create = (baseUrl: string) => () => createElevenLabsApi({ apiKey: API_KEY, baseUrl });
  const refusal = (baseUrl: string): Error | undefined => {
    try {
      create(baseUrl)();
    } catch (error) {
      return error as Error;
    }
    return undefined;
  };

  it('must be https off loopback: plain http fails when the client is created, saying so', () => {
    expect(create('http://api.elevenlabs.io')).toThrow(ConfigurationError);
    expect(create('http://api.elevenlabs.io')).toThrow(/must use https/);
    expect(create('ftp://127.0.0.1')).toThrow(/must use https/);
  });

  it('may be plain http to localhost, 127.0.0.0/8 or ::1, for tests and local fakes', () => {
    for (const url of ['https://api.eu.residency.elevenlabs.io/', 'http://localhost:8080', 'http://127.0.0.2:1', 'http://127.1', 'http://[::1]:3000']) expect(create(url)).not.toThrow();
    expect(create('http://localhost.example.com')).toThrow(/must use https/);
  });

  it('is refused without being quoted when it is not a URL or carries credentials, a query or a fragment', () => {
    for (const [url, problem] of [['sk_pasted_key_by_mistake', /not a URL/], ['https://user:sk_pasted_key@api.elevenlabs.io', /user name, password/], ['https://api.elevenlabs.io/?key=sk_pasted_key', /query/]] as const) {
      const error = refusal(url);
      expect(error).toMatchObject({ name: 'ConfigurationError', reason: 'environment', message: expect.stringMatching(problem) });
      expect(error?.message).not.toMatch(/sk_pasted/);
    }
  });
});

describe('a redirect', () => {
  it('is not followed, so the API key never reaches another origin', async () => {
    const keysSeen: unknown[] = [];
    const elsewhere = createServer((request, response) => {
      keysSeen.push(request.headers['xi-api-key']);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ conversation_id: 'conv_1' }));
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    try {
      const api = await setUp();
      fake.failNext(CONVERSATION, { redirectTo: `${elsewhereUrl}/v1/convai/conversations/conv_1` });
      const outcome = api.getConversation('conv_1');
      await outcome.catch(() => undefined);
      expect(keysSeen).toEqual([]);
      const error = await failureOf(outcome);
      expect(error).toMatchObject({ reason: 'client', status: 302 });
      expect(error.message).toContain(`redirect (HTTP 302 to ${elsewhereUrl})`);
      expect(error.message).not.toContain(API_KEY);
      expect(fake.requests).toHaveLength(1);
    } finally {
      elsewhere.closeAllConnections();
      elsewhere.close();
    }
  });
});

describe('a recording served from elsewhere', () => {
  it('is fetched through one redirect without the API key, as from signed storage', async () => {
    const keysSeen: unknown[] = [];
    const storage = createServer((request, response) => {
      keysSeen.push(request.headers['xi-api-key']);
      response.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': '3' }).end('ID3');
    });
    await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
    const storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}/recordings/conv_1.mp3?signature=abc`;
    try {
      const api = await setUp();
      fake.failNext(/\/conv_1\/audio$/, { redirectTo: storageUrl });
      const { stream, contentLength } = await api.getConversationAudio('conv_1');
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect([Buffer.concat(chunks).toString(), contentLength]).toEqual(['ID3', 3]);
      expect(keysSeen).toEqual([undefined]);
    } finally {
      storage.closeAllConnections();
      storage.close();
    }
  });

  it('is not fetched from a plain-http address off this machine', async () => {
    const api = await setUp();
    fake.failNext(/\/conv_1\/audio$/, { redirectTo: 'http://storage.example.com/conv_1.mp3' });
    expect(await failureOf(api.getConversationAudio('conv_1'))).toMatchObject({ reason: 'client', status: 302 });
  });
});

describe('a JSON answer larger than maxJsonResponseBytes', () => {
  const SIXTY_FOUR_MB = 64 * 1024 * 1024;

  it('fails as server, unread and not retried, when its content-length says so', async () => {
    const api = await setUp(undefined, { maxJsonResponseBytes: 1024, timeoutMs: 500 });
    // Announced, then never sent: a client that starts reading waits for the timeout instead.
    fake.failNext(CONVERSATION, { jsonBytes: 1025, stall: true });
    const error = await failureOf(api.getConversation('conv_1'));
    expect(error).toMatchObject({ reason: 'server', status: 200 });
    expect(error.message).toMatch(/larger than 1024 bytes/);
    expect(fake.requests).toHaveLength(1);
  });

  it('fails as soon as a chunked answer passes the cap, and cancels the rest', async () => {
    const api = await setUp(undefined, { maxJsonResponseBytes: 1024 * 1024 });
    fake.failNext(CONVERSATION, { jsonBytes: SIXTY_FOUR_MB, chunked: true });
    expect(await failureOf(api.getConversation('conv_1'))).toMatchObject({ reason: 'server', status: 200 });
    expect(fake.requests).toHaveLength(1);
    // Socket buffers let a few MB more through before the fake notices; reading it all would be 64.
    expect(fake.bodyBytesSent).toBeLessThan(SIXTY_FOUR_MB / 4);
  });
});

describe('getConversationAudio', () => {
  it('streams a 12 MB recording in many chunks, byte for byte', async () => {
    const api = await setUp([{ ...call('conv_big'), audioBytes: TWELVE_MB }]);
    const { stream, contentLength } = await api.getConversationAudio('conv_big');
    expect(contentLength).toBe(TWELVE_MB);
    const received = createHash('sha256');
    let bytes = 0;
    let chunks = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (chunks === 0) expect(chunk.subarray(0, 3).toString()).toBe('ID3');
      received.update(chunk);
      bytes += chunk.length;
      chunks += 1;
    }
    const expected = createHash('sha256');
    for (let offset = 0; offset < TWELVE_MB; offset += 1 << 20) expected.update(fakeAudioChunk('conv_big', offset, 1 << 20));
    expect(bytes).toBe(TWELVE_MB);
    expect(received.digest('hex')).toBe(expected.digest('hex'));
    expect(chunks).toBeGreaterThan(100);
  });

  it('fails as not_found once the audio is deleted', async () => {
    const api = await setUp();
    fake.deleteAudio('conv_1');
    expect(await failureOf(api.getConversationAudio('conv_1'))).toMatchObject({ reason: 'not_found', status: 404 });
    expect((await api.getConversation('conv_1')).conversation).toMatchObject({ has_audio: false });
  });
});

describe('a stalled audio download', () => {
  it('ends with a timeout instead of waiting for ever', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'audio/mpeg' });
      response.write(Buffer.alloc(1000)); // then nothing more, and never an end
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const api = createElevenLabsApi({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 300 });
      const { stream } = await api.getConversationAudio('conv_stalled');
      let received = 0;
      await expect((async () => {
        for await (const chunk of stream) received += (chunk as Buffer).length;
      })()).rejects.toMatchObject({ name: 'ElevenLabsApiError', reason: 'timeout' });
      expect(received).toBe(1000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
