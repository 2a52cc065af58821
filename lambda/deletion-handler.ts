import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { sweepDeletions, type SweepReport } from './deletion';
import { SERVICE_NAME } from './service';
import { createDeletionStore, storageConfigFromEnv } from './storage';

/*
 * The scheduled deletion sweep: carries out ElevenLabs' deletion settings on our copy of the calls.
 * Runs only when the stack honours them.
 */
const logger = new Logger({ serviceName: SERVICE_NAME });

let store: ReturnType<typeof createDeletionStore> | undefined;

/** Time kept back from the function's timeout to finish the call at hand and log. */
const DEADLINE_MARGIN_MS = 30_000;

/**
 * @throws when any call could not be deleted, so the function's error alarm fires (the call stays
 *   due and the next sweep tries again)
 */
export async function handler(_event: unknown, context?: Context): Promise<SweepReport> {
  const started = performance.now();
  store ??= createDeletionStore(storageConfigFromEnv(process.env));
  const deadlineMs = context?.getRemainingTimeInMillis ? Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS : undefined;
  const report = await sweepDeletions({ store, now: () => new Date(), deadlineMs });
  const log = { ...report, failures: report.failures.slice(0, 20), failed: report.failures.length, duration_ms: Math.round(performance.now() - started) };
  if (report.failures.length > 0) {
    logger.error('deletion sweep', log);
    throw new Error(`${report.failures.length} calls could not be deleted; they stay due (see the failures in this log).`);
  }
  logger[report.stoppedEarly ? 'warn' : 'info']('deletion sweep', log);
  return report;
}
