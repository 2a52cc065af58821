import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { API_GATEWAY_MAX_BODY_BYTES, DEFAULT_BODY_IDLE_MS, RequestClosedError, RequestIdleError, RequestTooLargeError, eventHeaders, localRequestId, readBody, toApiGatewayEvent } from './api-gateway';
import { DEFAULT_WEBHOOK_PATH } from '../../lambda/service';
import { sweepDeletions } from '../../lambda/deletion';
import { describeError, SignatureError } from '../../lambda/errors';
import { failedResult, type ProcessDependencies, type WebhookResult } from '../../lambda/process';
import { parseSignatureHeader } from '../../lambda/signature';
import { createCallStore, createDeletionStore } from '../../lambda/storage';
import { startEmulators, type EmulatorOptions, type Emulators } from './emulators';
import { startLocalReconciliation, type LocalReconciliationOptions } from './local-reconciliation';

/** The deployed route, served at the same path locally. */
const WEBHOOK_PATH = DEFAULT_WEBHOOK_PATH;

/** Enough for a load run (50 at once) with room to spare; each stalled sender can hold up to 10 MB. */
export const DEFAULT_MAX_CONNECTIONS = 256;

export interface LocalReceiverOptions extends EmulatorOptions {
  /** The webhook secret the handler verifies with. */
  readonly secret: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Where one line per refused request (and per reconciliation) goes. @default console.error */
  readonly log?: (line: string) => void;
  /** With an ElevenLabs API key, audio checks and backfill run as deployed. @default - off */
  readonly reconciliation?: Omit<LocalReconciliationOptions, 'store' | 'log'>;
  /** Sweep due deletions (ElevenLabs' deletion settings) this often, as the deployed schedule does. @default - off */
  readonly deletionSweepIntervalMs?: number;
  /** A request body with no byte for this long is given up (408). @default DEFAULT_BODY_IDLE_MS (30 s) */
  readonly bodyIdleTimeoutMs?: number;
  /** Connections beyond this many are closed as they arrive. @default DEFAULT_MAX_CONNECTIONS */
  readonly maxConnections?: number;
}

export interface LocalReceiver {
  readonly url: string;
  readonly emulators: Emulators;
  /** Present when started with an ElevenLabs API key. */
  readonly reconciliation?: ReturnType<typeof startLocalReconciliation>;
  close(): Promise<void>;
}

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

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
 * The Lambda handler, unchanged, behind an HTTP server that behaves like API Gateway, in front of
 * the DynamoDB and S3 emulators: the whole deployed flow on one machine.
 */
export async function startLocalReceiver(options: LocalReceiverOptions): Promise<LocalReceiver> {
  const log = options.log ?? ((line: string) => console.error(line));
  const emulators = await startEmulators(options);
  // The handler reads its configuration and AWS endpoints from the environment, as in Lambda.
  // No CloudWatch here: metrics would only be noise in the terminal.
  Object.assign(process.env, emulators.environment, { WEBHOOK_SECRET: options.secret, POWERTOOLS_METRICS_DISABLED: 'true' });
  const { createDependencies, createHandler, logRequest } = await import('../../lambda/handler');
  const reconciliation = options.reconciliation
    ? startLocalReconciliation({
        ...options.reconciliation,
        store: createCallStore(emulatorStorage(emulators)),
        log,
      })
    : undefined;
  let built: ProcessDependencies | undefined;
  const dependencies = () => (built ??= { ...createDependencies(process.env), scheduleAudioCheck: reconciliation?.scheduleAudioCheck });
  const handler: Handler = createHandler(dependencies);
  const deletionSweep = options.deletionSweepIntervalMs ? startLocalDeletionSweep(emulators, options.deletionSweepIntervalMs, log) : undefined;

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
      logRequest({ ...refused.log, duration_ms: 0, request_id: localRequestId() });
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
   * A missing or malformed signature costs nothing to spot: answered as the handler would, before
   * the body, so whoever is not ElevenLabs holds no memory here. Requests the handler refuses
   * earlier (a source outside ALLOWED_SOURCE_IPS, a configuration error) are left to it.
   */
  const refusedBeforeBody = (request: IncomingMessage): WebhookResult | undefined => {
    try {
      const { allowedSourceIps } = dependencies();
      if (allowedSourceIps && !allowedSourceIps.has(request.socket.remoteAddress ?? '')) return undefined;
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
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
  } catch (error) {
    reconciliation?.close();
    clearInterval(deletionSweep);
    await emulators.close();
    throw error;
  }
  const { address, port } = server.address() as AddressInfo;
  const loopbackOrAny = ['127.0.0.1', '::1', '0.0.0.0', '::'].includes(address);
  const host = loopbackOrAny ? 'localhost' : address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}${WEBHOOK_PATH}`,
    emulators,
    reconciliation,
    async close() {
      reconciliation?.close();
      clearInterval(deletionSweep);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await emulators.close();
    },
  };
}

/** The emulators as the storage adapters take them. */
function emulatorStorage(emulators: Emulators) {
  return { tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 };
}

/** The deployed schedule's sweep, on a timer; one line per sweep that found something. */
function startLocalDeletionSweep(emulators: Emulators, intervalMs: number, log: (line: string) => void): NodeJS.Timeout {
  const store = createDeletionStore(emulatorStorage(emulators));
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepDeletions({ store, now: () => new Date() })
      .then((r) => {
        if (r.due > 0) log(`deletion sweep: ${r.due} due; transcript deleted for ${r.transcriptsDeleted}, audio for ${r.audioDeleted} (${r.objectVersionsDeleted} objects); ${r.deferred} deferred, ${r.failures.length} failed`);
      })
      .catch((error) => log(`deletion sweep: ${describeError(error)}`))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return timer;
}
