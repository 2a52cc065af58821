import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AudioCheckMessage } from './audio-check-queue';
import { requiredEnv } from './config';
import { createElevenLabsApi, DEFAULT_API_BASE_URL } from './elevenlabs-api';
import { ConfigurationError } from './errors';
import { backfill, reconcileAudio, type ReconciliationDependencies } from './reconciliation';
import { DEFAULT_BACKFILL_LOOKBACK_HOURS } from './reconciliation-settings';
import { fixedSecret, secretsManagerSecret } from './secrets';
import { SERVICE_NAME } from './service';
import type { SecretSource } from './process';
import { createReconciliationStore } from './reconciliation-store';
import { storageConfigFromEnv } from './storage';

/*
 * The reconciler: delayed audio checks from SQS, and the scheduled backfill of calls whose
 * webhooks never came. Runs only when the stack has an ElevenLabs API key secret.
 */
const logger = new Logger({ serviceName: SERVICE_NAME });

let apiKey: SecretSource | undefined;
let store: ReturnType<typeof createReconciliationStore> | undefined;

/** The API key is read per invocation (cached for minutes by the provider), so a new key takes effect. */
async function dependencies(env: NodeJS.ProcessEnv): Promise<ReconciliationDependencies> {
  apiKey ??= env.ELEVENLABS_API_KEY
    ? fixedSecret(env.ELEVENLABS_API_KEY)
    : secretsManagerSecret(requiredEnv(env, 'ELEVENLABS_API_KEY_SECRET_ARN'), undefined, Date.now, 'The ElevenLabs API key');
  store ??= createReconciliationStore(storageConfigFromEnv(env));
  return {
    // Few attempts: a message that still fails goes back to the queue and is retried later.
    api: createElevenLabsApi({ apiKey: await apiKey(), baseUrl: env.ELEVENLABS_API_BASE_URL || DEFAULT_API_BASE_URL, maxAttempts: 3 }),
    store,
    now: () => new Date(),
    retentionDays: env.RETENTION_DAYS ? Number(env.RETENTION_DAYS) : undefined,
  };
}

/** Without an API key there is nothing to do: not a failure to retry until the dead-letter queue. */
function isKeyUnset(error: unknown): boolean {
  return error instanceof ConfigurationError && error.reason === 'secret_unset';
}

function errorFields(error: unknown) {
  const e = error as Error & { reason?: string; status?: number };
  return { error_name: e?.name, error_reason: e?.reason, error_status: e?.status };
}

/** Each message is one call's audio check; failed ones go back to the queue (then to the dead-letter queue). */
async function checkAudio(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  let deps: ReconciliationDependencies;
  try {
    deps = await dependencies(process.env);
  } catch (error) {
    if (isKeyUnset(error)) {
      // Dropped, not failed: once the key is stored, the backfill (6 hours back) fetches the audio.
      logger.warn('audio check', { outcome: 'api_key_unset', messages: event.Records.length, ...errorFields(error) });
      return { batchItemFailures: [] };
    }
    logger.error('audio check', { outcome: 'not_configured', messages: event.Records.length, ...errorFields(error) });
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
  for (const record of event.Records) {
    const started = performance.now();
    let conversationId: string | undefined;
    try {
      conversationId = (JSON.parse(record.body) as AudioCheckMessage).conversation_id;
      if (typeof conversationId !== 'string' || conversationId === '') throw new ConfigurationError('environment', 'Audio check message without conversation_id.');
      const outcome = await reconcileAudio(conversationId, deps);
      logger.info('audio check', { conversation_id: conversationId, outcome, duration_ms: Math.round(performance.now() - started) });
    } catch (error) {
      failures.push({ itemIdentifier: record.messageId });
      logger.warn('audio check', { conversation_id: conversationId, outcome: 'retry', receive_count: record.attributes?.ApproximateReceiveCount, ...errorFields(error) });
    }
  }
  return { batchItemFailures: failures };
}

/** Time kept back from the function's timeout to finish the conversation at hand and log. */
const DEADLINE_MARGIN_MS = 60_000;

/** The scheduled safety net: every conversation of the last hours gets what it is missing. */
async function scheduledBackfill(context?: Context): Promise<void> {
  const started = performance.now();
  let deps: ReconciliationDependencies;
  try {
    deps = await dependencies(process.env);
  } catch (error) {
    if (!isKeyUnset(error)) throw error;
    logger.warn('backfill', { outcome: 'api_key_unset', ...errorFields(error) });
    return;
  }
  const hours = Number(process.env.BACKFILL_LOOKBACK_HOURS || DEFAULT_BACKFILL_LOOKBACK_HOURS);
  const deadlineMs = context?.getRemainingTimeInMillis ? Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS : undefined;
  const report = await backfill({ sinceUnixSecs: Math.floor(deps.now().getTime() / 1000) - hours * 3600, deadlineMs }, deps);
  const level = report.failures.length > 0 || report.stoppedEarly ? 'warn' : 'info';
  logger[level]('backfill', { ...report, failures: report.failures.slice(0, 20), failed: report.failures.length, duration_ms: Math.round(performance.now() - started) });
}

/** SQS (audio checks) or EventBridge Scheduler/rule (backfill). */
export async function handler(event: SQSEvent | ScheduledEvent, context?: Context): Promise<SQSBatchResponse | void> {
  if ('Records' in event) return checkAudio(event);
  return scheduledBackfill(context);
}
