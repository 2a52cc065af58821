import type { CallObject, CallUpdate } from './call-item';
import { readJson, toWebhookEvent } from './events';
import { AUDIO_PREFIX, keySegment, RAW_PREFIX } from './object-keys';
import { apiAudioUpdate, audioEnvelopeWrite, ENVELOPE_AUDIO_KEY, toCallWrite } from './records';

/*
 * A call rebuilt from S3 alone: each archived object stands for the update its delivery made,
 * through the same mapping as the webhook. Pure: the command that lists the bucket and applies
 * the updates (`npm run calls -- rebuild`) is in lib/calls/rebuild.ts.
 */

/** Where a delivery's archive is: `raw/calls/<conversation>/<type>/<signed at>-<id>.json` (`<fetched at>.json` for the API backfill). */
const RAW_CALL_KEY = /^raw\/calls\/([^/]+)\/([^/]+)\/(\d+)(?:-[0-9a-f]+)?\.json$/;
/** The MP3 reconciliation fetched from the API (it has no envelope: its object is its record). */
const API_AUDIO_KEY = /^audio\/calls\/([^/]+)\/api\.mp3$/;

/** The folders a rebuild lists. */
export const REBUILD_PREFIXES = [`${RAW_PREFIX}calls/`, `${AUDIO_PREFIX}calls/`] as const;

/** An object as listed: its key, size and when it was written. */
export interface ArchivedObject {
  readonly key: string;
  readonly bytes: number;
  readonly lastModifiedUnixSecs: number;
}

/** What an archived object is, from its key alone: which call, which kind, when (signing or fetch time). */
export interface ArchiveEntry {
  readonly kind: 'delivery' | 'api_audio';
  /** The type folder of a delivery (`post_call_transcription`, `api_backfill`, ...). */
  readonly type?: string;
  readonly keySegment: string;
  /** Unix seconds: when the delivery was signed (or the API answer fetched). */
  readonly at: number;
}

/** What a key in the bucket is, or undefined for objects that stand for no update (MP3s with an envelope, legacy copies, unattributed bodies). */
export function archiveEntry(object: ArchivedObject): ArchiveEntry | undefined {
  const raw = RAW_CALL_KEY.exec(object.key);
  if (raw) return { kind: 'delivery', keySegment: raw[1], type: safeDecode(raw[2]), at: Number(raw[3]) };
  const api = API_AUDIO_KEY.exec(object.key);
  if (api) return { kind: 'api_audio', keySegment: api[1], at: object.lastModifiedUnixSecs };
  return undefined;
}

/** A key segment as the id it encodes; a segment that is no percent-encoding (no key this receiver wrote) stays as it is. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** What rebuilding one archived object takes. */
export interface RebuildWrite {
  readonly update: CallUpdate;
  /** A whole audio body of an earlier version: its MP3, written where the item will point if missing. */
  readonly mp3?: CallObject;
  /** An audio envelope: the MP3 it names, which must be there for the update to apply. */
  readonly requires?: string;
}

/** An audio envelope: the event as the webhook read it (same schema, same time bound), its MP3 named. */
function envelopeWrite(json: unknown, signedAt: number): RebuildWrite | undefined {
  const data = (json as { data?: unknown }).data as Record<string, unknown>;
  // Read as the webhook read the event, its base64 stood in for: the MP3 is elsewhere.
  const event = toWebhookEvent({ json: { ...(json as object), data: { ...data, full_audio: 'AA==' } } }, signedAt);
  if (event.type !== 'post_call_audio') return undefined;
  const write = audioEnvelopeWrite(event, data);
  return write && { update: write.update, requires: data[ENVELOPE_AUDIO_KEY] as string };
}

const hasEnvelopeKey = (json: unknown) => {
  const data = (json as { data?: unknown } | undefined)?.data;
  return typeof data === 'object' && data !== null && typeof (data as Record<string, unknown>)[ENVELOPE_AUDIO_KEY] === 'string';
};

/**
 * The update an archived object stands for, or undefined when it stands for none (an unknown
 * event type, a body that was never a valid event: what the webhook answered 400 to).
 * @param read the object's bytes, read only for a delivery
 */
export async function rebuildWrite(object: ArchivedObject, entry: ArchiveEntry, read: () => Promise<Buffer>): Promise<RebuildWrite | undefined> {
  if (entry.kind === 'api_audio') {
    const conversationId = safeDecode(entry.keySegment);
    // A hashed segment (an implausibly long id) cannot be turned back into its id: said, not skipped.
    if (keySegment(conversationId) !== entry.keySegment) throw Object.assign(new Error('hashed id'), { name: 'UnknownConversation', reason: 'the folder names a hashed id' });
    return { update: apiAudioUpdate(conversationId, object.key, object.bytes, entry.at) };
  }
  const body = await read();
  const json = readJson(body);
  try {
    if (entry.type === 'post_call_audio' && hasEnvelopeKey(json?.json)) return envelopeWrite(json?.json, entry.at);
    // Parsed once: the same text the envelope check read.
    const write = toCallWrite(toWebhookEvent(json, entry.at), object.key);
    if (!write) return undefined;
    // A whole audio body (earlier versions kept one): its MP3 goes where the webhook writes it now.
    const mp3 = write.archive?.find((archived) => archived.contentType === 'audio/mpeg');
    if (mp3) return { update: write.update, mp3 };
    return { update: entry.type === 'api_backfill' ? { ...write.update, eventType: 'api_backfill' } : write.update };
  } catch {
    return undefined;
  }
}
