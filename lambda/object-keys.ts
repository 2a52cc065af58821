import { createHash } from 'node:crypto';
import { isConversationId } from './key-text';

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

/** A conversation fetched from the ElevenLabs API, as a transcription webhook's body, by when it was fetched. */
export function apiRawKey(conversationId: string, fetchedAtUnixSecs: number): string {
  return `${rawCallFolder(conversationId, 'api_backfill')}${fetchedAtUnixSecs}.json`;
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
 * Where transcripts were kept by earlier versions (one object per `event_timestamp`, a copy of the raw
 * body); items stored then still point here. Transcripts are now the raw body itself.
 */
export function transcriptsFolder(agentId: string, conversationId: string): string {
  return `${TRANSCRIPTS_PREFIX}${keySegment(agentId)}/${keySegment(conversationId)}/`;
}

/** Every MP3 of a call: one per audio event, and the one fetched from the API (ends in `/`, so no other call shares it). */
export function audioFolder(conversationId: string): string {
  return `${AUDIO_PREFIX}calls/${keySegment(conversationId)}/`;
}

/**
 * The decoded MP3 of one audio event. A key per event, so an older event can never replace the
 * recording the item describes (a redelivery of the same event writes the same bytes again).
 */
export function webhookAudioKey(conversationId: string, eventTimestamp: number): string {
  return `${audioFolder(conversationId)}${eventTimestamp}.mp3`;
}

/** The MP3 fetched from the ElevenLabs API: a key of its own, so a late audio webhook never overwrites it. */
export function apiAudioKey(conversationId: string): string {
  return `${audioFolder(conversationId)}api.mp3`;
}

/** Where earlier versions kept a call's MP3 (one key per call and source); the deletion sweep still looks there. */
export function legacyAudioKeys(agentId: string, conversationId: string): string[] {
  const base = `${AUDIO_PREFIX}${keySegment(agentId)}/${keySegment(conversationId)}`;
  return [`${base}.mp3`, `${base}.api.mp3`];
}
