import { Readable } from 'node:stream';
import { checkedBaseUrl, discardBody, errorCode, keylessLocation, readAtMost, redirectTarget, withIdleTimeout } from './elevenlabs-api-guards';

/** Where the ElevenLabs API lives; data-residency workspaces and tests pass their own. */
export const DEFAULT_API_BASE_URL = 'https://api.elevenlabs.io';
/** A longer Retry-After is the caller's to wait out, not one Lambda invocation's. */
export const MAX_RETRY_AFTER_MS = 60_000;
/** Exponential backoff with full jitter between retries: the first at most this long, in ms. */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 20_000;
/** The largest page the list endpoint serves: fewest requests against the rate limit. */
export const DEFAULT_PAGE_SIZE = 100;
/**
 * The most a JSON answer may take, in bytes. A conversation with a long transcript is a few MB;
 * a larger answer is refused rather than read whole into the 512 MB reconciler.
 */
export const MAX_JSON_RESPONSE_BYTES = 50 * 1024 * 1024;

export interface ElevenLabsApiOptions {
  readonly apiKey: string;
  /** https, or http to a loopback address; no user name, password, query or fragment. @default DEFAULT_API_BASE_URL */
  readonly baseUrl?: string;
  /** Attempts per request, first included. @default 5 */ readonly maxAttempts?: number;
  /** Per attempt, in ms, until the response headers arrive (and, for JSON answers, the whole body). @default 20_000 */
  readonly timeoutMs?: number;
  /** Waits between attempts; tests inject one that records instead of sleeping. @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The most bytes a JSON answer may have; a larger one fails as `server`, unread. @default MAX_JSON_RESPONSE_BYTES */
  readonly maxJsonResponseBytes?: number;
}

export type ApiFailure = 'not_found' | 'unauthorized' | 'rate_limited' | 'server' | 'client' | 'network' | 'timeout';

/** A request to ElevenLabs failed; `status` is the last HTTP status, undefined when none came. Never carries the key. */
export class ElevenLabsApiError extends Error {
  override readonly name = 'ElevenLabsApiError';
  /** For `rate_limited`: how long ElevenLabs asked to wait, when it said. */
  readonly retryAfterMs?: number;
  constructor(readonly reason: ApiFailure, readonly status: number | undefined, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export interface ConversationSummary {
  readonly conversation_id: string;
  readonly agent_id?: string;
  readonly start_time_unix_secs?: number;
  readonly call_duration_secs?: number;
  readonly status?: string;
  readonly [key: string]: unknown;
}

export interface ConversationFilter {
  readonly agentId?: string;
  readonly callStartAfterUnix?: number;
  readonly callStartBeforeUnix?: number;
  /** @default DEFAULT_PAGE_SIZE */ readonly pageSize?: number;
  /**
   * Asked before each page is requested; when it answers true the listing ends there, without an
   * error (the caller knows why). Pages without conversations still ask, so a deadline holds.
   */
  readonly shouldStop?: () => boolean;
}

/** A conversation as the API answered it. */
export interface ConversationAnswer {
  /** The same object as a transcription webhook's `data`. */
  readonly conversation: Record<string, unknown>;
  /** The answer's text, to store as it came: re-serializing may fail (JSON.stringify stops some thousands of levels deep). */
  readonly text: string;
}

export interface ElevenLabsApi {
  /**
   * The conversation, the same object as a transcription webhook's `data`, and its text.
   * @throws ElevenLabsApiError `not_found` (404) at once; `server` at once when the answer is about another conversation; others after retries
   */
  getConversation(conversationId: string): Promise<ConversationAnswer>;
  /**
   * The call's MP3 as a stream, not buffered (recordings can be tens of MB), with its length in bytes
   * when known. Consume or destroy the stream: it holds a connection until then.
   * @throws ElevenLabsApiError `not_found` when there is no audio (or it was deleted)
   */
  getConversationAudio(conversationId: string): Promise<{ stream: Readable; contentLength?: number }>;
  /**
   * Every conversation matching the filter, newest first, page after page, until the list ends or `shouldStop` says so.
   * @throws ElevenLabsApiError while iterating; `server` on a page of another shape or a cursor already seen in this listing
   */
  listConversations(filter?: ConversationFilter): AsyncIterable<ConversationSummary>;
}

/** What one attempt came to: a value, or a reason to try again (after `waitMs`, or backoff when absent). */
type Attempt<T> = { value: T } | { retry: Exclude<ApiFailure, 'not_found' | 'unauthorized' | 'client'>; status?: number; waitMs?: number; cause?: unknown };

/** `Retry-After` in ms, as seconds or an HTTP-date, at least 0; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  const value = header?.trim() ?? '';
  const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : value ? Date.parse(value) - now : NaN;
  return Number.isNaN(ms) ? undefined : Math.max(0, ms);
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): clients that failed together do not retry together. */
function backoffMs(retry: number): number {
  return Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (retry - 1));
}

const utf8 = new TextDecoder();

/** An id as one path segment: encoded, and never empty or a dot segment, which would address another resource. */
function segment(conversationId: string): string {
  if (['', '.', '..'].includes(conversationId)) throw new ElevenLabsApiError('client', undefined, 'The conversation id is empty or a dot segment: pass the conversation_id as ElevenLabs shows it.');
  return encodeURIComponent(conversationId);
}

/**
 * A client for the ElevenLabs Conversational AI API: bounded retries, per-attempt timeout, bounded
 * JSON answers, the key sent to the base URL only, no logging.
 * @throws ConfigurationError `environment` when the base URL is not https (or http to a loopback address)
 */
export function createElevenLabsApi(options: ElevenLabsApiOptions): ElevenLabsApi {
  const baseUrl = checkedBaseUrl(options.baseUrl ?? DEFAULT_API_BASE_URL);
  const maxJsonBytes = options.maxJsonResponseBytes ?? MAX_JSON_RESPONSE_BYTES;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function attempt<T>(url: string, what: string, read: (response: Response, what: string) => Promise<T>, keylessRedirect: boolean): Promise<Attempt<T>> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      // Redirects are not followed with the key: fetch would take it along to wherever they point.
      let response = await fetch(url, { headers: { 'xi-api-key': options.apiKey }, signal: controller.signal, redirect: 'manual' });
      // A recording may be served from elsewhere (a signed storage URL): one hop, https, and no key.
      const location = keylessRedirect && response.status >= 300 && response.status < 400 ? keylessLocation(response, url) : undefined;
      if (location) {
        await discardBody(response);
        response = await fetch(location, { signal: controller.signal, redirect: 'manual' });
      }
      if (response.ok) return { value: await read(response, what) };
      const { status } = response;
      if (status >= 300 && status < 400) {
        await discardBody(response);
        throw new ElevenLabsApiError('client', status, `ElevenLabs answered the request for ${what} with a redirect (HTTP ${status}${redirectTarget(response, url)}), not followed so that the API key stays with ${new URL(url).origin}: set ELEVENLABS_API_BASE_URL to the API's own address.`);
      }
      if (status === 429 || status >= 500) {
        await discardBody(response); // frees the connection for the retry
        return { retry: status === 429 ? 'rate_limited' : 'server', status, waitMs: status === 429 ? retryAfterMs(response.headers.get('retry-after')) : undefined };
      }
      const code = await errorCode(response);
      if (status === 404) throw new ElevenLabsApiError('not_found', status, `ElevenLabs has no ${what} (HTTP 404${code}): check the id, that the key's workspace owns it, and its deletion settings.`);
      if (status === 401 || status === 403) throw new ElevenLabsApiError('unauthorized', status, `ElevenLabs refused the API key (HTTP ${status}${code}): check ELEVENLABS_API_KEY and that it may read Conversational AI conversations.`);
      throw new ElevenLabsApiError('client', status, `ElevenLabs rejected the request for ${what} (HTTP ${status}${code}): check the id and filter.`);
    } catch (error) {
      if (error instanceof ElevenLabsApiError) throw error;
      if (controller.signal.aborted) return { retry: 'timeout', cause: error };
      return { retry: error instanceof SyntaxError ? 'server' : 'network', status: error instanceof SyntaxError ? 200 : undefined, cause: error };
    } finally {
      // Once read() returns, a streamed body is on its own: the timer only ever covers headers and JSON bodies.
      clearTimeout(timer);
    }
  }

  async function request<T>(path: string, query: Record<string, string | number | undefined>, what: string, read: (response: Response, what: string) => Promise<T>, keylessRedirect = false): Promise<T> {
    const url = new URL(baseUrl + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    let outcome: Attempt<T> | undefined;
    for (let attemptNumber = 1; attemptNumber <= maxAttempts; attemptNumber += 1) {
      if (outcome && 'retry' in outcome) {
        // ElevenLabs asks for a longer pause than a request should wait: give up now, saying when to come back.
        if ((outcome.waitMs ?? 0) > MAX_RETRY_AFTER_MS) {
          throw new ElevenLabsApiError('rate_limited', outcome.status, `ElevenLabs rate limit: asked to wait ${Math.round((outcome.waitMs as number) / 1000)} s; try again later.`, { retryAfterMs: outcome.waitMs });
        }
        await sleep(outcome.waitMs ?? backoffMs(attemptNumber - 1));
      }
      outcome = await attempt(url.href, what, read, keylessRedirect);
      if ('value' in outcome) return outcome.value;
    }
    const failed = outcome as Exclude<Attempt<T>, { value: T }>;
    const messages = {
      rate_limited: `ElevenLabs rate limit: retried ${maxAttempts - 1} times; lower the request rate or try again later.`,
      server: `ElevenLabs failed to serve ${what} (HTTP ${failed.status}) on ${maxAttempts} attempts: try again later.`,
      network: `Could not reach ElevenLabs at ${url.origin} on ${maxAttempts} attempts: check the network (a Lambda in a VPC needs a NAT route) and the base URL.`,
      timeout: `ElevenLabs did not answer for ${what} within ${timeoutMs} ms on ${maxAttempts} attempts: try again later or raise timeoutMs.`,
    };
    throw new ElevenLabsApiError(failed.retry, failed.status, messages[failed.retry], { cause: failed.cause });
  }

  const readObject = async (response: Response, what: string) => {
    const bytes = await readAtMost(response, maxJsonBytes);
    // Not retried: the same request would bring the same answer, as large.
    if (!bytes) throw new ElevenLabsApiError('server', response.status, `ElevenLabs' answer for ${what} is larger than ${maxJsonBytes} bytes, the most this client reads into memory: not retried; raise maxJsonResponseBytes if such answers are expected.`);
    const text = utf8.decode(bytes);
    const body: unknown = JSON.parse(text);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new SyntaxError('not a JSON object');
    return { object: body as Record<string, unknown>, text };
  };

  return {
    async getConversation(conversationId) {
      const what = `conversation ${conversationId}`;
      const { object: conversation, text } = await request(`/v1/convai/conversations/${segment(conversationId)}`, {}, what, readObject);
      // Callers store it under the id it carries: another conversation's answer would be filed as the wrong call.
      if (conversation.conversation_id !== conversationId) {
        throw new ElevenLabsApiError('server', 200, `ElevenLabs answered the request for ${what} with another conversation_id: refused, so nothing is stored under the wrong id; if it persists, check that ELEVENLABS_API_BASE_URL is the ElevenLabs API.`);
      }
      return { conversation, text };
    },
    async getConversationAudio(conversationId) {
      return request(`/v1/convai/conversations/${segment(conversationId)}/audio`, {}, `audio for conversation ${conversationId}`, async (response, what) => {
        if (!response.body) throw new SyntaxError('audio response without a body');
        const length = Number(response.headers.get('content-length') ?? NaN);
        // A compressed transfer's content-length counts the compressed bytes, not the MP3's.
        const known = Number.isSafeInteger(length) && length >= 0 && !response.headers.get('content-encoding');
        const stalled = () => new ElevenLabsApiError('timeout', undefined, `ElevenLabs stopped sending ${what} for ${timeoutMs} ms: try again later.`);
        const stream = withIdleTimeout(Readable.fromWeb(response.body as never), timeoutMs, stalled);
        return { stream, contentLength: known ? length : undefined };
      }, true);
    },
    async *listConversations(filter: ConversationFilter = {}) {
      const seen = new Set<string>();
      let cursor: string | undefined;
      do {
        if (filter.shouldStop?.()) return;
        const query = { agent_id: filter.agentId, call_start_after_unix: filter.callStartAfterUnix, call_start_before_unix: filter.callStartBeforeUnix, page_size: filter.pageSize ?? DEFAULT_PAGE_SIZE, cursor };
        const { object: page } = await request('/v1/convai/conversations', query, 'conversation list', readObject);
        const { conversations, has_more: hasMore, next_cursor: next } = page;
        const more = hasMore === true || hasMore === 'true';
        const valid = Array.isArray(conversations) && conversations.every((c) => typeof c?.conversation_id === 'string');
        if (!valid || (more && (typeof next !== 'string' || next === ''))) {
          throw new ElevenLabsApiError('server', 200, 'ElevenLabs returned a conversation list page of an unexpected shape (conversations, has_more, next_cursor): has the API changed?');
        }
        // Any cursor seen before (A, B, A, …), not only the last one, would page in circles for ever.
        if (more && seen.has(next as string)) {
          throw new ElevenLabsApiError('server', 200, `ElevenLabs returned a conversation list cursor it had already returned ${seen.size + 1} pages into this listing: stopped rather than page in circles; try again later.`);
        }
        yield* conversations as ConversationSummary[];
        cursor = more ? (next as string) : undefined;
        if (cursor !== undefined) seen.add(cursor);
      } while (cursor !== undefined);
    },
  };
}
