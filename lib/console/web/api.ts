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
}

export interface Period {
  since: number | null;
  until: number | null;
}

export interface CallsPage {
  calls: CallRow[];
  next: string | null;
  period: Period;
  agents: { agent_id: string; agent_name: string | null }[];
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
    reason?: 'not_in_bucket' | 'not_received' | string | null;
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
  success_rate: number | null;
}

export interface Analytics {
  period: Period;
  tz: string;
  stats: CallStats;
  per_day: DayFigures[];
  duration_histogram: { from_secs: number; to_secs: number; calls: number }[];
}

/** GETs JSON from the console's own server; a failure throws the server's `{error}` message. */
export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin', signal });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : '';
    throw new Error(message || `The console answered ${response.status} ${response.statusText}`.trim());
  }
  if (body === undefined) throw new Error('The console answered with something that is not JSON.');
  return body as T;
}

export type Loaded<T> = { state: 'loading' } | { state: 'error'; message: string } | { state: 'done'; data: T };

/** Fetches `url` whenever it (or `reloads`, a count of asks to load again) changes; an answer to an older url is dropped. */
export function useJson<T>(url: string, reloads = 0): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    setLoaded({ state: 'loading' });
    getJson<T>(url, controller.signal).then(
      (data) => setLoaded({ state: 'done', data }),
      (error: unknown) => controller.signal.aborted || setLoaded({ state: 'error', message: errorMessage(error) }),
    );
    return () => controller.abort();
  }, [url, reloads]);
  return loaded;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
