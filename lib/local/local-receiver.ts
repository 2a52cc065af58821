import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { RequestTooLargeError, readBody, toApiGatewayEvent } from './api-gateway';
import { DEFAULT_WEBHOOK_PATH } from '../../lambda/service';
import { sweepDeletions } from '../../lambda/deletion';
import { describeError } from '../../lambda/errors';
import { createCallStore, createDeletionStore } from '../../lambda/storage';
import { startEmulators, type EmulatorOptions, type Emulators } from './emulators';
import { startLocalReconciliation, type LocalReconciliationOptions } from './local-reconciliation';

/** The deployed route, served at the same path locally. */
const WEBHOOK_PATH = DEFAULT_WEBHOOK_PATH;

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
}

export interface LocalReceiver {
  readonly url: string;
  readonly emulators: Emulators;
  /** Present when started with an ElevenLabs API key. */
  readonly reconciliation?: ReturnType<typeof startLocalReconciliation>;
  close(): Promise<void>;
}

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

function send(response: ServerResponse, statusCode: number, body: string, headers: OutgoingHttpHeaders = { 'content-type': 'application/json' }) {
  response.writeHead(statusCode, headers);
  response.end(body);
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
  const { createDependencies, createHandler } = await import('../../lambda/handler');
  const reconciliation = options.reconciliation
    ? startLocalReconciliation({
        ...options.reconciliation,
        store: createCallStore(emulatorStorage(emulators)),
        log,
      })
    : undefined;
  const handler: Handler = createHandler(() => ({ ...createDependencies(process.env), scheduleAudioCheck: reconciliation?.scheduleAudioCheck }));
  const deletionSweep = options.deletionSweepIntervalMs ? startLocalDeletionSweep(emulators, options.deletionSweepIntervalMs, log) : undefined;

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'POST' || path !== WEBHOOK_PATH) {
      request.resume();
      return send(response, 404, '{"message":"Not Found"}');
    }
    let event: APIGatewayProxyEventV2;
    try {
      event = toApiGatewayEvent(request, await readBody(request));
    } catch (error) {
      if (!(error instanceof RequestTooLargeError)) throw error;
      log(`413 ${error.message}`);
      request.resume();
      return send(response, 413, '{"message":"Request Entity Too Large"}', { 'content-type': 'application/json', connection: 'close' });
    }
    const result = await handler(event);
    send(response, result.statusCode ?? 200, result.body ?? '', (result.headers ?? {}) as OutgoingHttpHeaders);
  };

  const server = createServer((request, response) => {
    serve(request, response).catch((error: Error) => {
      log(`500 ${error.name}`);
      if (!response.headersSent) send(response, 500, '{"message":"Internal Server Error"}');
    });
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
