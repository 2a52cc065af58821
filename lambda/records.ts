import type { AudioData, FailureData, TranscriptionData } from './events';
import { audioKey, transcriptKey } from './object-keys';

/*
 * Event → the attributes of the call's DynamoDB item. One item per call, keyed by
 * `conversation_id`; each event type writes its own attributes, so transcription, audio and
 * failure land in the same item whichever arrives first. Names are ElevenLabs' own, flat, so the
 * item reads well in the DynamoDB console.
 */

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export type StoredEventType = 'post_call_transcription' | 'post_call_audio' | 'call_initiation_failure';

/** What one event writes to its call's item. */
export interface CallUpdate {
  readonly conversationId: string;
  readonly eventType: StoredEventType;
  /** Unix seconds; an event older than what the item already holds for its type changes nothing. */
  readonly eventTimestamp: number;
  /** Set unconditionally (this event type owns them). */
  readonly set: Attributes;
  /** Set only where the item has no value yet (another event type knows them better). */
  readonly setIfMissing: Attributes;
}

/** Per event type, the item attribute holding the `event_timestamp` last applied. */
export const EVENT_TIMESTAMP_ATTRIBUTE: Record<StoredEventType, string> = {
  post_call_transcription: 'transcription_event_timestamp',
  post_call_audio: 'audio_event_timestamp',
  call_initiation_failure: 'failure_event_timestamp',
};

/** The item must stay under DynamoDB's 400 KB; this leaves room for the other events' attributes. */
export const TRANSCRIPTION_ITEM_BUDGET_BYTES = 300 * 1024;

/** DynamoDB nests at most 32 levels; deeper values are kept as JSON text. */
const MAX_DEPTH = 16;

/** Drops what DynamoDB cannot hold (undefined, NaN, empty map keys) and flattens deep nesting. */
export function toStorable(value: unknown, depth = 0): AttributeValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return JSON.stringify(value);
  if (Array.isArray(value)) return value.map((v) => toStorable(v, depth + 1) ?? null);
  const out: { [key: string]: AttributeValue } = {};
  for (const [k, v] of Object.entries(value)) {
    const stored = k === '' ? undefined : toStorable(v, depth + 1);
    if (stored !== undefined) out[k] = stored;
  }
  return out;
}

/** Keeps only defined, non-null, storable attributes; empty strings are dropped (they cannot be index keys). */
function compact(attributes: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === '') continue;
    const stored = toStorable(value);
    if (stored !== undefined && stored !== null) out[name] = stored;
  }
  return out;
}

function mapValues<T>(record: Record<string, T | null | undefined> | null | undefined, pick: (v: T) => unknown) {
  if (!record) return undefined;
  return Object.fromEntries(Object.entries(record).flatMap(([k, v]) => (v == null ? [] : [[k, pick(v) ?? null]])));
}

function isoTime(unixSecs: number | null | undefined): string | undefined {
  return unixSecs == null ? undefined : new Date(unixSecs * 1000).toISOString().replace('.000Z', 'Z');
}

/** Where the transcription's attributes would exceed the budget, drop the biggest optional ones (the full event is in S3). */
const DROPPABLE_WHEN_LARGE = ['dynamic_variables', 'data_collection', 'evaluation', 'feedback', 'transcript_summary'] as const;

/** Strings kept whole when even the droppable attributes were not enough (a pathological payload). */
const LAST_RESORT_STRING_CHARS = 1024;

function fitToBudget(attributes: Attributes, budgetBytes: number): Attributes {
  const size = (a: Attributes) => Buffer.byteLength(JSON.stringify(a));
  if (size(attributes) <= budgetBytes) return attributes;
  const fitted: Attributes = { ...attributes };
  const truncated: string[] = [];
  for (const name of DROPPABLE_WHEN_LARGE) {
    if (!(name in fitted)) continue;
    delete fitted[name];
    truncated.push(name);
    if (size(fitted) <= budgetBytes) return { ...fitted, truncated_fields: truncated };
  }
  for (const [name, value] of Object.entries(fitted)) {
    if (typeof value === 'string' && value.length > LAST_RESORT_STRING_CHARS) {
      fitted[name] = value.slice(0, LAST_RESORT_STRING_CHARS);
      truncated.push(name);
    }
  }
  return { ...fitted, truncated_fields: truncated };
}

/** The transcription owns the call's metadata and analysis. */
export function transcriptionUpdate(data: TranscriptionData, eventTimestamp: number): CallUpdate {
  const metadata = data.metadata ?? {};
  const phone = metadata.phone_call ?? {};
  const analysis = data.analysis ?? {};
  const client = data.conversation_initiation_client_data ?? {};
  const agentId = data.agent_id ?? undefined;
  const set = compact({
    agent_id: agentId,
    agent_name: data.agent_name,
    status: data.status,
    user_id: data.user_id ?? client.user_id,
    start_time_unix_secs: metadata.start_time_unix_secs,
    start_time: isoTime(metadata.start_time_unix_secs),
    call_duration_secs: metadata.call_duration_secs,
    cost: metadata.cost,
    termination_reason: metadata.termination_reason,
    main_language: metadata.main_language,
    has_audio: data.has_audio,
    direction: phone.direction,
    external_number: phone.external_number,
    agent_number: phone.agent_number,
    call_sid: phone.call_sid,
    phone_provider: phone.type,
    call_successful: analysis.call_successful,
    transcript_summary: analysis.transcript_summary,
    call_summary_title: analysis.call_summary_title,
    evaluation: mapValues(analysis.evaluation_criteria_results, (r) => r.result),
    data_collection: mapValues(analysis.data_collection_results, (r) => r.value),
    feedback: metadata.feedback,
    dynamic_variables: client.dynamic_variables,
    transcript_turns: data.transcript?.length ?? 0,
    transcript_s3_key: transcriptKey(agentId ?? 'unknown-agent', data.conversation_id),
    [EVENT_TIMESTAMP_ATTRIBUTE.post_call_transcription]: eventTimestamp,
  });
  return {
    conversationId: data.conversation_id,
    eventType: 'post_call_transcription',
    eventTimestamp,
    set: fitToBudget(set, TRANSCRIPTION_ITEM_BUDGET_BYTES),
    setIfMissing: {},
  };
}

/** The audio event owns where the MP3 is and its size. */
export function audioUpdate(data: AudioData, eventTimestamp: number, audioBytes: number): CallUpdate {
  return {
    conversationId: data.conversation_id,
    eventType: 'post_call_audio',
    eventTimestamp,
    set: compact({
      has_audio: true,
      audio_s3_key: audioKey(data.agent_id ?? 'unknown-agent', data.conversation_id),
      audio_bytes: audioBytes,
      [EVENT_TIMESTAMP_ATTRIBUTE.post_call_audio]: eventTimestamp,
    }),
    setIfMissing: compact({ agent_id: data.agent_id }),
  };
}

/** Caller, callee and call id, from SIP or Twilio failure metadata. */
function failureParties(provider: string | undefined, body: Record<string, unknown>) {
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : undefined);
  return provider === 'twilio'
    ? { external_number: text('To'), agent_number: text('From'), call_sid: text('CallSid') }
    : { external_number: text('to_number'), agent_number: text('from_number'), call_sid: text('call_sid') };
}

/**
 * A call that never connected. Its own attributes are set; the phone fields and start time only
 * where no transcription has set them, so the call still shows in the agent and number indexes.
 */
export function failureUpdate(data: FailureData, eventTimestamp: number): CallUpdate {
  const provider = data.metadata?.type ?? undefined;
  const body = data.metadata?.body ?? {};
  return {
    conversationId: data.conversation_id,
    eventType: 'call_initiation_failure',
    eventTimestamp,
    set: compact({
      failure_reason: data.failure_reason,
      failure_provider: provider,
      failure_metadata: body,
      [EVENT_TIMESTAMP_ATTRIBUTE.call_initiation_failure]: eventTimestamp,
    }),
    setIfMissing: compact({
      agent_id: data.agent_id,
      status: 'failed',
      direction: 'outbound',
      start_time_unix_secs: eventTimestamp,
      start_time: isoTime(eventTimestamp),
      ...failureParties(provider, body),
    }),
  };
}
