import { request } from 'node:http';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { startConsoleServer, CONTENT_SECURITY_POLICY, type ConsoleServer } from '../../lib/console/server';
import type { CallsTarget } from '../../lib/calls/calls-target';
import { findCalls } from '../../lib/calls/calls-query';
import { computeStats } from '../../lib/calls/calls-stats';
import { processWebhook, type ProcessDependencies } from '../../lambda/process';
import { createCallStore } from '../../lambda/storage';
import { loadExample, nowSecs, signedRequest, TEST_SECRET } from '../support/webhooks';

/*
 * The console's server over calls stored by the real webhook flow on dynalite and s3rver, through
 * plain HTTP: every page's JSON, paging, filters, the audio with ranges, and the guards (Host,
 * methods, CORS, CSP, the token beyond loopback). The browser tests (test/browser/) drive the pages.
 */

let emulators: Emulators;
let target: CallsTarget;
let deps: ProcessDependencies;
let server: ConsoleServer;
let base: string;
let port: number;
const T = nowSecs() - 3 * 86_400;

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/** A GET with any headers (fetch cannot forge Host). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET', to = port): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: to, path, method, headers: { host: `127.0.0.1:${to}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
const getJson = async (path: string) => {
  const answer = await get(path);
  return { status: answer.status, json: JSON.parse(answer.body.toString()) };
};

async function deliver(body: object) {
  const { response } = await processWebhook(signedRequest(body), deps);
  expect(response.statusCode).toBe(200);
}

/** A transcription of the phone example under another id, start and verdict. */
function call(conversationId: string, start: number, overrides: { title?: string; summary?: string; successful?: string; agentId?: string } = {}) {
  const body = loadExample('post_call_transcription.phone');
  const data = body.data;
  return {
    ...body,
    event_timestamp: start + 600,
    data: {
      ...data,
      conversation_id: conversationId,
      agent_id: overrides.agentId ?? data.agent_id,
      metadata: { ...data.metadata, start_time_unix_secs: start },
      analysis: { ...data.analysis, call_successful: overrides.successful ?? 'success', transcript_summary: overrides.summary ?? 'A caller asked about an order.', call_summary_title: overrides.title ?? 'Order status' },
    },
  };
}

beforeAll(async () => {
  emulators = await startEmulators();
  target = { description: 'emulators', local: true, tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 };
  deps = { getSecret: async () => TEST_SECRET, store: createCallStore({ ...emulators, deletionSweep: true }), now: () => new Date() };
  await deliver(call('conv_console_1', T, { title: 'Refund REQUEST for order 7' }));
  await deliver(call('conv_console_2', T + 60, { successful: 'failure', summary: 'The caller wanted a refund and hung up.' }));
  await deliver(call('conv_console_3', T + 120, { agentId: 'agent_other' }));
  await deliver(call('conv_console_4', T + 180, { successful: 'unknown' }));
  await deliver(call('conv_console_5', T - 40 * 86_400));
  const audio = loadExample('post_call_audio');
  await deliver({ ...audio, event_timestamp: T + 700, data: { ...audio.data, conversation_id: 'conv_console_1' } });
  server = await startConsoleServer({ target, port: 0 });
  base = server.url;
  port = Number(new URL(base).port);
});

afterAll(async () => {
  await server?.close();
  await emulators?.close();
});

describe('calls list JSON', () => {
  it('lists every call newest first across agents, page by page, each once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { status, json } = await getJson(`/calls.json?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      expect(json.calls.length).toBeLessThanOrEqual(2);
      seen.push(...json.calls.map((c: { conversation_id: string }) => c.conversation_id));
      cursor = json.next;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['conv_console_4', 'conv_console_3', 'conv_console_2', 'conv_console_1', 'conv_console_5']);
  });

  it('gives each row what the list shows', async () => {
    const { json } = await getJson('/calls.json');
    const row = json.calls.find((c: { conversation_id: string }) => c.conversation_id === 'conv_console_2');
    expect(row).toMatchObject({ start_time_unix_secs: T + 60, channel: 'phone', direction: expect.any(String), outcome: 'failure', title: 'Order status' });
    expect(json.period).toEqual({ since: null, until: null });
  });

  it('filters by period, outcome, agent and text (any case, titles and summaries)', async () => {
    const ids = async (query: string) => (await getJson(`/calls.json?${query}`)).json.calls.map((c: { conversation_id: string }) => c.conversation_id);
    expect(await ids('since=10d')).toEqual(['conv_console_4', 'conv_console_3', 'conv_console_2', 'conv_console_1']);
    expect(await ids('outcome=failure')).toEqual(['conv_console_2']);
    expect(await ids('outcome=unknown')).toEqual(['conv_console_4']);
    expect(await ids('agent=agent_other')).toEqual(['conv_console_3']);
    expect(await ids('q=refund')).toEqual(['conv_console_2', 'conv_console_1']);
    expect(await ids('q=refund&limit=1')).toEqual(['conv_console_2']);
  });

  it('answers 400 with the reason for a filter or cursor it cannot read', async () => {
    expect(await getJson('/calls.json?since=yesterday')).toMatchObject({ status: 400, json: { error: expect.stringMatching(/^since: /) } });
    expect(await getJson('/calls.json?outcome=great')).toMatchObject({ status: 400 });
    expect(await getJson('/calls.json?cursor=bm9wZQ')).toMatchObject({ status: 400, json: { error: expect.stringMatching(/first page/) } });
    expect(await getJson('/calls.json?limit=5000')).toMatchObject({ status: 400 });
    // A cursor for other filters or another period: said, not passed to DynamoDB.
    const { next } = (await getJson('/calls.json?limit=1')).json;
    expect(await getJson(`/calls.json?limit=1&agent=agent_other&cursor=${next}`)).toMatchObject({ status: 400, json: { error: expect.stringMatching(/out of date/) } });
    expect(await getJson(`/calls.json?limit=1&until=30d&cursor=${next}`)).toMatchObject({ status: 400 });
    expect(await getJson(`/calls.json?limit=1&cursor=${next}`)).toMatchObject({ status: 200 });
  });
});

describe('a call', () => {
  it('gives the call, its transcript as turns and where its audio is', async () => {
    const { status, json } = await getJson('/calls/conv_console_1.json');
    expect(status).toBe(200);
    expect(json.call).toMatchObject({ conversation_id: 'conv_console_1', call_summary_title: 'Refund REQUEST for order 7' });
    expect(json.transcript.length).toBeGreaterThan(1);
    expect(json.transcript[0]).toMatchObject({ role: expect.any(String), time_in_call_secs: expect.any(Number), tool_calls: [], interrupted: false });
    expect(json).toMatchObject({ outcome: 'success', transcript_status: 'available', transcription_url: '/calls/conv_console_1/transcription.json' });
    expect(json.audio).toMatchObject({ status: 'available', url: '/calls/conv_console_1/audio.mp3', download_url: '/calls/conv_console_1/audio.mp3?download=1' });
    // ElevenLabs says the call has audio (has_audio), and none came: missing, not none.
    expect((await getJson('/calls/conv_console_2.json')).json.audio).toMatchObject({ status: 'missing', reason: 'not_received', url: null });
    expect(await getJson('/calls/no_such_call.json')).toMatchObject({ status: 404, json: { error: 'No call with this id.' } });
    expect(await getJson(`/calls/${'a'.repeat(3000)}.json`)).toMatchObject({ status: 404, json: { error: 'No call with this id.' } });
    // The page of a call that is not there is the shell (it says so), answered 404.
    expect((await get('/calls/no_such_call')).status).toBe(404);
  });

  it('serves the MP3 as stored, and any range of it with 206', async () => {
    const stored = Buffer.from(loadExample('post_call_audio').data.full_audio, 'base64');
    const whole = await get('/calls/conv_console_1/audio.mp3');
    expect([whole.status, whole.headers['content-type'], whole.headers['accept-ranges']]).toEqual([200, 'audio/mpeg', 'bytes']);
    expect(whole.body.equals(stored)).toBe(true);
    const part = await get('/calls/conv_console_1/audio.mp3', { range: 'bytes=2-5' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 2-5/${stored.length}`);
    expect(part.body.equals(stored.subarray(2, 6))).toBe(true);
    // A suffix range is the last bytes; a range ending before it starts is ignored (RFC 9110); past the end, 416 with the size.
    const tail = await get('/calls/conv_console_1/audio.mp3', { range: 'bytes=-4' });
    expect([tail.status, tail.headers['content-range']]).toEqual([206, `bytes ${stored.length - 4}-${stored.length - 1}/${stored.length}`]);
    expect(tail.body.equals(stored.subarray(stored.length - 4))).toBe(true);
    expect((await get('/calls/conv_console_1/audio.mp3', { range: 'bytes=5-2' })).status).toBe(200);
    const past = await get('/calls/conv_console_1/audio.mp3', { range: `bytes=${stored.length + 10}-` });
    expect([past.status, past.headers['content-range']]).toEqual([416, `bytes */${stored.length}`]);
    const download = await get('/calls/conv_console_1/audio.mp3?download=1');
    expect(download.headers['content-disposition']).toBe('attachment; filename="conv_console_1.mp3"');
    expect((await get('/calls/conv_console_2/audio.mp3')).status).toBe(404);
  });

  it('releases the S3 response of every download the browser drops (as the player does at each seek)', async () => {
    // A recording big enough not to fit in socket buffers: a dropped download leaves bytes unread.
    const audio = loadExample('post_call_audio');
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    await deliver({ ...audio, event_timestamp: T + 800, data: { ...audio.data, conversation_id: 'conv_console_big', full_audio: big.toString('base64') } });
    // More drops than the S3 client has connections (50).
    for (let i = 0; i < 60; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/calls/conv_console_big/audio.mp3', headers: { host: `127.0.0.1:${port}`, range: `bytes=${i}-` } }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', reject);
        req.end();
      });
    }
    const answered = await Promise.race([get('/calls/conv_console_big.json'), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000).unref())]);
    expect(answered?.status).toBe(200);
    const whole = await get('/calls/conv_console_big/audio.mp3');
    expect(whole.body.equals(big)).toBe(true);
  });

  it('says the audio was deleted under the deletion settings when the sweep removed it', async () => {
    await emulators.dynamodb.send(new UpdateItemCommand({ TableName: emulators.tableName, Key: { conversation_id: { S: 'conv_console_3' } }, UpdateExpression: 'SET audio_deleted_at = :at, has_audio = :t', ExpressionAttributeValues: { ':at': { S: '2026-01-01T00:00:00Z' }, ':t': { BOOL: true } } }));
    expect((await getJson('/calls/conv_console_3.json')).json.audio).toMatchObject({ status: 'deleted', deleted_at: '2026-01-01T00:00:00Z', url: null });
  });

  it('serves the transcription as stored, for download', async () => {
    const answer = await get('/calls/conv_console_1/transcription.json');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-disposition']).toBe('attachment; filename="conv_console_1.transcription.json"');
    expect(JSON.parse(answer.body.toString()).data.conversation_id).toBe('conv_console_1');
  });
});

describe('analytics JSON', () => {
  it('has exactly the stats `calls stats` computes for the same filters, and the days and durations of the same calls', async () => {
    const { json } = await getJson('/analytics.json?since=10d&tz=Europe/Paris');
    const since = json.period.since;
    expect(json.stats).toEqual(JSON.parse(JSON.stringify(computeStats(await findCalls(target, { since })))));
    expect(json.stats.calls).toBe(4);
    expect(json.per_day.reduce((sum: number, day: { calls: number }) => sum + day.calls, 0)).toBe(4);
    expect(json.duration_histogram.reduce((sum: number, b: { calls: number }) => sum + b.calls, 0)).toBe(4);
    expect(json.tz).toBe('Europe/Paris');
    expect(json.per_day_unit).toBe('day');
    // Every day of the period is drawn, calls or not (10 days back to today, in Paris).
    expect(json.per_day.length).toBeGreaterThanOrEqual(10);
    expect(json.where).toEqual({ local: true, description: 'emulators' });
    // `calls stats` has no outcome or text filter: neither has analytics, so the two stay equal.
    expect((await getJson('/analytics.json?since=10d&outcome=failure&q=refund')).json.stats).toEqual(json.stats);
    expect((await getJson('/analytics.json?tz=Mars/Olympus')).status).toBe(400);
  });
});

describe('guards', () => {
  it('serves every page as the same shell, with a CSP of its own origin only and no CORS', async () => {
    for (const path of ['/', '/calls', '/analytics', '/calls/conv_console_1', '/calls.json', '/assets/console.js', '/calls/conv_console_1/audio.mp3']) {
      const answer = await get(path, { origin: 'https://evil.example' });
      expect([path, answer.status]).toEqual([path, 200]);
      expect(answer.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|\*|unsafe/);
  });

  it('refuses a foreign Host (DNS rebinding), and anything but reading', async () => {
    expect((await get('/calls.json', { host: `evil.example:${port}` })).status).toBe(403);
    expect((await get('/calls.json', { host: `localhost:${port}` })).status).toBe(200);
    expect((await get('/calls.json', {}, 'POST')).status).toBe(405);
    expect((await get('/calls.json', {}, 'DELETE')).status).toBe(405);
  });

  it('listens on loopback only by default', () => {
    expect(new URL(base).hostname).toBe('127.0.0.1');
    expect(server.token).toBeUndefined();
  });

  it('beyond loopback, requires its token: once in the URL, then from a cookie for this site only', async () => {
    const open = await startConsoleServer({ target, host: '0.0.0.0', port: 0 });
    try {
      const openPort = Number(new URL(open.url).port);
      expect(open.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(open.url).toContain(`?token=${open.token}`);
      expect((await get('/calls.json', {}, 'GET', openPort)).status).toBe(401);
      expect((await get('/calls.json?token=wrong', {}, 'GET', openPort)).status).toBe(401);
      const welcome = await get(`/calls.json?token=${open.token}&limit=1`, {}, 'GET', openPort);
      expect(welcome.status).toBe(303);
      expect(welcome.headers.location).toBe('/calls.json?limit=1');
      // Never to another site: a path that normalizes to `//host` keeps one slash.
      expect((await get(`/.//evil.example/?token=${open.token}`, {}, 'GET', openPort)).headers.location).toBe('/evil.example/');
      const cookie = String(welcome.headers['set-cookie']).split(';')[0];
      // Named by the port: two consoles on one host do not overwrite each other's.
      expect(cookie).toMatch(new RegExp(`^console_token_${openPort}=`));
      expect(String(welcome.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
      expect((await get('/calls.json?limit=1', { cookie }, 'GET', openPort)).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
