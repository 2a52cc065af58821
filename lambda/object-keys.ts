import { createHash } from 'node:crypto';

/**
 * Where things live in the calls bucket. The construct grants the function exactly these prefixes.
 * Ids come from the payload, so they are percent-encoded into one path segment: a `/` in an id
 * can never reach another prefix, and ElevenLabs' ids (`conv_...`, `agent_...`) stay as they are.
 * An implausibly long id is hashed, so every key stays under S3's limit.
 */
export const RAW_PREFIX = 'raw/';
export const TRANSCRIPTS_PREFIX = 'transcripts/';
export const AUDIO_PREFIX = 'audio/';
export const BUCKET_PREFIXES = [RAW_PREFIX, TRANSCRIPTS_PREFIX, AUDIO_PREFIX] as const;

/** S3 keys stop at 1024 bytes: a longer id segment is replaced by its hash. */
const MAX_SEGMENT_BYTES = 200;

function keySafe(id: string): string {
  const encoded = encodeURIComponent(id) || '_';
  return encoded.length <= MAX_SEGMENT_BYTES ? encoded : `sha256-${createHash('sha256').update(id).digest('hex')}`;
}

/**
 * Every verified delivery, as received, by the day and second it was signed and an id derived
 * one-way from its signature: the HMAC already digested the body, so it is not hashed twice. A
 * retransmitted request overwrites itself; a retry ElevenLabs signs anew is kept beside it.
 */
export function rawEventKey(signedAtUnixSecs: number, signatureHex: string): string {
  const day = new Date(signedAtUnixSecs * 1000).toISOString().slice(0, 10).replace(/-/g, '/');
  const deliveryId = createHash('sha256').update(signatureHex).digest('hex').slice(0, 32);
  return `${RAW_PREFIX}${day}/${signedAtUnixSecs}-${deliveryId}.json`;
}

/**
 * The full transcription event, as received. One object per `event_timestamp`, so a late or
 * repeated older event can never replace the transcript the item points at.
 * @param format `otel` for the OpenTelemetry transcript format
 */
export function transcriptKey(agentId: string, conversationId: string, eventTimestamp: number, format: 'json' | 'otel' = 'json'): string {
  const extension = format === 'otel' ? 'otel.json' : 'json';
  return `${transcriptsFolder(agentId, conversationId)}${eventTimestamp}.${extension}`;
}

/** Where every transcript version of a call lives (ends in `/`, so no other call shares it). */
export function transcriptsFolder(agentId: string, conversationId: string): string {
  return `${TRANSCRIPTS_PREFIX}${keySafe(agentId)}/${keySafe(conversationId)}/`;
}

/**
 * The decoded MP3 of a call. Audio fetched from the API has a key of its own, so a late audio
 * webhook can never overwrite the recording the item points at.
 */
export function audioKey(agentId: string, conversationId: string, source: 'webhook' | 'api' = 'webhook'): string {
  return `${AUDIO_PREFIX}${keySafe(agentId)}/${keySafe(conversationId)}${source === 'api' ? '.api' : ''}.mp3`;
}
