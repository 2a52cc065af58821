import { FIRST_LISTED_MONTH, type CallItem } from './calls-query';
import { callOutcome } from './failure-kind';
import { dayIn, nextDay } from './time-zones';

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
  /** Calls that day with a cost in USD (a day of $0 is told from a day with no price). */
  readonly cost_usd_calls: number;
  /** success / (success + failure), as computeStats's. */
  readonly success_rate: number | null;
}

export interface DurationBucket {
  readonly from_secs: number;
  /** Exclusive. */
  readonly to_secs: number;
  readonly calls: number;
}

const finite = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** The first day a chart draws: the first month the calls list walks back to (no ElevenLabs agent call is older). */
const FIRST_DRAWN_UNIX_SECS = Date.parse(`${FIRST_LISTED_MONTH}-01T00:00:00Z`) / 1000;

/** Past this many days, the rows are months: a chart of a thousand bars reads as none. */
export const MAX_DAY_ROWS = 400;

type Counts = { -readonly [K in keyof Omit<DayFigures, 'day' | 'success_rate'>]: number };
const noCalls = (): Counts => ({ calls: 0, success: 0, failure: 0, unknown: 0, not_connected: 0, conversation_failed: 0, other: 0, cost: 0, cost_usd: 0, cost_usd_calls: 0 });

/**
 * Calls, outcomes and cost per day in the time zone, oldest first, over the whole period asked for
 * (from `since`, or the first call; to `until`, or now, or the last call if later): a day without
 * calls is a row of zeros, not a gap, and a short period still shows each of its days. Past
 * MAX_DAY_ROWS days the rows are months (`day` is then `YYYY-MM`).
 */
export function callsOverTime(items: readonly CallItem[], timeZone: string, period: { since?: number; until?: number; now: number }): { unit: 'day' | 'month'; rows: DayFigures[] } {
  // Drawn between the first listed day and a year from now: a start time outside (garbage, or a
  // period asked to the year 9999) is counted in the stats, not spread over empty centuries.
  const [floor, ceiling] = [FIRST_DRAWN_UNIX_SECS, period.now + 366 * 86_400];
  const within = (t: number) => Math.min(Math.max(t, floor), ceiling);
  const dated = items.filter((item) => typeof item.start_time_unix_secs === 'number');
  const starts = dated.map((item) => item.start_time_unix_secs as number);
  if (starts.length === 0 && period.since === undefined) return { unit: 'day', rows: [] };
  const first = dayIn(within(period.since ?? Math.min(...starts)), timeZone);
  const last = dayIn(within(period.until ?? Math.max(period.now, ...starts)), timeZone);
  const days: string[] = [];
  for (let day = first; day <= last && days.length <= MAX_DAY_ROWS; day = nextDay(day)) days.push(day);
  const unit = days.length > MAX_DAY_ROWS ? 'month' : 'day';
  const keyOf = (day: string) => (unit === 'month' ? day.slice(0, 7) : day);
  const rows = new Map<string, Counts>();
  if (unit === 'day') for (const day of days) rows.set(day, noCalls());
  else for (let month = keyOf(first); month <= keyOf(last); month = nextMonth(month)) rows.set(month, noCalls());
  for (const item of dated) {
    const counts = rows.get(keyOf(dayIn(item.start_time_unix_secs, timeZone)));
    // Outside the period asked for (a call that moved while being read): not drawn.
    if (!counts) continue;
    counts.calls += 1;
    counts[callOutcome(item) ?? 'other'] += 1;
    counts.cost += finite(item.cost);
    counts.cost_usd += finite(item.cost_fiat);
    if (typeof item.cost_fiat === 'number' && Number.isFinite(item.cost_fiat)) counts.cost_usd_calls += 1;
  }
  return { unit, rows: [...rows].map(([day, c]) => ({ day, ...c, success_rate: c.success + c.failure ? c.success / (c.success + c.failure) : null })) };
}

function nextMonth(month: string): string {
  const [year, m] = month.split('-').map(Number);
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
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
