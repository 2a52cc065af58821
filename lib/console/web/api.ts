/*
 * The console's JSON, as the server sends it (notes: the console contract), and how pages fetch it.
 * Every string in here came from a webhook payload: render it as text, never as HTML.
 */
import { useEffect, useState } from 'preact/hooks';

export type Outcome = 'success' | 'failure' | 'unknown' | 'not_connected' | 'conversation_failed';

export interface CallRow {
  conversation_id: string;
  start_time_unix_secs: number | null;
  agent_id: string | null;
  agent_name: string | null;
  channel: string | null;
  direction: string | null;
  external_number: string | null;
  call_duration_secs: number | null;
  /** ElevenLabs credits. */
  cost: number | null;
  cost_usd: number | null;
  /** null: no transcription yet (only audio so far). */
  outcome: Outcome | null;
  error: string | null;
  failure_reason: string | null;
  title: string | null;
  batch_call_id: string | null;
  /** The provider that refused the call (`sip`, `twilio`), when the server sends it. */
  failure_provider?: string | null;
}

export interface Period {
  since: number | null;
  until: number | null;
}

/** What the console reads: the local emulators of `npm start`, or a deployed stack. */
export interface Where {
  local: boolean;
  description: string;
}

export interface CallsPage {
  calls: CallRow[];
  next: string | null;
  period: Period;
  agents: { agent_id: string; agent_name: string | null }[];
  where?: Where;
}

export interface Turn {
  role: string;
  message: string | null;
  time_in_call_secs: number | null;
  interrupted: boolean;
  tool_calls: { name: string; params: string | null }[];
  tool_results: { name: string; is_error: boolean; result: string | null }[];
  feedback: string | null;
}

/** The DynamoDB item as stored: any attribute may be absent, and none can be trusted to have its documented type. */
export type CallItem = Record<string, unknown>;

export interface CallDetail {
  call: CallItem;
  outcome: Outcome | null;
  error: string | null;
  transcript: Turn[] | null;
  transcript_status: 'available' | 'deleted' | 'missing' | 'opentelemetry' | 'none';
  /** Deleted under ElevenLabs' deletion settings (`transcript_deleted_at`). */
  transcript_deleted_at?: string | null;
  audio: {
    status: 'available' | 'deleted' | 'missing' | 'none';
    /** For `missing`: the item names an object the bucket lacks, or ElevenLabs recorded audio that never arrived. */
    /** not_readable: S3 refused to say (the reader's credentials lack s3:GetObject or s3:ListBucket). */
    reason?: 'not_in_bucket' | 'not_received' | 'not_readable' | string | null;
    url: string | null;
    download_url: string | null;
    bytes: number | null;
    source: string | null;
    deleted_at?: string | null;
  };
  transcription_url: string | null;
}

export interface CriterionResults {
  pass: number;
  fail: number;
  other: number;
  pass_rate: number | null;
}

/** What `npm run calls -- stats --json` prints (lib/calls/calls-stats.ts). */
export interface CallStats {
  calls: number;
  answered: number;
  failed: number;
  not_connected: number;
  conversation_failed: number;
  other: number;
  duration_secs: { total: number; average: number | null; p50: number | null; p90: number | null };
  total_cost: number;
  cost_usd: { total: number; average: number | null; calls: number };
  call_successful: { success: number; failure: number; unknown: number; success_rate: number | null };
  channels: Record<string, number>;
  initiation_sources: Record<string, number>;
  tools: { calls: number; errors: number; error_rate: number | null };
  evaluation: Record<string, CriterionResults>;
  termination_reasons: Record<string, number>;
  top_numbers: { number: string; calls: number }[];
  data_collection: Record<string, Record<string, number>>;
}

export interface DayFigures {
  /** `YYYY-MM-DD`, or `YYYY-MM` when the analytics' `per_day_unit` is `month`. */
  day: string;
  calls: number;
  success: number;
  failure: number;
  unknown: number;
  not_connected: number;
  conversation_failed: number;
  other: number;
  cost: number;
  cost_usd: number;
  /** How many of the day's calls were priced in USD, when the server says. */
  cost_usd_calls?: number;
  success_rate: number | null;
}

export interface Analytics {
  period: Period;
  tz: string;
  where?: Where;
  stats: CallStats;
  per_day: DayFigures[];
  /** Past 400 days the rows of `per_day` are months. */
  per_day_unit?: 'day' | 'month';
  duration_histogram: { from_secs: number; to_secs: number; calls: number }[];
}

/** The console answered with an error status: its `{error}` message, and the status (a 4xx is the request's fault). */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** GETs JSON from the console's own server; a failure throws the server's `{error}` message (an HttpError when it answered). */
export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin', signal });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : '';
    throw new HttpError(message || `The console answered ${response.status} ${response.statusText}`.trim(), response.status);
  }
  if (body === undefined) throw new Error('The console answered with something that is not JSON.');
  return body as T;
}

/** An error's status: set when the console answered one (null for a network failure). */
export type Loaded<T> = { state: 'loading' } | { state: 'error'; message: string; status: number | null } | { state: 'done'; data: T };

/** Fetches `url` whenever it (or `reloads`, a count of asks to load again) changes; an answer to an older url is dropped. */
export function useJson<T>(url: string, reloads = 0): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    setLoaded({ state: 'loading' });
    getJson<T>(url, controller.signal).then(
      (data) => setLoaded({ state: 'done', data }),
      (error: unknown) => controller.signal.aborted || setLoaded({ state: 'error', message: errorMessage(error), status: errorStatus(error) }),
    );
    return () => controller.abort();
  }, [url, reloads]);
  return loaded;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The HTTP status of a failed fetch; null when the console did not answer (network). */
export function errorStatus(error: unknown): number | null {
  return error instanceof HttpError ? error.status : null;
}

/** A 4xx: the request itself is wrong (a mistyped filter), so asking again cannot help. */
export function isRequestFault(status: number | null | undefined): boolean {
  return typeof status === 'number' && status >= 400 && status < 500;
}
