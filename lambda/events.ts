import * as z from 'zod/mini';
import { PayloadError } from './errors';
import { MAX_KEY_CHARS } from './key-text';
import { DEFAULT_FUTURE_TOLERANCE_SECONDS, type RawBody } from './signature';
import { setOwn } from './storable';

/*
 * The three ElevenLabs post-call webhooks as one union on `type`. Schemas are lenient where
 * ElevenLabs varies and strict only where a call could not be stored without the field:
 * - unknown fields pass through (ElevenLabs adds fields all the time);
 * - an optional field that is null, missing or of an unexpected type reads as undefined rather
 *   than rejecting the whole call (the raw body is archived anyway, so nothing is lost);
 * - timestamps and numbers may come as strings (one docs page types `event_timestamp` as a string).
 */

/** Past this, a "seconds" value can only be milliseconds (it would be the year 5138). */
const LARGEST_PLAUSIBLE_SECONDS = 1e11;
/** 9999-12-31T23:59:59Z: anything later is not a time (and not a valid Date). */
export const LAST_UNIX_SECOND = 253_402_300_799;

/** Unix seconds from a number, a numeric string or an ISO 8601 date; milliseconds are recognised. */
const unixSeconds = z.pipe(
  z.union([z.number(), z.string()]),
  z.transform((value, ctx) => {
    const parsed = typeof value === 'number' ? value : /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Date.parse(value) / 1000;
    const seconds = Math.floor(parsed > LARGEST_PLAUSIBLE_SECONDS ? parsed / 1000 : parsed);
    if (!Number.isFinite(seconds) || seconds < 0 || seconds > LAST_UNIX_SECOND) {
      ctx.issues.push({ code: 'custom', message: 'not a unix timestamp', input: value });
      return z.NEVER;
    }
    return seconds;
  }),
);

const numeric = z.pipe(
  z.union([z.number(), z.string()]),
  z.transform((value, ctx) => {
    const n = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(n)) {
      ctx.issues.push({ code: 'custom', message: 'not a number', input: value });
      return z.NEVER;
    }
    return n;
  }),
);

/** Optional and forgiving: null, missing or malformed all read as undefined. */
function lenient<T extends z.ZodMiniType>(schema: T) {
  return z.catch(z.optional(z.nullable(schema)), undefined);
}

/** Text that can be a key (see key-text.ts). */
const keyString = z.string().check(z.maxLength(MAX_KEY_CHARS), z.refine((s) => s.isWellFormed(), 'not well-formed Unicode'));
const id = keyString.check(z.minLength(1));

const text = lenient(z.string());
/** Ids and numbers that become index keys: DynamoDB refuses index keys over 2048 bytes. */
const keyText = lenient(keyString);
/**
 * A JSON object, as it is: every key kept, `__proto__` and `constructor` included (zod's record
 * rebuilds the object by assignment, which drops a `__proto__` key).
 */
const objectMap = z.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value));

/** A JSON object whose values are read with a (lenient, so never failing) schema; every key kept. */
function recordOf<T extends z.ZodMiniType>(valueSchema: T) {
  return z.pipe(
    objectMap,
    z.transform((record) => {
      const out: Record<string, z.output<T>> = {};
      for (const key of Object.keys(record)) setOwn(out, key, valueSchema.parse(record[key]) as z.output<T>);
      return out;
    }),
  );
}

/** A phone number as sent: text, or a JSON number (the docs type SIP numbers so); see phone-numbers.ts. */
const numberText = lenient(z.union([z.string(), z.number()]));

/** `phone_call`: Twilio, Exotel or SIP trunking (the same fields, SIP without `stream_sid`). */
const phoneCall = z.looseObject({
  type: text,
  direction: text,
  external_number: numberText,
  agent_number: numberText,
  phone_number_id: text,
  call_sid: text,
});

/** `whatsapp`: the user's id is their number in digits; the phone number id is ElevenLabs' id of yours. */
const whatsapp = z.looseObject({
  direction: text,
  whatsapp_phone_number_id: text,
  whatsapp_user_id: numberText,
});

const sms = z.looseObject({
  direction: text,
  phone_number_id: text,
  sms_user_phone_number: numberText,
  agent_phone_number: numberText,
});

/** An id that some sender may write as a number: kept as text. */
const idText = lenient(z.union([keyString, z.pipe(z.number(), z.transform(String))]));

/** Outbound campaigns (batch calling): the batch id becomes an index key. */
const batchCall = z.looseObject({ batch_call_id: idText, batch_call_recipient_id: idText });

/** Why a conversation failed: the code is a number in the SDK's model (a numeric string is read as one); other text is kept. */
const conversationError = z.looseObject({ code: lenient(z.union([numeric, z.string()])), reason: text });

/** A list of text, other elements and empty text left out. */
const texts = lenient(z.pipe(z.array(z.unknown()), z.transform((values) => values.filter((v): v is string => typeof v === 'string' && v !== ''))));

/** A yes/no that some senders write as text. */
const flag = lenient(z.pipe(z.union([z.boolean(), z.enum(['true', 'false'])]), z.transform((value) => value === true || value === 'true')));

/** When ElevenLabs deletes the call's transcript (and personal data) and audio. */
const deletionSettings = z.looseObject({
  deletion_time_unix_secs: lenient(unixSeconds),
  delete_transcript_and_pii: flag,
  delete_audio: flag,
});

const evaluationResult = z.looseObject({ criteria_id: text, result: text, score: lenient(numeric), rationale: text });
const dataCollectionResult = z.looseObject({ data_collection_id: text, value: z.optional(z.unknown()), rationale: text });

const transcriptionData = z.looseObject({
  agent_id: keyText,
  agent_name: text,
  conversation_id: id,
  status: text,
  user_id: text,
  has_audio: lenient(z.boolean()),
  has_user_audio: flag,
  has_response_audio: flag,
  branch_id: text,
  version_id: text,
  environment: text,
  tag_ids: texts,
  transcript: lenient(z.array(z.unknown())),
  metadata: lenient(
    z.looseObject({
      start_time_unix_secs: lenient(unixSeconds),
      accepted_time_unix_secs: lenient(unixSeconds),
      call_duration_secs: lenient(numeric),
      queue_wait_secs: lenient(numeric),
      cost: lenient(numeric),
      cost_fiat: lenient(numeric),
      charging: lenient(objectMap),
      termination_reason: text,
      main_language: text,
      feedback: lenient(objectMap),
      phone_call: lenient(phoneCall),
      whatsapp: lenient(whatsapp),
      sms: lenient(sms),
      batch_call: lenient(batchCall),
      error: lenient(conversationError),
      warnings: texts,
      conversation_initiation_source: text,
      authorization_method: text,
      text_only: flag,
      timezone: text,
      initiator_id: text,
      user_id: text,
      deletion_settings: lenient(deletionSettings),
    }),
  ),
  analysis: lenient(
    z.looseObject({
      call_successful: text,
      call_success_score: lenient(numeric),
      transcript_summary: text,
      call_summary_title: text,
      evaluation_criteria_results: lenient(recordOf(lenient(evaluationResult))),
      data_collection_results: lenient(recordOf(lenient(dataCollectionResult))),
      // Newer API responses also carry the results as lists.
      evaluation_criteria_results_list: lenient(z.array(lenient(evaluationResult))),
      data_collection_results_list: lenient(z.array(lenient(dataCollectionResult))),
    }),
  ),
  conversation_initiation_client_data: lenient(
    z.looseObject({
      dynamic_variables: lenient(objectMap),
      user_id: text,
    }),
  ),
});

const audioData = z.looseObject({
  agent_id: keyText,
  conversation_id: id,
  full_audio: z.string().check(z.minLength(1)),
});

/** `transcript_format: opentelemetry` sends the transcript as OTLP traces under this type. */
const otelTranscriptionData = z.looseObject({
  agent_id: keyText,
  conversation_id: id,
  otlp_traces: z.optional(z.unknown()),
});

const failureData = z.looseObject({
  agent_id: keyText,
  conversation_id: id,
  failure_reason: text,
  metadata: lenient(z.looseObject({ type: text, body: lenient(objectMap) })),
});

const envelope = z.looseObject({
  type: z.string().check(z.minLength(1)),
  event_timestamp: lenient(unixSeconds),
  data: z.unknown(),
});

export type TranscriptionData = z.infer<typeof transcriptionData>;
export type DeletionSettings = z.infer<typeof deletionSettings>;
export type AudioData = z.infer<typeof audioData>;
export type FailureData = z.infer<typeof failureData>;
export type OtelTranscriptionData = z.infer<typeof otelTranscriptionData>;

interface EventBase {
  /** Unix seconds: `event_timestamp`, or the signature's time when the event has none. */
  readonly eventTimestamp: number;
}

/** The event types this receiver stores (anything else is archived and acknowledged). */
export type StoredEventType = keyof typeof DATA_SCHEMAS;

export type WebhookEvent =
  | (EventBase & { readonly type: 'post_call_transcription'; readonly data: TranscriptionData })
  | (EventBase & { readonly type: 'post_call_audio'; readonly data: AudioData })
  | (EventBase & { readonly type: 'call_initiation_failure'; readonly data: FailureData })
  | (EventBase & { readonly type: 'post_call_transcription_otel'; readonly data: OtelTranscriptionData })
  | (EventBase & { readonly type: 'unknown'; readonly originalType: string });

const DATA_SCHEMAS = {
  post_call_transcription: transcriptionData,
  post_call_audio: audioData,
  call_initiation_failure: failureData,
  post_call_transcription_otel: otelTranscriptionData,
} as const;

function isKnownType(type: string): type is StoredEventType {
  return Object.prototype.hasOwnProperty.call(DATA_SCHEMAS, type);
}

function describeIssues(error: z.core.$ZodError): string {
  // Paths and codes only: a message must never echo the payload.
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.code}`)
    .join('; ');
}

/** A body as JSON, or undefined when it is not JSON. */
export function readJson(rawBody: RawBody): { json: unknown } | undefined {
  try {
    return { json: JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8')) };
  } catch {
    return undefined;
  }
}

/**
 * A verified body, read as JSON, into a webhook event. An unknown `type` is not an error: it comes
 * back as `{ type: 'unknown' }` so new ElevenLabs events are accepted and archived.
 * @param signedAtUnixSecs used when the body carries no `event_timestamp`, and to bound it
 * @param futureToleranceSeconds how far past the signing time an `event_timestamp` may be
 * @throws PayloadError when the body is not JSON or a known event lacks what storing it needs
 */
export function toWebhookEvent(body: { json: unknown } | undefined, signedAtUnixSecs: number, futureToleranceSeconds = DEFAULT_FUTURE_TOLERANCE_SECONDS): WebhookEvent {
  if (!body) throw new PayloadError('Body is not valid JSON.');
  const outer = envelope.safeParse(body.json);
  if (!outer.success) {
    throw new PayloadError(`Not an ElevenLabs webhook envelope {type, event_timestamp, data}: ${describeIssues(outer.error)}`);
  }
  const { type, data } = outer.data;
  // The event time orders events of a call: one dated in the year 5138 would make every later real
  // event stale. No event happens after it is signed (allowing for the same clock skew as the signature).
  const eventTimestamp = Math.min(outer.data.event_timestamp ?? signedAtUnixSecs, signedAtUnixSecs + futureToleranceSeconds);
  if (!isKnownType(type)) return { type: 'unknown', originalType: type, eventTimestamp };

  const parsed = DATA_SCHEMAS[type].safeParse(data);
  if (!parsed.success) {
    throw new PayloadError(`Invalid ${type} data: ${describeIssues(parsed.error)}`);
  }
  return { type, eventTimestamp, data: parsed.data } as WebhookEvent;
}

/** {@link toWebhookEvent} of the raw body. */
export function parseEvent(rawBody: RawBody, signedAtUnixSecs: number, futureToleranceSeconds?: number): WebhookEvent {
  return toWebhookEvent(readJson(rawBody), signedAtUnixSecs, futureToleranceSeconds);
}
