import { DELETION_DUE_ATTRIBUTE, DELETION_QUEUE_ATTRIBUTE } from './call-item';
import type { ItemShare } from './item-shares';

/*
 * Each event type's share of the call's item: what it owns (sets, and removes when a newer event
 * of its type no longer says it), how many bytes, and what it leaves out first when more arrives.
 * The mechanism is in item-shares.ts; the mapping that fills the attributes in records.ts.
 */

const KIB = 1024;

/** Counted from the transcript: a few numbers and two bounded sets (transcript-counts.ts), never left out to fit. */
const TRANSCRIPT_COUNTS = [
  'user_turns', 'agent_turns', 'interrupted_turns', 'tool_calls', 'tool_errors', 'tools_used', 'tools_errored', 'llm_ttfb_p50_secs',
] as const;

/**
 * The transcription owns the call's metadata and analysis. A newer transcription without one of
 * these removes it, so the item never mixes two versions. (Identity, such as phone fields and the
 * start time, stays: a failure may have set it.)
 */
export const TRANSCRIPTION_SHARE: ItemShare = {
  bytes: 280 * KIB,
  owned: [
    'agent_name', 'user_id', 'call_duration_secs', 'cost', 'cost_fiat', 'charging', 'termination_reason', 'main_language',
    'phone_provider', 'phone_number_id', 'conversation_initiation_source', 'batch_call_id', 'batch_call_recipient_id',
    'error_code', 'error_reason', 'warnings', 'call_successful', 'call_success_score', 'transcript_summary',
    'call_summary_title', 'evaluation', 'evaluation_scores', 'evaluation_rationale', 'data_collection',
    'data_collection_rationale', 'feedback', 'dynamic_variables', 'transcript_turns', ...TRANSCRIPT_COUNTS, 'has_user_audio', 'has_response_audio', 'accepted_time_unix_secs',
    'queue_wait_secs', 'text_only', 'authorization_method', 'timezone', 'initiator_id', 'branch_id', 'version_id',
    'environment', 'tag_ids', 'truncated_fields', 'deletion_time_unix_secs', 'deletion_time', 'delete_transcript_and_pii',
    'delete_audio', DELETION_QUEUE_ATTRIBUTE, DELETION_DUE_ATTRIBUTE, 'transcript_deleted_at',
  ],
  // The why goes first: it quotes the conversation, which is in S3 whole.
  droppable: [
    'evaluation_rationale', 'data_collection_rationale', 'dynamic_variables', 'data_collection', 'warnings', 'tag_ids',
    'charging', 'evaluation_scores', 'evaluation', 'feedback', 'transcript_summary',
  ],
  kept: TRANSCRIPT_COUNTS,
  truncatedAttribute: 'truncated_fields',
};

/** A call that never connected owns why, and the provider's details. */
export const FAILURE_SHARE: ItemShare = {
  bytes: 48 * KIB,
  owned: ['failure_reason', 'failure_provider', 'failure_metadata', 'failure_truncated_fields'],
  droppable: ['failure_metadata'],
  truncatedAttribute: 'failure_truncated_fields',
};

/** The audio event owns where the MP3 is and its size (the API's audio shares them). */
export const AUDIO_SHARE: ItemShare = {
  bytes: 4 * KIB,
  // A recording that arrives again after a deletion is no longer deleted (until the sweep's next pass).
  owned: ['audio_s3_key', 'audio_bytes', 'audio_source', 'audio_truncated_fields', 'audio_deleted_at'],
  droppable: [],
  truncatedAttribute: 'audio_truncated_fields',
};

/**
 * An OpenTelemetry transcript owns where it is. The counts it sets are the JSON transcription's
 * attributes (which they equal), so it does not remove them: a JSON transcription of the call,
 * from the API backfill, is the fuller source.
 */
export const OTEL_SHARE: ItemShare = {
  bytes: 16 * KIB,
  owned: ['otel_transcript_s3_key', 'otel_truncated_fields'],
  droppable: [],
  kept: ['user_turns', 'agent_turns', 'tool_calls', 'tools_used'],
  truncatedAttribute: 'otel_truncated_fields',
};

/** Every share of the item; with the identity and the bookkeeping they stay under 400 KB (tested). */
export const ITEM_SHARES = [TRANSCRIPTION_SHARE, FAILURE_SHARE, AUDIO_SHARE, OTEL_SHARE] as const;
