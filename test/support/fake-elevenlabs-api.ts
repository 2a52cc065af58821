import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, pipeline } from 'node:stream';

export interface FakeConversation {
  conversation_id: string;
  agent_id: string;
  start_time_unix_secs: number;
  call_duration_secs?: number;
  /** @default true */
  has_audio?: boolean;
  /** Size of the generated MP3, bytes. @default 20_000 */
  audioBytes?: number;
  /** Full `data` object override. */
  data?: Record<string, unknown>;
}

/** What the fake answers one request with, instead of its normal handling. */
export interface ScriptedAnswer {
  status?: number;
  retryAfter?: string;
  /** Holds the response headers back this long; alone, normal handling follows. */
  delayMs?: number;
  /** A 302 to this URL. */
  redirectTo?: string;
  /** A 200 with this JSON body. */
  json?: unknown;
  /** A 200 with this text as its JSON body, as is (JSON.stringify cannot write all a server can send, such as very deep nesting). */
  jsonText?: string;
  /** A 200 with a JSON object this many bytes long, streamed; bytes the client let through are counted in `bodyBytesSent`. */
  jsonBytes?: number;
  /** With `jsonBytes`: no content-length (a chunked answer). */
  chunked?: boolean;
  /** With `jsonBytes`: announces the length, then sends nothing, so a client that starts reading waits. */
  stall?: boolean;
}

const AUDIO_CHUNK_BYTES = 64 * 1024;
/** An ID3v2.4 header with an empty tag: real recordings often start with one (`SUQz` in base64). */
const ID3_HEADER = Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0]);
const ROUTE = /^\/v1\/convai\/conversations(?:\/([^/]+)(\/audio)?)?$/;

// Bound once: under jest every global lookup (`Math`) goes through the vm context, ~80x slower in a hot loop.
const { imul } = Math;

/** MurmurHash3's finalizer: a cheap, well-mixed 32-bit hash, so 12 MB generate in a blink. */
function mix32(value: number): number {
  let h = value;
  h = imul(h ^ (h >>> 16), 0x85ebca6b);
  h = imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The bytes the fake serves as a conversation's audio: deterministic (so tests can compare) and
 * generated on the fly from any offset (each byte a function of the id and its position), starting
 * with an ID3 tag.
 */
export function fakeAudioChunk(conversationId: string, offset: number, length: number): Buffer {
  const seed = createHash('sha256').update(conversationId).digest().readUInt32BE(0);
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i += 1) {
    const position = offset + i;
    out[i] = position < ID3_HEADER.length ? ID3_HEADER[position] : (mix32(seed ^ imul(position >>> 2, 0x9e3779b1)) >>> ((position & 3) * 8)) & 0xff;
  }
  return out;
}

/** The audio as a stream of 64 KB chunks, so even a large recording never sits whole in memory. */
function* audioChunks(conversationId: string, total: number) {
  for (let offset = 0; offset < total; offset += AUDIO_CHUNK_BYTES) yield fakeAudioChunk(conversationId, offset, Math.min(AUDIO_CHUNK_BYTES, total - offset));
}

function conversationData(c: FakeConversation, hasAudio: boolean): Record<string, unknown> {
  const turn = (role: string, message: string, time: number) => ({ role, message, time_in_call_secs: time, tool_calls: [], tool_results: [], feedback: null });
  return c.data ?? {
    agent_id: c.agent_id,
    conversation_id: c.conversation_id,
    status: 'done',
    user_id: null,
    transcript: [turn('agent', 'Hello, this is the support line. How can I help?', 0), turn('user', 'I would like to check on my order.', 4)],
    metadata: { start_time_unix_secs: c.start_time_unix_secs, call_duration_secs: c.call_duration_secs ?? 42, cost: 100, phone_call: null, termination_reason: 'end_call' },
    analysis: { call_successful: 'success', transcript_summary: 'The caller asked about an order.', evaluation_criteria_results: {}, data_collection_results: {} },
    has_audio: hasAudio,
    has_user_audio: hasAudio,
    has_response_audio: hasAudio,
  };
}

/** A JSON object of exactly `total` bytes, `{"padding":"xxx…"}`, in 64 KB chunks. */
function* paddedJson(total: number) {
  const open = Buffer.from('{"padding":"');
  const close = Buffer.from('"}');
  const padding = Buffer.alloc(AUDIO_CHUNK_BYTES, 'x');
  yield open;
  for (let left = total - open.length - close.length; left > 0; left -= padding.length) yield padding.subarray(0, Math.min(left, padding.length));
  yield close;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** A loopback stand-in for the ElevenLabs conversations API, faithful to the documented shapes, with scripted failures. */
export async function startFakeElevenLabsApi(options: { apiKey: string; conversations: FakeConversation[]; pageSize?: number }) {
  const maxPageSize = options.pageSize ?? 100;
  const requests: { method: string; path: string; query: Record<string, string> }[] = [];
  const scripted: { pattern: RegExp; failure: ScriptedAnswer }[] = [];
  let listPages: ((cursor: string | undefined) => unknown) | undefined;
  const bodyBytes = { sent: 0 };
  const deletedAudio = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const byId = new Map(options.conversations.map((c) => [c.conversation_id, c]));
  const hasAudio = (c: FakeConversation) => c.has_audio !== false && !deletedAudio.has(c.conversation_id);

  function list(response: ServerResponse, query: Record<string, string>) {
    if (listPages) return sendJson(response, 200, listPages(query.cursor));
    const after = query.call_start_after_unix ? Number(query.call_start_after_unix) : -Infinity;
    const before = query.call_start_before_unix ? Number(query.call_start_before_unix) : Infinity;
    const matching = options.conversations
      .filter((c) => (!query.agent_id || c.agent_id === query.agent_id) && c.start_time_unix_secs > after && c.start_time_unix_secs < before)
      .sort((a, b) => b.start_time_unix_secs - a.start_time_unix_secs || a.conversation_id.localeCompare(b.conversation_id));
    const offset = query.cursor ? Number(Buffer.from(query.cursor, 'base64url').toString().replace(/^offset:/, '')) : 0;
    if (!Number.isSafeInteger(offset) || offset < 0) return sendJson(response, 422, { detail: { status: 'invalid_cursor' } });
    const size = Math.min(Math.max(1, Number(query.page_size) || 30), maxPageSize);
    const page = matching.slice(offset, offset + size);
    const hasMore = offset + size < matching.length;
    sendJson(response, 200, {
      conversations: page.map((c) => ({ agent_id: c.agent_id, agent_name: `Agent ${c.agent_id}`, conversation_id: c.conversation_id, start_time_unix_secs: c.start_time_unix_secs, call_duration_secs: c.call_duration_secs ?? 42, message_count: 2, status: 'done', call_successful: 'success' })),
      has_more: hasMore,
      next_cursor: hasMore ? Buffer.from(`offset:${offset + size}`).toString('base64url') : null,
    });
  }

  function handle(response: ServerResponse, method: string, path: string, query: Record<string, string>, key: unknown) {
    if (key !== options.apiKey) return sendJson(response, 401, { detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
    const route = ROUTE.exec(path);
    if (!route) return sendJson(response, 404, { detail: 'Not Found' });
    if (method !== 'GET') return sendJson(response, 405, { detail: 'Method Not Allowed' });
    if (!route[1]) return list(response, query);
    const conversation = byId.get(decodeURIComponent(route[1]));
    if (!conversation) return sendJson(response, 404, { detail: { status: 'conversation_not_found', message: 'Conversation not found' } });
    if (!route[2]) return sendJson(response, 200, conversationData(conversation, hasAudio(conversation)));
    if (!hasAudio(conversation)) return sendJson(response, 404, { detail: { status: 'audio_not_found', message: 'Audio not found' } });
    const total = conversation.audioBytes ?? 20_000;
    response.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': String(total) });
    // highWaterMark 1: at most a chunk or two waits in memory whatever the size of the recording.
    pipeline(Readable.from(audioChunks(conversation.conversation_id, total), { highWaterMark: 1 }), response, () => undefined);
  }

  function sendPaddedJson(response: ServerResponse, answer: ScriptedAnswer) {
    const total = answer.jsonBytes as number;
    response.writeHead(200, { 'content-type': 'application/json', ...(answer.chunked ? {} : { 'content-length': String(total) }) });
    if (answer.stall) return response.flushHeaders();
    bodyBytes.sent = 0;
    const counted = function* () {
      for (const chunk of paddedJson(total)) {
        bodyBytes.sent += chunk.length;
        yield chunk;
      }
    };
    pipeline(Readable.from(counted(), { highWaterMark: 1 }), response, () => undefined);
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const entry = { method: request.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) };
    requests.push(entry);
    const index = scripted.findIndex((s) => s.pattern.test(entry.path));
    const failure = index >= 0 ? scripted.splice(index, 1)[0].failure : {};
    const proceed = () => {
      if (response.destroyed) return;
      if (failure.redirectTo) return sendJson(response, 302, {}, { location: failure.redirectTo });
      if (failure.json !== undefined) return sendJson(response, 200, failure.json);
      if (failure.jsonText !== undefined) return response.writeHead(200, { 'content-type': 'application/json' }).end(failure.jsonText);
      if (failure.jsonBytes !== undefined) return sendPaddedJson(response, failure);
      if (failure.status === undefined) return handle(response, entry.method, entry.path, entry.query, request.headers['xi-api-key']);
      const status = failure.status === 429 ? 'too_many_concurrent_requests' : 'system_busy';
      sendJson(response, failure.status, { detail: { status, message: 'Scripted failure' } }, failure.retryAfter ? { 'retry-after': failure.retryAfter } : {});
    };
    if (!failure.delayMs) return proceed();
    const timer = setTimeout(() => (timers.delete(timer), proceed()), failure.delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Every request seen, scripted failures included; `path` as sent (still percent-encoded). */
    requests,
    /** Queues scripted answers (failures, redirects, odd bodies) for the next requests whose path matches, one request each, in order. */
    failNext(pathPattern: RegExp, ...failures: ScriptedAnswer[]) {
      for (const failure of failures) scripted.push({ pattern: pathPattern, failure });
    },
    /**
     * Answers list requests with `page(cursor)` instead of the conversations, for pages the real API
     * should never send (cursors that repeat, empty pages without end); undefined restores the list.
     */
    serveListPages(page: ((cursor: string | undefined) => unknown) | undefined) {
      listPages = page;
    },
    /** How many bytes of the last `jsonBytes` answer the fake produced before it ended or the client hung up. */
    get bodyBytesSent() {
      return bodyBytes.sent;
    },
    /** Deletes a conversation's audio (404 afterwards), as ElevenLabs' deletion settings do. */
    deleteAudio(conversationId: string) {
      deletedAudio.add(conversationId);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FakeElevenLabsApi = Awaited<ReturnType<typeof startFakeElevenLabsApi>>;
