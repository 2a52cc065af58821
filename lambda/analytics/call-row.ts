import { keySegment } from '../object-keys';

/*
 * A call as one row for SQL (Athena in AWS, DuckDB locally): the one definition of the columns,
 * from which the rows are written, the Glue table is declared and the local table is read. JSON
 * lines, one small object per call: written by a function that needs no columnar writer in its
 * bundle, read by both engines as they are (README: "SQL over every call").
 */

/** Column types as Athena (Glue) names them. `json` is text holding JSON (a structure of any shape). */
export type ColumnType = 'string' | 'bigint' | 'double' | 'boolean' | 'timestamp' | 'array<string>' | 'map<string,string>' | 'json';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly comment: string;
  /** The item's attribute it is read from. @default name */
  readonly from?: string;
}

/** The partition column: the day the call started (UTC), in the object's key, not in the row. */
export const PARTITION_COLUMN = { name: 'start_date', type: 'string', comment: 'the day the call started, UTC (YYYY-MM-DD): the partition' } as const;

export const ANALYTICS_PREFIX = 'analytics/';
export const CALL_ROWS_PREFIX = `${ANALYTICS_PREFIX}calls/`;

const c = (name: string, type: ColumnType, comment: string, from?: string): Column => ({ name, type, comment, from });

/** Every column of the `calls` table, in order. */
export const CALL_COLUMNS: readonly Column[] = [
  c('conversation_id', 'string', "ElevenLabs' conversation id"),
  c('agent_id', 'string', 'the agent'),
  c('agent_name', 'string', "the agent's name"),
  c('start_time', 'timestamp', 'when the call started (UTC)', 'start_time_unix_secs'),
  c('start_time_unix_secs', 'bigint', 'when the call started, unix seconds'),
  c('outcome', 'string', 'success, failure, unknown, not_connected or conversation_failed; null before a transcription or failure'),
  c('status', 'string', "ElevenLabs' status (done, failed, ...)"),
  c('call_successful', 'string', "ElevenLabs' verdict: success, failure or unknown"),
  c('call_success_score', 'double', "ElevenLabs' success score, 0 to 1"),
  c('call_duration_secs', 'double', 'duration in seconds'),
  c('cost', 'double', 'cost in ElevenLabs credits'),
  c('cost_usd', 'double', 'cost in US dollars, when ElevenLabs sent it', 'cost_fiat'),
  c('channel', 'string', 'phone, whatsapp, sms or web'),
  c('direction', 'string', 'inbound or outbound'),
  c('external_number', 'string', "the other party's number"),
  c('agent_number', 'string', "the agent's number"),
  c('phone_provider', 'string', 'twilio, sip_trunking, exotel'),
  c('conversation_initiation_source', 'string', 'how the conversation started'),
  c('termination_reason', 'string', 'why it ended'),
  c('main_language', 'string', 'the detected language'),
  c('batch_call_id', 'string', 'the outbound campaign'),
  c('batch_call_recipient_id', 'string', "the campaign's recipient"),
  c('error_code', 'bigint', 'why a conversation failed: the code'),
  c('error_reason', 'string', 'why a conversation failed: the reason'),
  c('failure_reason', 'string', 'why the call never connected (busy, no-answer, ...)'),
  c('failure_provider', 'string', 'sip or twilio'),
  c('call_summary_title', 'string', "ElevenLabs' title"),
  c('transcript_summary', 'string', "ElevenLabs' summary"),
  c('evaluation', 'map<string,string>', 'evaluation criterion -> result'),
  c('evaluation_scores', 'map<string,string>', 'numeric evaluation criterion -> score (as text)'),
  c('data_collection', 'map<string,string>', 'data collection id -> value (text as is, anything else as JSON)'),
  c('user_turns', 'bigint', 'turns by the user'),
  c('agent_turns', 'bigint', 'turns by the agent'),
  c('interrupted_turns', 'bigint', 'agent turns the user interrupted'),
  c('tool_calls', 'bigint', 'tool calls made'),
  c('tool_errors', 'bigint', 'tool results that were errors'),
  c('tools_used', 'array<string>', 'names of the tools called'),
  c('llm_ttfb_p50_secs', 'double', "median LLM time to first byte over the agent's turns"),
  c('has_audio', 'boolean', 'whether ElevenLabs recorded audio'),
  c('audio_bytes', 'bigint', 'size of the stored MP3'),
  c('tag_ids', 'array<string>', "the agent's tags"),
  c('charging', 'json', 'the charging breakdown (prices in USD, charges in credits, tokens per model)'),
  c('feedback', 'json', "the caller's feedback"),
  c('user_id', 'string', 'your user id, when the conversation was started with one (to join with your systems)'),
  c('accepted_time', 'timestamp', 'when the conversation was accepted (UTC)', 'accepted_time_unix_secs'),
  c('queue_wait_secs', 'double', 'seconds waited in the concurrency queue'),
  c('authorization_method', 'string', 'how the conversation was authorized'),
  c('branch_id', 'string', "the agent's branch that answered"),
  c('version_id', 'string', "the agent's version that answered"),
  c('environment', 'string', "the agent's environment"),
  c('phone_number_id', 'string', "ElevenLabs' id of your number"),
  c('has_user_audio', 'boolean', "whether the user's audio was recorded"),
  c('has_response_audio', 'boolean', "whether the agent's audio was recorded"),
  c('text_only', 'boolean', 'a text-only conversation'),
  c('transcript_turns', 'bigint', 'turns in the transcript'),
  c('tools_errored', 'array<string>', 'names of the tools that returned an error'),
  c('warnings', 'array<string>', "ElevenLabs' warnings"),
  c('audio_source', 'string', 'webhook, or api when reconciliation fetched it'),
  c('events_received', 'array<string>', 'the webhook types (and reconciliation steps) seen for this call'),
  c('store_error', 'array<string>', 'event types whose item DynamoDB refused (a placeholder row until repaired)'),
  c('deletion_time', 'timestamp', "when ElevenLabs deletes the call's data under its settings", 'deletion_time_unix_secs'),
  c('transcript_deleted_at', 'timestamp', 'when our copy of the transcript and personal data was deleted'),
  c('audio_deleted_at', 'timestamp', 'when our copy of the audio was deleted'),
  c('updated_at', 'timestamp', 'the last change to the call'),
];

/**
 * What the item holds that is not a column, and why: the test holds every attribute the mapping
 * writes to be a column or here. A name ending in `*` stands for every name that starts so.
 */
export const NOT_COLUMNS: Readonly<Record<string, string>> = {
  start_time: 'the start as text: the start_time column is its timestamp',
  start_month: "the calls list's index key",
  transcript_s3_key: 'where the transcript is: `calls show` and the console read it',
  otel_transcript_s3_key: 'where the OpenTelemetry traces are',
  audio_s3_key: 'where the MP3 is',
  transcript_format: 'how the transcript was sent (json or opentelemetry)',
  call_sid: "a provider's call id: personal data with no use in a report",
  initiator_id: 'who started an outbound conversation: personal data',
  timezone: "the user's time zone: personal data",
  dynamic_variables: 'free-form, often personal: read per call',
  evaluation_rationale: 'prose quoting the conversation: read per call',
  data_collection_rationale: 'prose quoting the conversation: read per call',
  failure_metadata: "the telephony provider's raw details: read per call",
  deletion_time: 'deletion_time_unix_secs as text: the deletion_time column is its timestamp',
  deletion_queue: "the deletion sweep's bookkeeping",
  deletion_due_unix_secs: "the deletion sweep's bookkeeping",
  delete_audio: "ElevenLabs' deletion settings: deletion_time and the *_deleted_at columns say what happened",
  delete_transcript_and_pii: "ElevenLabs' deletion settings: deletion_time and the *_deleted_at columns say what happened",
  'truncated_fields': 'what the item left out: the row is as complete as the item',
  '*_truncated_fields': 'what the item left out, per event type',
  '*_event_timestamp': 'ordering guards',
  'store_error_*': "a refused event's details: store_error names the types",
  expires_at: 'the item\'s TTL',
  audio_missing_checked_at: "reconciliation's bookkeeping",
  audio_fetch_status: "reconciliation's bookkeeping",
};

type Value = string | number | boolean | null | string[] | Record<string, string>;

/** `2025-11-24 16:00:00.000`: the timestamp text both Athena's JSON SerDe and DuckDB read. */
export function sqlTimestamp(unixMillis: number): string {
  return new Date(unixMillis).toISOString().replace('T', ' ').replace('Z', '');
}

function cell(type: ColumnType, value: unknown): Value {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'bigint':
      return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : null;
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'timestamp': {
      const millis = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : NaN;
      return Number.isFinite(millis) ? sqlTimestamp(millis) : null;
    }
    case 'array<string>': {
      const values = value instanceof Set ? [...value] : Array.isArray(value) ? value : [value];
      return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).sort();
    }
    case 'map<string,string>':
      if (typeof value !== 'object' || Array.isArray(value) || value instanceof Set) return null;
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    case 'json':
      return JSON.stringify(value instanceof Set ? [...value] : value);
  }
}

/**
 * The call's row: every column, null where the item has nothing of its type. `outcome` is given by
 * the caller (the readers' one definition of it), so the row says what the console and `calls` say.
 */
export function toCallRow(item: Record<string, unknown>, outcome: string | undefined): Record<string, Value> {
  const row: Record<string, Value> = {};
  for (const column of CALL_COLUMNS) {
    row[column.name] = column.name === 'outcome' ? outcome ?? null : cell(column.type, item[column.from ?? column.name]);
  }
  return row;
}

/** A row as its object holds it: one JSON line. */
export function rowLine(row: Record<string, unknown>): string {
  return `${JSON.stringify(row)}\n`;
}

/** The day (UTC) a call started, for its partition; undefined for a call with no start time yet. */
export function startDate(item: Record<string, unknown>): string | undefined {
  const start = item.start_time_unix_secs;
  return typeof start === 'number' && Number.isFinite(start) ? new Date(start * 1000).toISOString().slice(0, 10) : undefined;
}

/** Where a call's row lives: under its start day, one object per call (the latest state). */
export function callRowKey(conversationId: string, day: string): string {
  return `${CALL_ROWS_PREFIX}${PARTITION_COLUMN.name}=${day}/${keySegment(conversationId)}.json`;
}
