import { hasTranscription } from '../../lambda/call-item';
import type { CallItem } from './calls-query';

/**
 * The two ways a call fails: it never connected (a call_initiation_failure and no transcription),
 * or the conversation happened and failed (a transcription whose status is `failed`, or that
 * carries an error). Computed by readers; `failure_kind` in `calls list --json`.
 */
export type FailureKind = 'not_connected' | 'conversation_failed';

export function failureKind(item: CallItem): FailureKind | undefined {
  if (!hasTranscription(item)) {
    return item.failure_reason !== undefined || item.failure_event_timestamp !== undefined ? 'not_connected' : undefined;
  }
  return item.status === 'failed' || item.error_code !== undefined || item.error_reason !== undefined ? 'conversation_failed' : undefined;
}

/** What a person reads in the list's outcome column for each kind. */
export const FAILURE_OUTCOME: Record<FailureKind, string> = { not_connected: 'not connected', conversation_failed: 'conv. failed' };

/** Why the conversation failed, from its error: `error 1002: reason`, or undefined when none was sent. */
export function conversationError(item: CallItem): string | undefined {
  if (item.error_code === undefined && item.error_reason === undefined) return undefined;
  return [item.error_code !== undefined && `error ${item.error_code}`, item.error_reason].filter(Boolean).join(': ');
}

/** The item as `calls list --json` prints it: as stored, plus `failure_kind` when it failed. */
export function withFailureKind(item: CallItem): CallItem {
  const kind = failureKind(item);
  return kind ? { ...item, failure_kind: kind } : item;
}
