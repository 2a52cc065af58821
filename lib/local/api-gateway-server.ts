import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { API_GATEWAY_MAX_BODY_BYTES, DEFAULT_BODY_IDLE_MS, RequestClosedError, RequestIdleError, RequestTooLargeError, eventHeaders, localRequestId, readBody, toApiGatewayEvent } from './api-gateway';
import { SignatureError } from '../../lambda/errors';
import type { logRequest } from '../../lambda/handler';
import { failedResult, forbiddenSource, type ProcessDependencies, type WebhookResult } from '../../lambda/process';
import { DEFAULT_WEBHOOK_PATH } from '../../lambda/service';
import { parseSignatureHeader } from '../../lambda/signature';

/** The deployed route, served at the same path locally. */
const WEBHOOK_PATH = DEFAULT_WEBHOOK_PATH;

/** Enough for a load run (50 at once) with room to spare; each stalled sender can hold up to 10 MB. */
export const DEFAULT_MAX_CONNECTIONS = 256;

/** Where the server listens and how it bounds requests. */
export interface ApiGatewayServerSettings {
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** A request body with no byte for this long is given up (408). @default DEFAULT_BODY_IDLE_MS (30 s) */
  readonly bodyIdleTimeoutMs?: number;
  /** Connections beyond this many are closed as they arrive. @default DEFAULT_MAX_CONNECTIONS */
  readonly maxConnections?: number;
}

export interface ApiGatewayServerOptions extends ApiGatewayServerSettings {
  /** The Lambda handler, given the event API Gateway would build. */
  readonly handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  /** The handler's dependencies: their source allow-list decides which requests may be refused before the body. */
  readonly dependencies: () => ProcessDependencies;
  /** The handler's request log, for the requests answered before the body. */
  readonly logRequest: typeof logRequest;
  /** One line per refused request or connection. */
  readonly log: (line: string) => void;
}

export interface ApiGatewayServer {
  readonly url: string;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json';
const NOT_FOUND = '{"message":"Not Found"}';
const TOO_LARGE = '{"message":"Request Entity Too Large"}';
const TIMED_OUT = '{"message":"Request Timeout"}';

function send(response: ServerResponse, statusCode: number, body: string, headers: OutgoingHttpHeaders = { 'content-type': JSON_TYPE }) {
  response.writeHead(statusCode, headers);
  response.end(body);
}

/** Writes a whole answer, length included, and asks the sender to close: the connection ends with it. */
function writeFinalAnswer(response: ServerResponse, statusCode: number, body: string) {
  response.writeHead(statusCode, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body), connection: 'close' });
  response.write(body);
}

/**
 * Once reading has stopped: the answer is followed by the end of what we send, but the connection
 * stays open (unread) until the idle time passes. Closing it with unread bytes would send a reset,
 * which can wipe the answer from the sender's buffers before it reads it.
 */
function closeWhenIdle(request: IncomingMessage, idleMs: number) {
  request.socket.end();
  request.socket.setTimeout(idleMs, () => request.socket.destroy());
}

/**
 * An HTTP server that behaves like API Gateway in front of the handler: 404 off the route, 413 over
 * 10 MB, 408 on a stalled body, a cap on connections, and a 401 before the body when the signature
 * header is missing or malformed.
 * @throws the server's listen error (a port taken, EADDRINUSE)
 */
export async function startApiGatewayServer(options: ApiGatewayServerOptions): Promise<ApiGatewayServer> {
  const { handler, dependencies, log } = options;
  const idleMs = options.bodyIdleTimeoutMs ?? DEFAULT_BODY_IDLE_MS;

  /** A body too large or stalled: reading has stopped; answer if nothing was answered yet. */
  const refuseBody = (request: IncomingMessage, response: ServerResponse, error: unknown) => {
    if (error instanceof RequestClosedError) return;
    if (error instanceof RequestIdleError) {
      if (response.headersSent) {
        log(`${error.message}: the connection is closed`);
        return request.socket.destroy();
      }
      log(`408 ${error.message}: answered 408 and closed`);
      return send(response, 408, TIMED_OUT, { 'content-type': JSON_TYPE, connection: 'close' });
    }
    if (!(error instanceof RequestTooLargeError)) throw error;
    log(`413 ${error.message}`);
    if (!response.headersSent) writeFinalAnswer(response, 413, TOO_LARGE);
    closeWhenIdle(request, idleMs);
  };

  /**
   * Answers before the body is read, then reads and drops the rest (within the same limits), so the
   * connection closes cleanly after it and the sender receives the answer, not a reset.
   */
  const answerBeforeBody = async (request: IncomingMessage, response: ServerResponse, statusCode: number, body: string) => {
    writeFinalAnswer(response, statusCode, body);
    try {
      await readBody(request, { idleMs, discard: true });
      response.end();
    } catch (error) {
      refuseBody(request, response, error);
    }
  };

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'POST' || path !== WEBHOOK_PATH) return answerBeforeBody(request, response, 404, NOT_FOUND);
    // API Gateway refuses a body it is told is too large before the Lambda could refuse anything else.
    const declaredBytes = Number(request.headers['content-length']);
    if (declaredBytes > API_GATEWAY_MAX_BODY_BYTES) return refuseBody(request, response, new RequestTooLargeError('api_gateway_body', declaredBytes));
    const refused = refusedBeforeBody(request);
    if (refused) {
      options.logRequest({ ...refused.log, duration_ms: 0, request_id: localRequestId() });
      return answerBeforeBody(request, response, refused.response.statusCode, JSON.stringify(refused.response.body));
    }
    let event: APIGatewayProxyEventV2;
    try {
      event = toApiGatewayEvent(request, await readBody(request, { idleMs }));
    } catch (error) {
      if (error instanceof RequestTooLargeError && error.limit === 'lambda_event') {
        log(`413 ${error.message}`);
        return send(response, 413, TOO_LARGE, { 'content-type': JSON_TYPE, connection: 'close' });
      }
      return refuseBody(request, response, error);
    }
    const result = await handler(event);
    send(response, result.statusCode ?? 200, result.body ?? '', (result.headers ?? {}) as OutgoingHttpHeaders);
  };

  /**
   * A source outside ALLOWED_SOURCE_IPS, or a missing or malformed signature, costs nothing to
   * spot: answered as the handler would, before the body, so whoever is not ElevenLabs holds no
   * memory here. A configuration error is left to the handler.
   */
  const refusedBeforeBody = (request: IncomingMessage): WebhookResult | undefined => {
    try {
      const forbidden = forbiddenSource(request.socket.remoteAddress, dependencies(), 0);
      if (forbidden) return forbidden;
    } catch {
      return undefined;
    }
    try {
      parseSignatureHeader(eventHeaders(request).headers['elevenlabs-signature']);
      return undefined;
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      return failedResult(error, { outcome: 'rejected', status_code: 401, body_bytes: 0 });
    }
  };

  // Node's requestTimeout bounds the whole request (300 s by default): a large body over a slow
  // tunnel may take longer, so the body has an idle limit instead (and a size one).
  const server = createServer({ requestTimeout: 0 }, (request, response) => {
    serve(request, response).catch((error: Error) => {
      log(`500 ${error.name}`);
      if (!response.headersSent) send(response, 500, '{"message":"Internal Server Error"}');
    });
  });
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  let droppedLoggedAt = 0;
  server.on('drop', () => {
    // One line per 10 s at most: a flood should not flood the terminal too.
    if (Date.now() - droppedLoggedAt < 10_000) return;
    droppedLoggedAt = Date.now();
    log(`connection refused: ${server.maxConnections} connections already open (the limit)`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const loopbackOrAny = ['127.0.0.1', '::1', '0.0.0.0', '::'].includes(address);
  const host = loopbackOrAny ? 'localhost' : address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}${WEBHOOK_PATH}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
