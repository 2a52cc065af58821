import type { CallItem } from './calls-query';
import { callOutcome } from './failure-kind';

/*
 * What the analytics charts draw beside the stats: calls, outcomes and cost per day (in the
 * reader's time zone), and how long calls last. The totals are computeStats's; these only spread
 * the same calls over days and durations.
 */

export interface DayFigures {
  /** `YYYY-MM-DD` in the time zone asked for. */
  readonly day: string;
  readonly calls: number;
  readonly success: number;
  readonly failure: number;
  readonly unknown: number;
  readonly not_connected: number;
  readonly conversation_failed: number;
  /** Neither a transcription nor a failure yet. */
  readonly other: number;
  /** Credits. */
  readonly cost: number;
  readonly cost_usd: number;
  /** success / (success + failure), as computeStats's. */
  readonly success_rate: number | null;
}

export interface DurationBucket {
  readonly from_secs: number;
  /** Exclusive. */
  readonly to_secs: number;
  readonly calls: number;
}

/** @throws RangeError for a time zone Intl does not know */
function dayFormatter(timeZone: string): (unixSecs: number) => string {
  const format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return (unixSecs) => format.format(new Date(unixSecs * 1000));
}

/** Whether Intl knows the time zone (`Europe/Paris`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    dayFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

const finite = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** Calls per day with a start time, oldest day first; every day between the first and the last is present. */
export function figuresPerDay(items: readonly CallItem[], timeZone: string): DayFigures[] {
  const dayOf = dayFormatter(timeZone);
  const days = new Map<string, { calls: number; success: number; failure: number; unknown: number; not_connected: number; conversation_failed: number; other: number; cost: number; cost_usd: number }>();
  for (const item of items) {
    if (typeof item.start_time_unix_secs !== 'number') continue;
    const day = dayOf(item.start_time_unix_secs);
    const figures = days.get(day) ?? { calls: 0, success: 0, failure: 0, unknown: 0, not_connected: 0, conversation_failed: 0, other: 0, cost: 0, cost_usd: 0 };
    days.set(day, figures);
    figures.calls += 1;
    figures[callOutcome(item) ?? 'other'] += 1;
    figures.cost += finite(item.cost);
    figures.cost_usd += finite(item.cost_fiat);
  }
  const sorted = [...days.keys()].sort();
  if (sorted.length === 0) return [];
  // Days without calls are drawn as zero, not skipped: a gap in a chart is a fact.
  const all: string[] = [];
  for (let day = sorted[0]; day <= sorted[sorted.length - 1]; day = nextDay(day)) all.push(day);
  return all.map((day) => {
    const f = days.get(day) ?? { calls: 0, success: 0, failure: 0, unknown: 0, not_connected: 0, conversation_failed: 0, other: 0, cost: 0, cost_usd: 0 };
    return { day, ...f, success_rate: f.success + f.failure ? f.success / (f.success + f.failure) : null };
  });
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** Bucket widths a person reads at a glance: the first that makes at most 12 buckets. */
const BUCKET_SECONDS = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** How long calls lasted, in even buckets from 0 past the longest call. */
export function durationHistogram(items: readonly CallItem[]): DurationBucket[] {
  const durations = items.map((item) => item.call_duration_secs).filter((d): d is number => typeof d === 'number' && Number.isFinite(d) && d >= 0);
  if (durations.length === 0) return [];
  const longest = Math.max(...durations);
  const width = BUCKET_SECONDS.find((w) => longest / w < 12) ?? Math.ceil(longest / 12 / 3600) * 3600;
  const buckets = Array.from({ length: Math.floor(longest / width) + 1 }, (_, i) => ({ from_secs: i * width, to_secs: (i + 1) * width, calls: 0 }));
  for (const d of durations) buckets[Math.floor(d / width)].calls += 1;
  return buckets;
}
