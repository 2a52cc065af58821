/*
 * Days in a time zone, with Intl alone: the console reads and draws days where its reader is.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

/** @throws RangeError for a time zone Intl does not know */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The wall clock in the zone at that instant, as numbers. */
function wallClock(unixSecs: number, timeZone: string) {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(unixSecs * 1000)).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second) };
}

/** Whether Intl knows the time zone (`Europe/Paris`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** `YYYY-MM-DD`: the day it is in the zone at that instant. */
export function dayIn(unixSecs: number, timeZone: string): string {
  const { year, month, day } = wallClock(unixSecs, timeZone);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** How far the zone's clock is ahead of UTC at that instant, in seconds. */
function offsetSeconds(unixSecs: number, timeZone: string): number {
  const c = wallClock(unixSecs, timeZone);
  return Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second) / 1000 - Math.floor(unixSecs);
}

/**
 * The first second of a day (`YYYY-MM-DD`) in the zone, as unix seconds: days of 23 or 25 hours
 * included, and days whose midnight the clocks skip (they start at 01:00).
 */
export function dayStart(day: string, timeZone: string): number {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`) / 1000;
  // Midnight at the offset before a change of clocks, and at the offset after: the earlier of the
  // two that falls on the day is its start.
  const guess = utcMidnight - offsetSeconds(utcMidnight, timeZone);
  const candidates = [utcMidnight - offsetSeconds(guess, timeZone), guess].filter((t) => dayIn(t, timeZone) === day);
  return candidates.length ? Math.min(...candidates) : guess;
}

/** The day after `YYYY-MM-DD`. */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
