import { hasTranscription } from '../../lambda/call-item';
import type { CallItem } from './calls-query';

/**
 * The two ways a call fails: it never connected (a call_initiation_failure, and no transcription or
 * one in which the user never spoke: ElevenLabs may still send a transcription of 0 turns), or the
 * conversation happened and failed (a transcription whose status is `failed`, or that carries an
 * error). Computed by readers; `failure_kind` in `calls list --json` and `calls show --json`.
 */
export type FailureKind = 'not_connected' | 'conversation_failed';

/** Whether the item's transcription has the user speaking: `user_turns` above 0 (absent counts as none). */
function userSpoke(item: CallItem): boolean {
  return typeof item.user_turns === 'number' && item.user_turns > 0;
}

export function failureKind(item: CallItem): FailureKind | undefined {
  const initiationFailed = item.failure_reason !== undefined || item.failure_event_timestamp !== undefined;
  if (initiationFailed && !(hasTranscription(item) && userSpoke(item))) return 'not_connected';
  if (!hasTranscription(item)) return undefined;
  return item.status === 'failed' || item.error_code !== undefined || item.error_reason !== undefined ? 'conversation_failed' : undefined;
}

/** What a person reads in the list's outcome column for each kind. */
export const FAILURE_OUTCOME: Record<FailureKind, string> = { not_connected: 'not connected', conversation_failed: 'conv. failed' };

/** Why the conversation failed, from its error: `error 1002: reason`, or undefined when none was sent. */
export function conversationError(item: CallItem): string | undefined {
  if (item.error_code === undefined && item.error_reason === undefined) return undefined;
  return [item.error_code !== undefined && `error ${item.error_code}`, item.error_reason].filter(Boolean).join(': ');
}

/** The item as `calls list --json` and `calls show --json` print it: as stored, plus `failure_kind` when it failed. */
export function withFailureKind(item: CallItem): CallItem {
  const kind = failureKind(item);
  return kind ? { ...item, failure_kind: kind } : item;
}

/** How a call went, as one word: it failed (either kind), or its `call_successful` verdict. */
export type CallOutcome = FailureKind | 'success' | 'failure' | 'unknown';
export const CALL_OUTCOMES: readonly CallOutcome[] = ['success', 'failure', 'unknown', 'not_connected', 'conversation_failed'];

/**
 * The call's outcome: a failure kind first, then the analysis' verdict (`unknown` when the
 * analysis gave none, or something else); undefined while no transcription or failure has arrived.
 */
export function callOutcome(item: CallItem): CallOutcome | undefined {
  const kind = failureKind(item);
  if (kind) return kind;
  if (!hasTranscription(item)) return undefined;
  return item.call_successful === 'success' || item.call_successful === 'failure' ? item.call_successful : 'unknown';
}
