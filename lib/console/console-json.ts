import { parseTimeBound } from '../calls/time-bounds';
import { isTimeZone } from '../calls/time-zones';
import { channelOf } from '../calls/calls-format';
import type { CallItem } from '../calls/calls-query';
import type { ListFilter } from '../calls/calls-page';
import type { CallView } from '../calls/call-view';
import { CALL_OUTCOMES, callOutcome, conversationError, type CallOutcome } from '../calls/failure-kind';

/*
 * The console's JSON: what its query strings mean, and the shapes its pages read (see
 * /calls.json, /calls/<id>.json, /analytics.json). Plain functions over the read core's values.
 */

/** A query string the console cannot read: answered 400 with this message. */
export class QueryError extends Error {}

export interface ConsoleQuery {
  readonly filter: ListFilter;
  /** The period as applied, unix seconds; null for open ends. */
  readonly period: { since: number | null; until: number | null };
  /** The reader's time zone (`tz`, UTC unless given): plain dates are its days. */
  readonly tz: string;
}

const text = (params: URLSearchParams, name: string): string | undefined => {
  const value = params.get(name)?.trim();
  return value ? value : undefined;
};

/**
 * The filters of a console URL: `since`, `until` (as `calls` takes them: 2025-11-24, 7d, ...; `all`
 * for no bound; a date is a day in `tz`), `agent`, `number`, `batch`, `outcome`, `q`, and `tz` (an
 * IANA time zone, UTC unless given). `defaultSince` applies when `since` is absent.
 * @throws QueryError naming what could not be read
 */
export function readConsoleQuery(params: URLSearchParams, now: Date, defaultSince?: string): ConsoleQuery {
  const tz = text(params, 'tz') ?? 'UTC';
  if (!isTimeZone(tz)) throw new QueryError(`tz: ${tz} is not a time zone (Europe/Paris, UTC, ...).`);
  const bound = (name: 'since' | 'until', fallback?: string) => {
    const value = text(params, name) ?? fallback;
    if (value === undefined || value === 'all') return undefined;
    try {
      return parseTimeBound(value, now, name, tz);
    } catch (error) {
      throw new QueryError(`${name}: ${(error as Error).message}`);
    }
  };
  const since = bound('since', defaultSince);
  const until = bound('until');
  if (since !== undefined && until !== undefined && since > until) throw new QueryError('since is after until: no call can match.');
  const outcome = text(params, 'outcome');
  if (outcome !== undefined && !CALL_OUTCOMES.includes(outcome as CallOutcome)) throw new QueryError(`outcome: one of ${CALL_OUTCOMES.join(', ')}.`);
  return {
    filter: { since, until, agentId: text(params, 'agent'), number: text(params, 'number'), batchId: text(params, 'batch'), outcome: outcome as CallOutcome | undefined, text: text(params, 'q') },
    period: { since: since ?? null, until: until ?? null },
    tz,
  };
}

const orNull = <T>(value: T | undefined): T | null => (value === undefined ? null : value);
const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const numberOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** A call as a list row shows it. */
export function toCallRow(item: CallItem) {
  return {
    conversation_id: item.conversation_id as string,
    start_time_unix_secs: numberOrNull(item.start_time_unix_secs),
    agent_id: stringOrNull(item.agent_id),
    agent_name: stringOrNull(item.agent_name),
    channel: orNull(channelOf(item)),
    direction: stringOrNull(item.direction),
    external_number: stringOrNull(item.external_number),
    call_duration_secs: numberOrNull(item.call_duration_secs),
    cost: numberOrNull(item.cost),
    cost_usd: numberOrNull(item.cost_fiat),
    outcome: orNull(callOutcome(item)),
    error: orNull(conversationError(item)),
    failure_reason: stringOrNull(item.failure_reason),
    failure_provider: stringOrNull(item.failure_provider),
    title: stringOrNull(item.call_summary_title) ?? stringOrNull(item.transcript_summary),
    batch_call_id: stringOrNull(item.batch_call_id),
  };
}

/** Sets (DynamoDB string sets) as arrays, so the item reads as JSON. */
export function toJsonValue(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v) => (v instanceof Set ? [...v] : v)));
}

/** A call page's JSON: the view, with the URLs its audio and transcription are served at. */
export function toCallDetail(view: CallView) {
  const base = `/calls/${encodeURIComponent(view.call.conversation_id)}`;
  const audioUrl = view.audio.status === 'available' ? `${base}/audio.mp3` : null;
  return {
    ...view,
    call: toJsonValue(view.call),
    audio: { ...view.audio, url: audioUrl, download_url: audioUrl && `${audioUrl}?download=1` },
    transcription_url: view.transcript_status === 'available' || view.transcript_status === 'opentelemetry' ? `${base}/transcription.json` : null,
  };
}
