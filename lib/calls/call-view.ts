import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { isJsonObject } from '../../lambda/storable';
import type { CallsTarget } from './calls-target';
import { getCall, type CallItem } from './calls-query';
import { callOutcome, conversationError, withFailureKind, type CallOutcome } from './failure-kind';

/*
 * One call as a page shows it: the item, the transcript as turns (read from the transcription
 * event S3 keeps), and where the audio and the transcript stand. What a reader gets is the stored
 * text as data; every renderer escapes it.
 */

export interface ToolCall { readonly name: string; readonly params: string | null }
export interface ToolResult { readonly name: string; readonly is_error: boolean; readonly result: string | null }

export interface Turn {
  readonly role: string;
  readonly message: string | null;
  readonly time_in_call_secs: number | null;
  readonly interrupted: boolean;
  readonly tool_calls: ToolCall[];
  readonly tool_results: ToolResult[];
  /** `like` or `dislike`, when the person rated this turn. */
  readonly feedback: string | null;
}

/** Where a stored thing stands: there; deleted under ElevenLabs' deletion settings; expected but not there; never received. */
export type StoredStatus = 'available' | 'deleted' | 'missing' | 'none';

export interface AudioView {
  readonly status: StoredStatus;
  /**
   * For `missing`: the item points at an object the bucket lacks; or ElevenLabs says the call has
   * audio and none was delivered (the audio webhook is off, still to come, or was too large: API
   * reconciliation fetches it when on); or S3 would not say (403: the reader may not GetObject, or,
   * without s3:ListBucket, S3 answers 403 for an object that is not there).
   */
  readonly reason: 'not_in_bucket' | 'not_received' | 'not_readable' | null;
  readonly key: string | null;
  readonly bytes: number | null;
  /** `webhook` or `api` (fetched by reconciliation). */
  readonly source: string | null;
  /** When the deletion sweep removed it. */
  readonly deleted_at: string | null;
}

export interface CallView {
  readonly call: CallItem;
  readonly outcome: CallOutcome | null;
  readonly error: string | null;
  readonly transcript: Turn[] | null;
  /** `opentelemetry`: the transcription came as traces, which hold no turns' text. */
  readonly transcript_status: StoredStatus | 'opentelemetry';
  readonly transcript_deleted_at: string | null;
  readonly audio: AudioView;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : value === undefined || value === null ? null : JSON.stringify(value));
const number = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** One transcript entry as a turn; any field ElevenLabs leaves out or sends oddly reads as absent. */
export function toTurn(entry: unknown): Turn {
  const e = isJsonObject(entry) ? entry : {};
  const feedback = isJsonObject(e.feedback) ? e.feedback.score : e.feedback;
  return {
    role: typeof e.role === 'string' ? e.role : 'unknown',
    message: text(e.message),
    time_in_call_secs: number(e.time_in_call_secs),
    interrupted: e.interrupted === true,
    tool_calls: list(e.tool_calls).map((c) => (isJsonObject(c) ? { name: text(c.tool_name ?? c.name) ?? 'tool', params: text(c.params_as_json ?? c.params) } : { name: 'tool', params: text(c) })),
    tool_results: list(e.tool_results).map((r) => (isJsonObject(r) ? { name: text(r.tool_name ?? r.name) ?? 'tool', is_error: r.is_error === true, result: text(r.result_value ?? r.result) } : { name: 'tool', is_error: false, result: text(r) })),
    feedback: typeof feedback === 'string' ? feedback : null,
  };
}

/** The turns of a stored transcription event (its `data.transcript`), or null when it has none. */
export function transcriptTurns(event: unknown): Turn[] | null {
  const data = isJsonObject(event) && isJsonObject(event.data) ? event.data : undefined;
  return Array.isArray(data?.transcript) ? data.transcript.map(toTurn) : null;
}

function parsedOrUndefined(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The stored body of the call's transcription (the webhook's, as received), or undefined when not there. */
export async function readTranscriptionBody(target: CallsTarget, call: CallItem): Promise<Buffer | undefined> {
  const key = call.transcript_s3_key;
  if (typeof key !== 'string' || !target.bucketName) return undefined;
  try {
    const object = await target.s3.send(new GetObjectCommand({ Bucket: target.bucketName, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  } catch (error) {
    // Not there, or not readable with these credentials: the page says the transcript is missing, and shows the rest.
    if ((error as Error).name === 'NoSuchKey' || isForbidden(error)) return undefined;
    throw error;
  }
}

/** S3's answer for an object the reader may not read, or (without s3:ListBucket) one that is not there. */
export const isForbidden = (error: unknown) =>
  ['Forbidden', 'AccessDenied'].includes((error as Error).name) || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403;

async function objectState(target: CallsTarget, key: string): Promise<'there' | 'gone' | 'forbidden'> {
  try {
    await target.s3.send(new HeadObjectCommand({ Bucket: target.bucketName, Key: key }));
    return 'there';
  } catch (error) {
    if ((error as Error).name === 'NotFound' || (error as Error).name === 'NoSuchKey') return 'gone';
    if (isForbidden(error)) return 'forbidden';
    throw error;
  }
}

async function audioView(target: CallsTarget, call: CallItem): Promise<AudioView> {
  const base = { key: null, bytes: number(call.audio_bytes), source: text(call.audio_source), deleted_at: text(call.audio_deleted_at), reason: null };
  if (typeof call.audio_s3_key === 'string' && target.bucketName) {
    const state = await objectState(target, call.audio_s3_key);
    if (state === 'there') return { ...base, status: 'available', key: call.audio_s3_key };
    return { ...base, status: 'missing', reason: state === 'gone' ? 'not_in_bucket' : 'not_readable' };
  }
  if (call.audio_deleted_at !== undefined || call.audio_fetch_status === 'deleted') return { ...base, status: 'deleted' };
  if (call.has_audio === true) return { ...base, status: 'missing', reason: 'not_received' };
  return { ...base, status: 'none' };
}

/** The call with this conversation id as a page shows it, or undefined when there is none. */
export async function readCallView(target: CallsTarget, conversationId: string): Promise<CallView | undefined> {
  const call = await getCall(target, conversationId);
  if (!call) return undefined;
  const [body, audio] = await Promise.all([readTranscriptionBody(target, call), audioView(target, call)]);
  let transcript: Turn[] | null = null;
  let transcriptStatus: CallView['transcript_status'];
  if (body && call.transcript_format === 'opentelemetry') transcriptStatus = 'opentelemetry';
  else if (body) {
    transcript = transcriptTurns(parsedOrUndefined(body));
    transcriptStatus = 'available';
  } else if (call.transcript_deleted_at !== undefined) transcriptStatus = 'deleted';
  else if (typeof call.transcript_s3_key === 'string') transcriptStatus = 'missing';
  else if (call.otel_transcript_s3_key !== undefined) transcriptStatus = 'opentelemetry';
  else transcriptStatus = 'none';
  return {
    call: withFailureKind(call),
    outcome: callOutcome(call) ?? null,
    error: conversationError(call) ?? null,
    transcript,
    transcript_status: transcriptStatus,
    transcript_deleted_at: text(call.transcript_deleted_at),
    audio,
  };
}
