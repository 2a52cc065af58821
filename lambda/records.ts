import { DELETION_QUEUE_DUE } from '../lib/calls-table-schema';
import { decodeAudioBase64 } from './audio-base64';
import { DELETION_DUE_ATTRIBUTE, DELETION_QUEUE_ATTRIBUTE, isoTime, startTimeAttributes, type CallObject, type CallUpdate } from './call-item';
import { failureParties, transcriptionParties } from './call-channel';
import { chargingSummary } from './charging';
import { type AudioData, type DeletionSettings, type FailureData, type OtelTranscriptionData, type TranscriptionData, type WebhookEvent } from './events';
import { AUDIO_SHARE, FAILURE_SHARE, OTEL_SHARE, TRANSCRIPTION_SHARE } from './event-shares';
import { fitWriterAttributes, isSharedAttribute, type ItemShare } from './item-shares';
import { webhookAudioKey } from './object-keys';
import { otelCall } from './otel-call';
import { compact, setOwn, type Attributes } from './storable';
import { countTranscript } from './transcript-counts';

/*
 * Event → the attributes of the call's DynamoDB item. One item per call, keyed by
 * `conversation_id`; each event type writes its own attributes, so transcription, audio and
 * failure land in the same item whichever arrives first. Names are ElevenLabs' own, flat, so the
 * item reads well in the DynamoDB console.
 */

/**
 * Everything storing one event takes: what S3 keeps of the delivery, then the item update. Each
 * byte is stored once: a transcription's (or failure's) body as received is both its archive and
 * the transcript the item points at, so `archive` is left out; an audio delivery keeps the decoded
 * MP3 and a small envelope (the event without its base64) instead of the body.
 */
export interface CallWrite {
  readonly update: CallUpdate;
  /** Written, in order, before the update, in place of the body as received. */
  readonly archive?: readonly CallObject[];
}

/**
 * ElevenLabs' deletion settings as the item shows them. A call with something to delete at a
 * known time enters the sparse deletion index; the deletion sweep (when switched on) carries it out.
 */
function deletionAttributes(settings: DeletionSettings | null | undefined): Record<string, unknown> {
  const time = settings?.deletion_time_unix_secs ?? undefined;
  const scheduled = time !== undefined && (settings?.delete_transcript_and_pii === true || settings?.delete_audio === true);
  return {
    deletion_time_unix_secs: time,
    deletion_time: isoTime(time),
    delete_transcript_and_pii: settings?.delete_transcript_and_pii,
    delete_audio: settings?.delete_audio,
    [DELETION_QUEUE_ATTRIBUTE]: scheduled ? DELETION_QUEUE_DUE : undefined,
    [DELETION_DUE_ATTRIBUTE]: scheduled ? time : undefined,
  };
}

/**
 * Per result id, what `pick` takes of it. A result that does not say it is null (`evaluation`, a
 * value collected as null), or left out when `onlyGiven` (scores and rationales only some have).
 */
function mapValues<T>(record: Record<string, T | null | undefined> | null | undefined, pick: (v: T) => unknown, onlyGiven = false) {
  if (!record) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(record)) {
    const v = record[k];
    if (v == null) continue;
    const picked = pick(v) ?? null;
    if (picked !== null || !onlyGiven) setOwn(out, k, picked);
  }
  return out;
}

type EvaluationResult = { criteria_id?: string | null; result?: string | null; score?: number | null; rationale?: string | null };
type DataCollectionResult = { data_collection_id?: string | null; value?: unknown; rationale?: string | null };

/** Results by id, from the map ElevenLabs sends or, failing that, its list form. */
function resultsById<T>(map: Record<string, T | null | undefined> | null | undefined, list: (T | null | undefined)[] | null | undefined, idOf: (r: T) => string | null | undefined) {
  // Some payloads carry an empty map beside the full list.
  if (map && (Object.keys(map).length > 0 || !list?.length)) return map;
  if (!list) return undefined;
  // Any string id, the empty one too (stored under the map-key escape).
  return Object.fromEntries(list.flatMap((r) => (r && typeof idOf(r) === 'string' ? [[idOf(r) as string, r]] : [])));
}

/**
 * An event's update, kept within its share whatever it carries: identity values capped, its own
 * attributes fitted to the share, and what it owns but does not carry removed.
 * @param cut attributes of which toStorable already cut something (too deep, a key too long)
 */
function shareUpdate(base: Pick<CallUpdate, 'conversationId' | 'eventType' | 'eventTimestamp'>, share: ItemShare, attributes: { set: Attributes; setIfMissing?: Attributes }, cut: string[]): CallUpdate {
  const set = fitWriterAttributes(attributes.set, share, cut);
  const setIfMissing = attributes.setIfMissing ?? {};
  // Only identity may be filled where missing: anything else would escape every share's bound.
  const stray = Object.keys(setIfMissing).filter((name) => !isSharedAttribute(name));
  if (stray.length > 0) throw new Error(`Not identity, so not to be set where missing: ${stray.join(', ')}`);
  fitWriterAttributes(setIfMissing, share, cut);
  if (cut.length > 0) set[share.truncatedAttribute] = [...new Set(cut)];
  return {
    ...base,
    set,
    setIfMissing,
    remove: share.owned.filter((name) => !(name in set) && !(name in setIfMissing)),
  };
}

/**
 * The transcription owns the call's metadata and analysis; the raw body, already archived under
 * `rawKey`, is the transcript the item points at.
 */
export function transcriptionWrite(data: TranscriptionData, eventTimestamp: number, rawKey: string): CallWrite {
  const metadata = data.metadata ?? {};
  const analysis = data.analysis ?? {};
  const client = data.conversation_initiation_client_data ?? {};
  const evaluations = resultsById<EvaluationResult>(analysis.evaluation_criteria_results, analysis.evaluation_criteria_results_list, (r) => r.criteria_id);
  const dataCollection = resultsById<DataCollectionResult>(analysis.data_collection_results, analysis.data_collection_results_list, (r) => r.data_collection_id);
  const cut: string[] = [];
  const set = compact(
    {
      agent_id: data.agent_id,
      agent_name: data.agent_name,
      status: data.status,
      user_id: data.user_id ?? client.user_id ?? metadata.user_id,
      ...startTimeAttributes(metadata.start_time_unix_secs),
      accepted_time_unix_secs: metadata.accepted_time_unix_secs,
      call_duration_secs: metadata.call_duration_secs,
      queue_wait_secs: metadata.queue_wait_secs,
      cost: metadata.cost,
      cost_fiat: metadata.cost_fiat,
      charging: chargingSummary(metadata.charging ?? undefined),
      termination_reason: metadata.termination_reason,
      main_language: metadata.main_language,
      ...transcriptionParties(metadata),
      conversation_initiation_source: metadata.conversation_initiation_source,
      batch_call_id: metadata.batch_call?.batch_call_id,
      batch_call_recipient_id: metadata.batch_call?.batch_call_recipient_id,
      error_code: metadata.error?.code,
      error_reason: metadata.error?.reason,
      warnings: metadata.warnings?.length ? metadata.warnings : undefined,
      call_successful: analysis.call_successful,
      call_success_score: analysis.call_success_score,
      transcript_summary: analysis.transcript_summary,
      call_summary_title: analysis.call_summary_title,
      evaluation: mapValues(evaluations, (r) => r.result),
      // Numeric-scored criteria only; absent when every criterion is pass/fail.
      evaluation_scores: mapValues(evaluations, (r) => r.score, true),
      evaluation_rationale: mapValues(evaluations, (r) => r.rationale, true),
      data_collection: mapValues(dataCollection, (r) => r.value),
      data_collection_rationale: mapValues(dataCollection, (r) => r.rationale, true),
      feedback: metadata.feedback,
      dynamic_variables: client.dynamic_variables,
      transcript_turns: data.transcript?.length ?? 0,
      ...(data.transcript ? countTranscript(data.transcript, cut) : {}),
      has_user_audio: data.has_user_audio,
      has_response_audio: data.has_response_audio,
      text_only: metadata.text_only,
      authorization_method: metadata.authorization_method,
      timezone: metadata.timezone,
      initiator_id: metadata.initiator_id,
      branch_id: data.branch_id,
      version_id: data.version_id,
      environment: data.environment,
      tag_ids: data.tag_ids ? new Set(data.tag_ids) : undefined,
      transcript_format: 'json',
      transcript_s3_key: rawKey,
      ...deletionAttributes(metadata.deletion_settings),
    },
    cut,
  );
  // The audio event knows better whether audio exists: it carries it.
  const setIfMissing = compact({ has_audio: data.has_audio });
  return { update: shareUpdate({ conversationId: data.conversation_id, eventType: 'post_call_transcription', eventTimestamp }, TRANSCRIPTION_SHARE, { set, setIfMissing }, cut) };
}

/**
 * A transcript in OpenTelemetry format: the raw body under `rawKey` is the transcript; the item
 * learns where it is, what the spans count (turns, tool calls) and, where no JSON transcription
 * has said, the call's start and duration.
 */
export function otelTranscriptionWrite(data: OtelTranscriptionData, eventTimestamp: number, rawKey: string): CallWrite {
  const cut: string[] = [];
  const { start, end, attributes } = otelCall(data.otlp_traces, cut);
  const setIfMissing = compact({
    agent_id: data.agent_id,
    transcript_format: 'opentelemetry',
    transcript_s3_key: rawKey,
    ...startTimeAttributes(start),
    call_duration_secs: start !== undefined && end !== undefined ? end - start : undefined,
  });
  const base = { conversationId: data.conversation_id, eventType: 'post_call_transcription_otel' as const, eventTimestamp };
  return { update: shareUpdate(base, OTEL_SHARE, { set: compact({ otel_transcript_s3_key: rawKey, ...attributes }), setIfMissing }, cut) };
}

/** The audio event's update: it owns where the MP3 is and its size. */
function audioUpdate(conversationId: string, agentId: string | null | undefined, eventTimestamp: number, key: string, bytes: number): CallUpdate {
  const set = compact({ has_audio: true, audio_s3_key: key, audio_bytes: bytes, audio_source: 'webhook' });
  return shareUpdate({ conversationId, eventType: 'post_call_audio', eventTimestamp }, AUDIO_SHARE, { set, setIfMissing: compact({ agent_id: agentId }) }, []);
}

/** The fields of an audio envelope's data that say where its MP3 went and its size. */
export const ENVELOPE_AUDIO_KEY = 'full_audio_s3_key';
export const ENVELOPE_AUDIO_BYTES = 'full_audio_bytes';

/**
 * An audio delivery: its envelope at `rawKey` in place of the body (the body as received with
 * `full_audio` replaced by where the MP3 went and its size), then the decoded MP3 under a key of
 * its own (one per event, so an older event never replaces the recording the item points at),
 * then the update.
 * @param received the body as parsed, kept whole in the envelope but for its base64
 */
export function audioWrite(data: AudioData, eventTimestamp: number, rawKey: string, received?: unknown): CallWrite {
  const audio = decodeAudioBase64(data.full_audio);
  const key = webhookAudioKey(data.conversation_id, eventTimestamp);
  const body = (typeof received === 'object' && received !== null ? received : { type: 'post_call_audio', event_timestamp: eventTimestamp, data }) as { data?: unknown };
  const envelopeData: Record<string, unknown> = Object.assign({}, body.data);
  delete envelopeData.full_audio;
  envelopeData[ENVELOPE_AUDIO_KEY] = key;
  envelopeData[ENVELOPE_AUDIO_BYTES] = audio.length;
  const envelope = JSON.stringify(Object.assign({}, body, { data: envelopeData }));
  return {
    update: audioUpdate(data.conversation_id, data.agent_id, eventTimestamp, key, audio.length),
    archive: [
      { key: rawKey, body: Buffer.from(envelope), contentType: 'application/json' },
      { key, body: audio, contentType: 'audio/mpeg' },
    ],
  };
}

/**
 * The MP3 fetched from the ElevenLabs API: guarded like the audio webhook, dated when it was
 * fetched, so a webhook arriving later changes nothing.
 */
export function apiAudioUpdate(conversationId: string, key: string, bytes: number, fetchedAtUnixSecs: number): CallUpdate {
  return {
    conversationId,
    eventType: 'api_audio',
    eventTimestamp: fetchedAtUnixSecs,
    set: { has_audio: true, audio_s3_key: key, audio_bytes: bytes, audio_source: 'api' },
    setIfMissing: {},
    remove: ['audio_fetch_status'],
  };
}

/**
 * The update an archived audio envelope stands for (rebuilding a call from S3), read as the webhook
 * read the event: the same schema and time bound. Undefined unless it names the very MP3 key the
 * webhook would have written, with a size.
 */
export function audioEnvelopeWrite(event: WebhookEvent & { type: 'post_call_audio' }, envelopeData: Record<string, unknown>): CallWrite | undefined {
  const { data, eventTimestamp } = event;
  const key = webhookAudioKey(data.conversation_id, eventTimestamp);
  const bytes = envelopeData[ENVELOPE_AUDIO_BYTES];
  if (envelopeData[ENVELOPE_AUDIO_KEY] !== key || typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes <= 0) return undefined;
  return { update: audioUpdate(data.conversation_id, data.agent_id, eventTimestamp, key, bytes) };
}

/**
 * A call that never connected. Its own attributes are set; the phone fields and start time only
 * where no transcription has set them, so the call still shows in the agent and number indexes.
 */
export function failureWrite(data: FailureData, eventTimestamp: number): CallWrite {
  const provider = data.metadata?.type ?? undefined;
  const body = data.metadata?.body ?? {};
  const cut: string[] = [];
  const set = compact({ failure_reason: data.failure_reason, failure_provider: provider, failure_metadata: body }, cut);
  const setIfMissing = compact({
    agent_id: data.agent_id,
    status: 'failed',
    ...startTimeAttributes(eventTimestamp),
    ...failureParties(data),
  });
  return { update: shareUpdate({ conversationId: data.conversation_id, eventType: 'call_initiation_failure', eventTimestamp }, FAILURE_SHARE, { set, setIfMissing }, cut) };
}

/**
 * What storing an event takes, or undefined for a type this receiver only archives.
 * @param rawKey where the delivery is archived: its body as received (a transcription's transcript), or an audio event's envelope
 * @param received the body as parsed, for an audio event's envelope
 * @throws PayloadError when the audio is not base64 or decodes to nothing
 */
export function toCallWrite(event: WebhookEvent, rawKey: string, received?: unknown): CallWrite | undefined {
  switch (event.type) {
    case 'post_call_transcription':
      return transcriptionWrite(event.data, event.eventTimestamp, rawKey);
    case 'post_call_transcription_otel':
      return otelTranscriptionWrite(event.data, event.eventTimestamp, rawKey);
    case 'post_call_audio':
      return audioWrite(event.data, event.eventTimestamp, rawKey, received);
    case 'call_initiation_failure':
      return failureWrite(event.data, event.eventTimestamp);
    case 'unknown':
      return undefined;
    default: {
      const unhandled: never = event;
      throw new Error(`Unhandled event type ${(unhandled as WebhookEvent).type}`);
    }
  }
}
