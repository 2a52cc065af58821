import { BY_DELETION_DUE_INDEX } from '../lib/calls-table-schema';
import type { StoredEventType } from './events';
import type { Attributes } from './storable';

/*
 * The call's item, as every writer and reader names it: what writes to it, the ordering guard per
 * kind, the store-error and deletion-queue attributes. The mapping of events to attributes is in
 * records.ts; the requests that write them are in update-requests.ts.
 */

/**
 * What writes to an item: a webhook type, or what the ElevenLabs API filled in (audio fetched,
 * audio found deleted, a transcription backfilled). Recorded in `events_received`.
 */
export type UpdateKind = StoredEventType | 'api_audio' | 'api_audio_missing' | 'api_backfill';

/** What one event writes to its call's item. */
export interface CallUpdate {
  readonly conversationId: string;
  readonly eventType: UpdateKind;
  /** Unix seconds; an update older than what the item already holds for its kind changes nothing. */
  readonly eventTimestamp: number;
  /** Set unconditionally (this event type owns them). */
  readonly set: Attributes;
  /** Set only where the item has no value yet (another event type knows them better). */
  readonly setIfMissing: Attributes;
  /** Removed: what this event type owns but this event no longer says (a newer event replaces an older). */
  readonly remove?: readonly string[];
}

/** An object to write to S3: what a delivery keeps (archived before the item is written). */
export interface CallObject {
  readonly key: string;
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * Per kind, the item attribute holding the timestamp last applied (the ordering guard). Audio and
 * transcriptions from the API share their webhook's guard, so whichever is newer wins.
 */
export const EVENT_TIMESTAMP_ATTRIBUTE: Record<UpdateKind, string> = {
  post_call_transcription: 'transcription_event_timestamp',
  post_call_audio: 'audio_event_timestamp',
  call_initiation_failure: 'failure_event_timestamp',
  post_call_transcription_otel: 'otel_transcription_event_timestamp',
  api_audio: 'audio_event_timestamp',
  api_audio_missing: 'audio_missing_checked_at',
  api_backfill: 'transcription_event_timestamp',
};

/**
 * Per kind, the attribute saying the deletion sweep deleted what it writes (transcript and personal
 * data, or audio): a rebuild replaying the archive must not bring that back.
 */
export const DELETED_MARKER: Record<UpdateKind, string | undefined> = {
  post_call_transcription: 'transcript_deleted_at',
  post_call_transcription_otel: 'transcript_deleted_at',
  call_initiation_failure: 'transcript_deleted_at',
  api_backfill: 'transcript_deleted_at',
  post_call_audio: 'audio_deleted_at',
  api_audio: 'audio_deleted_at',
  api_audio_missing: undefined,
};

/** The event types of a call that DynamoDB refused to store in full (a string set); see {@link StoreErrorRecord}. */
export const STORE_ERROR_ATTRIBUTE = 'store_error';

/** Where the details of an event type's store error are kept until a full write of that type clears them. */
export function storeErrorDetailAttribute(type: StoredEventType): string {
  return `${STORE_ERROR_ATTRIBUTE}_${type}`;
}

/** Per kind, the webhook type whose store error its full write clears (the API's writes repair their webhook's). */
const REPAIRS: Record<UpdateKind, StoredEventType | undefined> = {
  post_call_transcription: 'post_call_transcription',
  post_call_audio: 'post_call_audio',
  call_initiation_failure: 'call_initiation_failure',
  post_call_transcription_otel: 'post_call_transcription_otel',
  api_backfill: 'post_call_transcription',
  api_audio: 'post_call_audio',
  api_audio_missing: undefined,
};

export function storeErrorType(kind: UpdateKind): StoredEventType | undefined {
  return REPAIRS[kind];
}

/** An event DynamoDB refused to store: what the minimal item records of it. */
export interface StoreErrorRecord {
  readonly conversationId: string;
  readonly agentId?: string;
  readonly eventType: StoredEventType;
  readonly eventTimestamp: number;
  /** Where the body as received is, to rebuild the call from. */
  readonly rawKey: string;
  /** The error's name and reason, never its message. */
  readonly error: string;
}

export const DELETION_QUEUE_ATTRIBUTE = BY_DELETION_DUE_INDEX.partitionKey.name;
export const DELETION_DUE_ATTRIBUTE = BY_DELETION_DUE_INDEX.sortKey.name;

/** Whether a stored item has its transcription (JSON or OpenTelemetry), i.e. the call connected and ended. */
export function hasTranscription(item: Record<string, unknown> | undefined): boolean {
  return item?.[EVENT_TIMESTAMP_ATTRIBUTE.post_call_transcription] !== undefined || item?.[EVENT_TIMESTAMP_ATTRIBUTE.post_call_transcription_otel] !== undefined;
}

/** The month a start time falls in, UTC (`2026-12`): the key of the calls list's index. */
export function startMonth(unixSecs: number | null | undefined): string | undefined {
  return unixSecs == null ? undefined : new Date(unixSecs * 1000).toISOString().slice(0, 7);
}

/** A call's start in the three forms stored together: for sorting, for reading, for the list's index. */
export function startTimeAttributes(unixSecs: number | null | undefined) {
  return { start_time_unix_secs: unixSecs ?? undefined, start_time: isoTime(unixSecs), start_month: startMonth(unixSecs) };
}

/** Unix seconds as ISO 8601 UTC, without milliseconds. */
export function isoTime(unixSecs: number | null | undefined): string | undefined {
  return unixSecs == null ? undefined : new Date(unixSecs * 1000).toISOString().replace('.000Z', 'Z');
}
