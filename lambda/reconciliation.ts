import { ElevenLabsApiError, type ConversationSummary, type ElevenLabsApi } from './elevenlabs-api';
import { describeError } from './errors';
import { parseEvent } from './events';
import { apiAudioKey, apiRawKey } from './object-keys';
import { hasTranscription, type CallUpdate } from './call-item';
import { apiAudioUpdate, toCallWrite } from './records';
import type { ReconciliationStore } from './reconciliation-store';

/*
 * Closing the gaps webhooks leave, through the ElevenLabs API: audio that never came (too large for
 * API Gateway and Lambda, or its webhook lost) and whole calls whose transcription webhook was lost.
 * Everything goes through the same item updates and ordering guards as the webhooks, so running it
 * any number of times, or while webhooks arrive, stores nothing twice and regresses nothing.
 */

export interface ReconciliationDependencies {
  readonly api: Pick<ElevenLabsApi, 'getConversation' | 'getConversationAudio' | 'listConversations'>;
  readonly store: ReconciliationStore;
  readonly now: () => Date;
  readonly retentionDays?: number;
}


/** `waiting`: no transcription yet, so nothing says whether there is audio; a later check will tell. */
export type AudioOutcome = 'present' | 'no_audio' | 'waiting' | 'fetched' | 'deleted';

const nowSecs = (deps: ReconciliationDependencies) => Math.floor(deps.now().getTime() / 1000);

function apply(update: CallUpdate, deps: ReconciliationDependencies) {
  return deps.store.applyUpdate(update, { now: deps.now(), retentionDays: deps.retentionDays });
}

/**
 * Makes sure a call's audio is stored: nothing to do when it is there or the call has none;
 * otherwise streams it from the API into S3. A 404 (deleted under the agent's retention settings)
 * is recorded on the item and is final.
 * @throws ElevenLabsApiError for failures worth retrying later (rate limit, server, network)
 */
export async function reconcileAudio(conversationId: string, deps: ReconciliationDependencies): Promise<AudioOutcome> {
  const item = await deps.store.getCall(conversationId);
  // Earlier versions wrote the item before its MP3: a function stopped in between left a key with no object.
  if (typeof item?.audio_s3_key === 'string' && (await deps.store.objectExists(item.audio_s3_key))) return 'present';
  // Only a transcription says whether a call has audio: a 404 before it (a call still in progress)
  // must not be recorded as final.
  if (!item || !hasTranscription(item)) return 'waiting';
  // Deleted under ElevenLabs' deletion settings: not to be fetched again.
  if (item.has_audio === false || item.audio_fetch_status === 'deleted' || item.audio_deleted_at !== undefined) return 'no_audio';
  let audio: Awaited<ReturnType<ReconciliationDependencies['api']['getConversationAudio']>>;
  try {
    audio = await deps.api.getConversationAudio(conversationId);
  } catch (error) {
    if (!(error instanceof ElevenLabsApiError && error.reason === 'not_found')) throw error;
    await apply({ conversationId, eventType: 'api_audio_missing', eventTimestamp: nowSecs(deps), set: { audio_fetch_status: 'deleted' }, setIfMissing: {} }, deps);
    return 'deleted';
  }
  const key = apiAudioKey(conversationId);
  const bytes = await deps.store.uploadStream(key, audio.stream, 'audio/mpeg');
  if (bytes === 0 || (audio.contentLength !== undefined && bytes !== audio.contentLength)) {
    // Not pointed at: the next check writes the same key again.
    throw new ElevenLabsApiError('server', 200, `ElevenLabs sent ${bytes} of ${audio.contentLength ?? 'an unknown number of'} audio bytes: try again later.`);
  }
  await apply(apiAudioUpdate(conversationId, key, bytes, nowSecs(deps)), deps);
  return 'fetched';
}

export type BackfillOutcome = 'present' | 'stored' | 'skipped';

/**
 * Stores a conversation that has no transcription record yet, from the API, exactly as its
 * transcription webhook would have been stored. Dated at the call's start, so the real webhook,
 * if it comes after all, still wins.
 */
export async function backfillConversation(summary: ConversationSummary, deps: ReconciliationDependencies): Promise<BackfillOutcome> {
  const item = await deps.store.getCall(summary.conversation_id);
  if (hasTranscription(item)) return 'present';
  if (summary.status !== undefined && summary.status !== 'done' && summary.status !== 'failed') return 'skipped';
  const { conversation, text } = await deps.api.getConversation(summary.conversation_id);
  const metadata = (conversation.metadata ?? {}) as { start_time_unix_secs?: unknown };
  const startedAt = typeof metadata.start_time_unix_secs === 'number' ? metadata.start_time_unix_secs : summary.start_time_unix_secs ?? 0;
  // A transcription webhook's body around the API's answer as it came, not re-serialized: it may
  // nest deeper than JSON.stringify goes.
  const rawBody = Buffer.from(`{"type":"post_call_transcription","event_timestamp":${startedAt},"source":"elevenlabs_api","data":${text}}`);
  // Archived first, as a webhook's body is: it is the transcript the item points at.
  const rawKey = apiRawKey(summary.conversation_id, nowSecs(deps));
  await deps.store.putObject(rawKey, rawBody, 'application/json');
  const write = toCallWrite(parseEvent(rawBody, startedAt), rawKey);
  if (!write) return 'skipped';
  const result = await apply({ ...write.update, eventType: 'api_backfill' }, deps);
  return result === 'stale' ? 'present' : 'stored';
}

export interface BackfillFilter {
  readonly sinceUnixSecs: number;
  readonly untilUnixSecs?: number;
  readonly agentId?: string;
  /** Stop before this time (ms since the epoch), leaving the rest to the next run. */
  readonly deadlineMs?: number;
}

export interface BackfillReport {
  listed: number;
  stored: number;
  audioFetched: number;
  audioDeleted: number;
  /** `conversation_id: ErrorName reason`, never a message (it could quote data). */
  failures: string[];
  /** Why the run ended before the list did: ElevenLabs' rate limit, or the deadline. */
  stoppedEarly?: 'rate_limited' | 'deadline';
}

/**
 * Every conversation the API lists for the filter gets its transcription (if missing) and then its
 * audio (if ElevenLabs has it and we do not). One failing conversation (an answer about another
 * conversation included) is recorded in `failures` and does not stop the rest.
 * @throws ElevenLabsApiError when the listing itself fails (a rate limit ends the run early instead)
 */
export async function backfill(filter: BackfillFilter, deps: ReconciliationDependencies, onConversation?: (report: BackfillReport) => void): Promise<BackfillReport> {
  const report: BackfillReport = { listed: 0, stored: 0, audioFetched: 0, audioDeleted: 0, failures: [] };
  const pastDeadline = () => filter.deadlineMs !== undefined && deps.now().getTime() >= filter.deadlineMs;
  let listingStopped = false;
  // Asked before every page as well: pages without conversations must not run past the deadline.
  const shouldStop = () => (listingStopped = pastDeadline());
  const conversations = deps.api.listConversations({ agentId: filter.agentId, callStartAfterUnix: filter.sinceUnixSecs, callStartBeforeUnix: filter.untilUnixSecs, shouldStop });
  try {
    for await (const summary of conversations) {
      if (pastDeadline()) {
        report.stoppedEarly = 'deadline';
        break;
      }
      report.listed += 1;
      try {
        const call = await backfillConversation(summary, deps);
        // Audio only for calls whose transcription is stored: a call still in progress has none yet.
        const audio = call === 'skipped' ? undefined : await reconcileAudio(summary.conversation_id, deps);
        if (call === 'stored') report.stored += 1;
        if (audio === 'fetched') report.audioFetched += 1;
        if (audio === 'deleted') report.audioDeleted += 1;
      } catch (error) {
        report.failures.push(`${summary.conversation_id}: ${describeError(error)}`);
        if ((error as { reason?: string }).reason === 'rate_limited') throw error;
      }
      onConversation?.(report);
    }
    if (listingStopped) report.stoppedEarly = 'deadline';
  } catch (error) {
    // More requests would only meet the same limit: the next run carries on.
    if ((error as { reason?: string }).reason !== 'rate_limited') throw error;
    report.stoppedEarly = 'rate_limited';
  }
  return report;
}
