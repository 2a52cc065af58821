import { createElevenLabsApi, DEFAULT_API_BASE_URL } from '../../lambda/elevenlabs-api';
import { describeError } from '../../lambda/errors';
import { backfill, reconcileAudio, type ReconciliationDependencies } from '../../lambda/reconciliation';
import { DEFAULT_BACKFILL_LOOKBACK_HOURS, MAX_AUDIO_CHECK_DELAY_SECONDS } from '../../lambda/reconciliation-settings';
import type { ReconciliationStore } from '../../lambda/reconciliation-store';

/*
 * What SQS and the hourly rule do in AWS, with timers in this process: the same reconciliation
 * code, for `npm start` with ELEVENLABS_API_KEY.
 */

export interface LocalReconciliationOptions {
  readonly apiKey: string;
  /** @default the public ElevenLabs API */
  readonly baseUrl?: string;
  readonly store: ReconciliationStore;
  /** @default 900 (as deployed) */
  readonly audioCheckDelaySeconds?: number;
  /** @default one hour */
  readonly backfillIntervalMs?: number;
  readonly log: (line: string) => void;
}

/** As the queue's redrive does: a failing check is tried again a few times, then given up. */
const ATTEMPTS = 5;
const RETRY_AFTER_MS = 60_000;

export function startLocalReconciliation(options: LocalReconciliationOptions) {
  const deps: ReconciliationDependencies = {
    api: createElevenLabsApi({ apiKey: options.apiKey, baseUrl: options.baseUrl ?? DEFAULT_API_BASE_URL, maxAttempts: 3 }),
    store: options.store,
    now: () => new Date(),
  };
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, work: () => Promise<void>) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void work();
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  const checkAudio = async (conversationId: string, attempt: number): Promise<void> => {
    try {
      options.log(`audio check ${conversationId}: ${await reconcileAudio(conversationId, deps)}`);
    } catch (error) {
      const retry = attempt < ATTEMPTS;
      options.log(`audio check ${conversationId}: ${describeError(error)}${retry ? ', will retry' : ', given up'}`);
      if (retry) later(RETRY_AFTER_MS, () => checkAudio(conversationId, attempt + 1));
    }
  };

  const runBackfill = async () => {
    try {
      const since = Math.floor(Date.now() / 1000) - DEFAULT_BACKFILL_LOOKBACK_HOURS * 3600;
      const report = await backfill({ sinceUnixSecs: since }, deps);
      options.log(`backfill: ${report.listed} listed, ${report.stored} stored, ${report.audioFetched} audio fetched, ${report.failures.length} failed`);
    } catch (error) {
      options.log(`backfill: ${describeError(error)}`);
    }
  };
  const interval = setInterval(() => void runBackfill(), options.backfillIntervalMs ?? 3_600_000);
  interval.unref();

  return {
    /** Checks the call's audio after the delay, as the deployed queue does. */
    async scheduleAudioCheck(conversationId: string): Promise<void> {
      const delaySeconds = Math.min(options.audioCheckDelaySeconds ?? MAX_AUDIO_CHECK_DELAY_SECONDS, MAX_AUDIO_CHECK_DELAY_SECONDS);
      later(delaySeconds * 1000, () => checkAudio(conversationId, 1));
    },
    runBackfill,
    close() {
      clearInterval(interval);
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
