import { createHash } from 'node:crypto';
import { isConversationId } from './events';

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

/** An id as one key segment (`.` and `..` encoded too: consoles and tools treat them as paths). */
export function keySegment(id: string): string {
  const encoded = /^\.{1,2}$/.test(id) ? id.replace(/\./g, '%2E') : encodeURIComponent(id) || '_';
  return encoded.length <= MAX_SEGMENT_BYTES ? encoded : `sha256-${createHash('sha256').update(id).digest('hex')}`;
}

/** Where raw bodies that name no call go, by the day they were signed. */
const UNATTRIBUTED_RAW_PREFIX = `${RAW_PREFIX}unattributed/`;

/** Every raw body of a call (of one event type, when given), so deleting a call's data is deleting folders. */
export function rawCallFolder(conversationId: string, type?: string): string {
  return `${RAW_PREFIX}calls/${keySegment(conversationId)}/${type === undefined ? '' : `${keySegment(type)}/`}`;
}

/** The call and type a parsed body names, when usable as key segments (read before any validation). */
function namedCall(json: unknown): { conversationId: string; type: string } | undefined {
  const { type, data } = (json ?? {}) as { type?: unknown; data?: { conversation_id?: unknown } };
  const conversationId = data?.conversation_id;
  if (!isConversationId(conversationId)) return undefined;
  const usableType = typeof type === 'string' && type !== '' && type.length <= 64 && type.isWellFormed();
  return { conversationId, type: usableType ? type : 'unknown' };
}

/**
 * Every verified delivery, as received: under its call and type when the body names them, by day
 * otherwise. Named by its signing time and an id derived one-way from its signature: the HMAC
 * already digested the body, so it is not hashed twice. A retransmitted request overwrites itself;
 * a retry ElevenLabs signs anew is kept beside it.
 * @param json the body as parsed, or undefined when it is not JSON
 */
export function rawEventKey(signedAtUnixSecs: number, signatureHex: string, json: unknown): string {
  const call = namedCall(json);
  const day = new Date(signedAtUnixSecs * 1000).toISOString().slice(0, 10).replace(/-/g, '/');
  const folder = call ? rawCallFolder(call.conversationId, call.type) : `${UNATTRIBUTED_RAW_PREFIX}${day}/`;
  const deliveryId = createHash('sha256').update(signatureHex).digest('hex').slice(0, 32);
  return `${folder}${signedAtUnixSecs}-${deliveryId}.json`;
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
  return `${TRANSCRIPTS_PREFIX}${keySegment(agentId)}/${keySegment(conversationId)}/`;
}

/**
 * The decoded MP3 of a call. Audio fetched from the API has a key of its own, so a late audio
 * webhook can never overwrite the recording the item points at.
 */
export function audioKey(agentId: string, conversationId: string, source: 'webhook' | 'api' = 'webhook'): string {
  return `${AUDIO_PREFIX}${keySegment(agentId)}/${keySegment(conversationId)}${source === 'api' ? '.api' : ''}.mp3`;
}
