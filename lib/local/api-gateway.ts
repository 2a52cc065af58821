import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/*
 * What API Gateway (HTTP API, payload 2.0) and Lambda do to a request before our code sees it,
 * reproduced where users would otherwise be surprised only in production.
 */

/** API Gateway refuses larger request bodies (HTTP and REST APIs alike). */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** A synchronous Lambda invocation refuses larger events, wrapper included; the function never runs. */
export const LAMBDA_MAX_EVENT_BYTES = 6_291_456;

export class RequestTooLargeError extends Error {
  override readonly name = 'RequestTooLargeError';
  constructor(readonly limit: 'api_gateway_body' | 'lambda_event', readonly bytes: number) {
    super(
      limit === 'api_gateway_body'
        ? `API Gateway limit: request body over ${API_GATEWAY_MAX_BODY_BYTES} bytes is refused`
        : `Lambda limit: invocation event of ${bytes} bytes is over ${LAMBDA_MAX_EVENT_BYTES} bytes; the function would never run`,
    );
  }
}

/** A body with no byte for this long is given up: a pause between chunks, not the whole upload. */
export const DEFAULT_BODY_IDLE_MS = 30_000;

/** The sender stopped sending in the middle of the body. */
export class RequestIdleError extends Error {
  override readonly name = 'RequestIdleError';
  constructor(readonly idleMs: number, readonly bytes: number) {
    super(`no byte of the request body for ${idleMs} ms (after ${bytes} bytes)`);
  }
}

/** The sender closed the connection before the end of the body: there is no one left to answer. */
export class RequestClosedError extends Error {
  override readonly name = 'RequestClosedError';
  constructor(readonly bytes: number) {
    super(`the sender closed the connection after ${bytes} bytes of the body`);
  }
}

export interface ReadBodyOptions {
  /** Gives up after this long without a byte. @default DEFAULT_BODY_IDLE_MS */
  readonly idleMs?: number;
  /** Counts the bytes and drops them: for a request already answered. @default false */
  readonly discard?: boolean;
}

/**
 * Reads a (possibly chunked) body, refusing it as soon as it passes API Gateway's limit and giving
 * up when it stalls. The limit is on bytes read, so a discarded body is bounded too. On a refusal
 * reading stops (the request is paused, not destroyed), so an answer can still reach the sender.
 * @throws RequestTooLargeError, RequestIdleError, RequestClosedError
 */
export function readBody(request: IncomingMessage, options: ReadBodyOptions = {}): Promise<Buffer> {
  const idleMs = options.idleMs ?? DEFAULT_BODY_IDLE_MS;
  const chunks: Buffer[] = [];
  let bytes = 0;
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      request.off('data', onData).off('end', onEnd).off('close', onClose).off('timeout', onIdle);
      // The socket's inactivity timer, which the idle limit borrows, must not outlive the body.
      request.setTimeout(0);
      if (!error) return resolve(Buffer.concat(chunks));
      request.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > API_GATEWAY_MAX_BODY_BYTES) return finish(new RequestTooLargeError('api_gateway_body', bytes));
      if (!options.discard) chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onClose = () => finish(new RequestClosedError(bytes));
    const onIdle = () => finish(new RequestIdleError(idleMs, bytes));
    request.on('data', onData).once('end', onEnd).once('close', onClose).once('timeout', onIdle);
    request.setTimeout(idleMs);
  });
}

/** HTTP APIs pass text and JSON bodies as text, anything else base64-encoded. */
function isTextContent(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return type.startsWith('text/') || type === 'application/json';
}

/** Headers as payload 2.0 passes them: names lower-cased, repeated ones comma-joined, cookies apart. */
export function eventHeaders(request: IncomingMessage): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i].toLowerCase();
    const value = request.rawHeaders[i + 1];
    if (name === 'cookie') cookies.push(...value.split(/;\s*/).filter(Boolean));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  return { headers, cookies };
}

/** A request id shaped like API Gateway's, marked local. */
export function localRequestId(now = new Date()): string {
  return `local-${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The payload 2.0 event API Gateway would build. */
export function toApiGatewayEvent(request: IncomingMessage, body: Buffer, now = new Date()): APIGatewayProxyEventV2 {
  const { headers, cookies } = eventHeaders(request);
  const url = new URL(request.url ?? '/', 'http://localhost');
  const text = isTextContent(headers['content-type']);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: `${request.method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    cookies: cookies.length ? cookies : undefined,
    headers,
    queryStringParameters: url.search ? Object.fromEntries([...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k).join(',')])) : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method: request.method ?? 'POST', path: url.pathname, protocol: `HTTP/${request.httpVersion}`, sourceIp: request.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' },
      requestId: localRequestId(now),
      routeKey: `${request.method} ${url.pathname}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: !text && body.length > 0,
  };
  const eventBytes = Buffer.byteLength(JSON.stringify(event));
  if (eventBytes > LAMBDA_MAX_EVENT_BYTES) throw new RequestTooLargeError('lambda_event', eventBytes);
  return event;
}
