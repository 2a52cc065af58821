import { UsageError } from '../cli';
import { dayStart, nextDay } from './time-zones';

const UNIT_SECONDS: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 604_800 };

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Unix seconds from a date (`2025-11-24`, a day in `timeZone`, UTC unless given), a date and time
 * (`2025-11-24T16:00Z`), or a span back from now (`30m`, `24h`, `7d`, `2w`). A date alone is the
 * start of its day, or its end for `until`, so `--since 2025-11-24 --until 2025-11-24` is that whole day.
 * @throws UsageError naming the accepted forms
 */
export function parseTimeBound(text: string, now: Date, edge: 'since' | 'until' = 'since', timeZone = 'UTC'): number {
  const value = text.trim();
  const relative = /^(\d+)([mhdw])$/.exec(value);
  if (relative) return Math.floor(now.getTime() / 1000) - Number(relative[1]) * UNIT_SECONDS[relative[2]];
  if (DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return edge === 'until' ? dayStart(nextDay(value), timeZone) - 1 : dayStart(value, timeZone);
  const millis = DATE_TIME.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(millis)) throw new UsageError(`Cannot read "${text}" as a time: use 2025-11-24, 2025-11-24T16:00Z, or 7d, 24h, 30m.`);
  return Math.floor(millis / 1000);
}

/**
 * `--since` and `--until` as unix seconds (either may be absent).
 * @throws UsageError when either cannot be read, or when since is after until (nothing could match)
 */
export function parseTimeRange(since: string | undefined, until: string | undefined, now: Date): { since?: number; until?: number } {
  const range = {
    since: since === undefined ? undefined : parseTimeBound(since, now),
    until: until === undefined ? undefined : parseTimeBound(until, now, 'until'),
  };
  if (range.since !== undefined && range.until !== undefined && range.since > range.until) {
    const at = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/:\d\d\.\d+Z$/, 'Z');
    throw new UsageError(`--since ${since} (${at(range.since)}) is after --until ${until} (${at(range.until)}): no call can match. For the last week to a day ago: --since 7d --until 1d.`);
  }
  return range;
}
