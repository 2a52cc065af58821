import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { callsOverTime, durationHistogram } from '../calls/call-trends';
import { readCallView, readTranscriptionBody } from '../calls/call-view';
import { CursorError, findCallsPage } from '../calls/calls-page';
import { findCalls, getCall } from '../calls/calls-query';
import { computeStats } from '../calls/calls-stats';
import { explainReadError, type CallsTarget } from '../calls/calls-target';
import { buildConsoleAssets } from './assets';
import { QueryError, readConsoleQuery, toCallDetail, toCallRow } from './console-json';

/*
 * The console's web server: a thin adapter over the read core (lib/calls/) that answers each
 * page's URL with the one HTML shell, and the same URL + `.json` with its data. It only reads
 * (Query, BatchGetItem, GetItem; GetObject and HeadObject), and it guards the user's data and
 * credentials from other web pages: only its own Host, no CORS, a strict CSP, and a token when
 * it listens beyond loopback.
 */

export interface ConsoleServerOptions {
  readonly target: CallsTarget;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** What a browser must present when the console listens beyond loopback. @default - generated */
  readonly token?: string;
  readonly now?: () => Date;
}

export interface ConsoleServer {
  /** Where to open it; with the token when one is required. */
  readonly url: string;
  /** Required of every request (once, then kept in a cookie) when listening beyond loopback. */
  readonly token?: string;
  close(): Promise<void>;
}

/** Calls a list page holds unless `limit` says otherwise. */
export const PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** Analytics reads the whole period: the last 30 days unless the URL says. */
export const ANALYTICS_DEFAULT_SINCE = '30d';

/** Cookies are shared by every port of a host: each console names its own by its port. */
const tokenCookie = (port: number) => `console_token_${port}`;

/** Only the console's own origin, for everything; no frames, no plugins, no base or form elsewhere. */
export const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const SHELL = Buffer.from(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Calls</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body>
<div id="app"><noscript>The console needs JavaScript; every page's data is also at the same URL with .json.</noscript></div>
</body>
</html>
`);

/** This machine's first address other machines can reach (IPv4), for the URL printed when listening on every interface. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
}

/** Whether the console is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The Host headers a browser sends for a loopback console: anything else is another site's page (DNS rebinding). */
function loopbackHosts(host: string, port: number): Set<string> {
  return new Set([`${host.includes(':') ? `[${host}]` : host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
}

function sameSecret(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const [a, b] = [createHash('sha256').update(given).digest(), createHash('sha256').update(token).digest()];
  return timingSafeEqual(a, b);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/**
 * The range to ask S3 for: one range, as browsers ask while seeking (RFC 9110: a range whose last
 * byte is before its first is ignored, and so is anything else but one range); a suffix range
 * (`bytes=-500`, the last 500 bytes) is made explicit from the item's audio size, which S3
 * understands either way and the local emulator only this way.
 */
export function s3Range(header: string | undefined, size: number | undefined): string | undefined {
  const range = header && /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!range || (range[1] === '' && range[2] === '')) return undefined;
  const [first, last] = [range[1], range[2]];
  if (first === '') return size === undefined ? `bytes=-${last}` : `bytes=${Math.max(0, size - Number(last))}-`;
  if (last !== '' && Number(last) < Number(first)) return undefined;
  return `bytes=${first}-${last}`;
}

type Answer = (status: number, headers: Record<string, string | number>, body?: Buffer | Readable) => void;

/** A safe file name from an id: letters, digits, `_` and `-` only. */
const fileName = (id: string) => id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100) || 'call';

/** One console: routes and answers, given where to read. */
function consoleRoutes(target: CallsTarget, now: () => Date) {
  const assets = buildConsoleAssets().then(({ js, css }) => ({
    '/assets/console.js': { body: js, type: 'text/javascript; charset=utf-8', etag: `"${createHash('sha256').update(js).digest('base64url')}"` },
    '/assets/console.css': { body: css, type: 'text/css; charset=utf-8', etag: `"${createHash('sha256').update(css).digest('base64url')}"` },
  }));
  // Started now, so the first page does not wait for the build; a failed build is answered when asked.
  assets.catch(() => undefined);

  const json = (answer: Answer, value: unknown, status = 200) => answer(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }, Buffer.from(JSON.stringify(value)));

  const where = { local: target.local, description: target.description };

  async function callsJson(params: URLSearchParams, answer: Answer) {
    const { filter, period } = readConsoleQuery(params, now());
    const limit = params.has('limit') ? Number(params.get('limit')) : PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new QueryError(`limit: a whole number from 1 to ${MAX_PAGE_SIZE}.`);
    const cursor = params.get('cursor') ?? undefined;
    const page = await findCallsPage(target, filter, { cursor, pageSize: limit }).catch((error: Error) => {
      // A cursor that passed the checks and still does not fit these filters: DynamoDB will not start there.
      if (cursor && error.name === 'ValidationException') throw new CursorError('This page link does not fit these filters: start from the first page.');
      throw error;
    });
    const calls = page.items.map(toCallRow);
    // The agents of this page, for the agent filter's suggestions (a list of every agent would take a scan).
    const agents = [...new Map(calls.filter((c) => c.agent_id !== null).map((c) => [c.agent_id, { agent_id: c.agent_id, agent_name: c.agent_name }])).values()];
    json(answer, { calls, next: page.next ?? null, period, filters: Object.fromEntries(params), agents, where });
  }

  async function analyticsJson(params: URLSearchParams, answer: Answer) {
    const query = readConsoleQuery(params, now(), ANALYTICS_DEFAULT_SINCE);
    // What `calls stats` reads for the same filters, aggregated by the same function; it has no outcome or text filter, nor does this.
    const { outcome: _outcome, text: _text, ...filter } = query.filter;
    const items = await findCalls(target, filter);
    const { unit, rows } = callsOverTime(items, query.tz, { since: filter.since, until: filter.until, now: Math.floor(now().getTime() / 1000) });
    json(answer, {
      filters: Object.fromEntries(params),
      period: query.period,
      tz: query.tz,
      where,
      stats: computeStats(items, { campaign: filter.batchId !== undefined }),
      per_day: rows,
      per_day_unit: unit,
      duration_histogram: durationHistogram(items),
    });
  }

  async function audio(req: IncomingMessage, id: string, params: URLSearchParams, answer: Answer) {
    const call = await getCall(target, id);
    if (typeof call?.audio_s3_key !== 'string' || !target.bucketName) throw new HttpError(404, 'This call has no stored audio.');
    const size = typeof call.audio_bytes === 'number' ? call.audio_bytes : undefined;
    const Range = s3Range(req.headers.range, size);
    let object;
    try {
      object = await target.s3.send(new GetObjectCommand({ Bucket: target.bucketName, Key: call.audio_s3_key, Range }));
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'InvalidRange') throw new HttpError(416, 'That range is past the end of the audio.', size === undefined ? {} : { 'Content-Range': `bytes */${size}` });
      if (name === 'NoSuchKey') throw new HttpError(404, 'The audio this call points at is not in the bucket.');
      throw error;
    }
    const headers: Record<string, string | number> = { 'Content-Type': 'audio/mpeg', 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, no-cache' };
    if (object.ContentLength !== undefined) headers['Content-Length'] = object.ContentLength;
    if (object.ContentRange) headers['Content-Range'] = object.ContentRange;
    if (params.has('download')) headers['Content-Disposition'] = `attachment; filename="${fileName(id)}.mp3"`;
    answer(object.ContentRange ? 206 : 200, headers, object.Body as Readable);
  }

  async function transcription(id: string, answer: Answer) {
    const call = await getCall(target, id);
    const body = call && (await readTranscriptionBody(target, call));
    if (!body) throw new HttpError(404, 'This call has no stored transcription.');
    answer(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Disposition': `attachment; filename="${fileName(id)}.transcription.json"` }, body);
  }

  /** Answers one GET (or HEAD) for a path of the console. */
  return async function route(req: IncomingMessage, url: URL, answer: Answer): Promise<void> {
    const path = url.pathname;
    const params = url.searchParams;
    if (path === '/' || path === '/calls' || path === '/analytics') return answer(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' }, SHELL);
    if (path === '/assets/console.js' || path === '/assets/console.css') {
      const asset = (await assets)[path];
      if (req.headers['if-none-match'] === asset.etag) return answer(304, { ETag: asset.etag });
      return answer(200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache', ETag: asset.etag }, asset.body);
    }
    if (path === '/calls.json') return callsJson(params, answer);
    if (path === '/analytics.json') return analyticsJson(params, answer);
    const [, section, segment, rest, ...more] = path.split('/');
    if (section === 'calls' && segment && more.length === 0) {
      let id: string;
      try {
        id = decodeURIComponent(segment.endsWith('.json') && rest === undefined ? segment.slice(0, -'.json'.length) : segment);
      } catch {
        throw new HttpError(400, 'The call id in this URL is not valid percent-encoding.');
      }
      // DynamoDB refuses a key over 2,048 bytes: no call has such an id.
      if (Buffer.byteLength(id) > 2048) throw new HttpError(404, 'No call with this id.');
      if (rest === undefined && segment.endsWith('.json')) {
        const view = await readCallView(target, id);
        if (!view) throw new HttpError(404, 'No call with this id.');
        return json(answer, toCallDetail(view));
      }
      // The page of a call that is not there is still the shell (it says so), answered 404 as such.
      if (rest === undefined) return answer((await getCall(target, id)) ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' }, SHELL);
      if (rest === 'audio.mp3') return audio(req, id, params, answer);
      if (rest === 'transcription.json') return transcription(id, answer);
    }
    throw new HttpError(404, 'No such page.');
  };
}

/**
 * Serves the console over `target` on host:port. Bound to loopback unless `host` says otherwise,
 * and then every browser must bring the token (in the URL once; a cookie keeps it).
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const host = options.host ?? '127.0.0.1';
  const token = isLoopback(host) ? undefined : options.token ?? randomBytes(24).toString('base64url');
  const route = consoleRoutes(options.target, options.now ?? (() => new Date()));
  let allowedHosts = new Set<string>();
  let cookieName = '';

  const server = createServer((req, res) => {
    const answer: Answer = (status, headers, body) => {
      res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
      if (req.method === 'HEAD' || body === undefined) {
        if (body && 'destroy' in body && typeof body.destroy === 'function') (body as Readable).destroy();
        res.end();
      } else if (Buffer.isBuffer(body)) res.end(body);
      // pipeline, not pipe: a browser that drops the download (as the player does at every seek) must
      // release the S3 response, or its connection stays taken and the client's pool runs dry.
      else pipeline(body, res, () => undefined);
    };
    const refuse = (status: number, message: string, headers: Record<string, string> = {}) => {
      const wantsJson = (req.url ?? '').split('?')[0].endsWith('.json');
      const body = wantsJson ? JSON.stringify({ error: message }) : message;
      answer(status, { 'Content-Type': wantsJson ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers }, Buffer.from(body));
    };
    // Another site's page reaching this port through a name it controls (DNS rebinding) sends its own name.
    if (!token && !allowedHosts.has(req.headers.host ?? '')) return refuse(403, `This console answers only at its own address (${[...allowedHosts][0]}).`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(405, 'The console only reads: GET and HEAD.', { Allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    if (token) {
      const given = url.searchParams.get('token');
      if (given !== null && sameSecret(given, token)) {
        url.searchParams.delete('token');
        // Kept for this site only, never sent by another site's page; the URL loses it, so history and screenshots do too.
        // One leading slash: `//host` would send the browser to another site.
        return answer(303, { Location: `/${url.pathname.replace(/^\/+/, '')}${url.search}`, 'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`, 'Cache-Control': 'no-store' });
      }
      if (!sameSecret(cookie(req, cookieName), token)) return refuse(401, 'This console needs its token: open the URL it printed when it started (it ends with ?token=...).');
    }
    route(req, url, answer).catch((error: Error) => {
      if (error instanceof HttpError) return refuse(error.status, error.message, error.headers);
      if (error instanceof QueryError || error instanceof CursorError) return refuse(400, error.message);
      const message = explainReadError(error, options.target.description, options.target.local);
      // Names and messages of the SDK's errors only: never a stored value.
      console.error(`console: ${req.method} ${url.pathname.slice(0, 120)}: ${message}`);
      refuse(502, message);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  allowedHosts = loopbackHosts(host, port);
  cookieName = tokenCookie(port);
  const shown = host === '0.0.0.0' || host === '::' ? externalAddress() ?? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/${token ? `?token=${token}` : ''}`,
    token,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
