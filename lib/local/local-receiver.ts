import { sweepDeletions } from '../../lambda/deletion';
import { describeError } from '../../lambda/errors';
import type { ProcessDependencies } from '../../lambda/process';
import { createReconciliationStore } from '../../lambda/reconciliation-store';
import { createDeletionStore } from '../../lambda/storage';
import { startApiGatewayServer, type ApiGatewayServer, type ApiGatewayServerSettings } from './api-gateway-server';
import { startEmulators, type EmulatorOptions, type Emulators } from './emulators';
import { startLocalOutflow, type LocalOutflow } from './local-outflow';
import { startLocalReconciliation, type LocalReconciliationOptions } from './local-reconciliation';

export interface LocalReceiverOptions extends EmulatorOptions, ApiGatewayServerSettings {
  /** The webhook secret the handler verifies with. */
  readonly secret: string;
  /** Where one line per refused request (and per reconciliation) goes, and the line about a table upgrade. @default console.error (the upgrade line: console.log) */
  readonly log?: (line: string) => void;
  /** With an ElevenLabs API key, audio checks and backfill run as deployed. @default - off */
  readonly reconciliation?: Omit<LocalReconciliationOptions, 'store' | 'log'>;
  /** Sweep due deletions (ElevenLabs' deletion settings) this often, as the deployed schedule does. @default - off */
  readonly deletionSweepIntervalMs?: number;
  /**
   * Where call events go (JSON lines), with the analytics rows in the local bucket: the calls
   * table's stream, carried out locally. @default - neither
   */
  readonly eventsFile?: string;
}

export interface LocalReceiver {
  readonly url: string;
  readonly emulators: Emulators;
  /** Present when started with an ElevenLabs API key. */
  readonly reconciliation?: ReturnType<typeof startLocalReconciliation>;
  /** Present with `eventsFile`: the rows and events of every write so far. */
  readonly outflow?: LocalOutflow;
  close(): Promise<void>;
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
  // Every store that writes items is observed, as the table's stream would see its writes.
  const outflow = options.eventsFile ? startLocalOutflow(emulators, options.eventsFile, log) : undefined;
  const observed = <T extends object>(store: T): T => outflow?.observe(store) ?? store;
  const reconciliation = options.reconciliation
    ? startLocalReconciliation({
        ...options.reconciliation,
        store: observed(createReconciliationStore(emulatorStorage(emulators))),
        log,
      })
    : undefined;
  let built: ProcessDependencies | undefined;
  const dependencies = () => {
    if (built) return built;
    const created = createDependencies(process.env);
    return (built = { ...created, store: observed(created.store), scheduleAudioCheck: reconciliation?.scheduleAudioCheck });
  };
  const handler = createHandler(dependencies);
  const deletionSweep = options.deletionSweepIntervalMs ? startLocalDeletionSweep(emulators, options.deletionSweepIntervalMs, log, observed) : undefined;

  const { port, host, bodyIdleTimeoutMs, maxConnections } = options;
  let server: ApiGatewayServer;
  try {
    server = await startApiGatewayServer({ port, host, bodyIdleTimeoutMs, maxConnections, handler, dependencies, logRequest, log });
  } catch (error) {
    reconciliation?.close();
    clearInterval(deletionSweep);
    await emulators.close();
    throw error;
  }
  return {
    url: server.url,
    emulators,
    reconciliation,
    outflow,
    async close() {
      reconciliation?.close();
      clearInterval(deletionSweep);
      await server.close();
      await outflow?.settled();
      await emulators.close();
    },
  };
}

/** The emulators as the storage adapters take them. */
function emulatorStorage(emulators: Emulators) {
  return { tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 };
}

/** The deployed schedule's sweep, on a timer; one line per sweep that found something. */
function startLocalDeletionSweep(emulators: Emulators, intervalMs: number, log: (line: string) => void, observed: <T extends object>(store: T) => T): NodeJS.Timeout {
  const store = observed(createDeletionStore(emulatorStorage(emulators)));
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
