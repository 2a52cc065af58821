/*
 * How values read for a person: times in the browser's time zone, durations as m:ss, credits and
 * dollars as `npm run calls` prints them, outcomes and channels in words.
 */
import type { Outcome, Period } from './api';

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const DAY_AND_YEAR = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
const MONTH = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
const NUMBER = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

/** The browser's time zone, for the server's per-day figures. */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Unix seconds as a date and time in the browser's time zone; '' when unknown. */
export function formatTime(unixSecs: unknown): string {
  return typeof unixSecs === 'number' && Number.isFinite(unixSecs) ? DATE_TIME.format(new Date(unixSecs * 1000)) : '';
}

/** An ISO 8601 time (or unix seconds) as a date and time in the browser's time zone; the text itself when unreadable. */
export function formatIsoTime(value: unknown): string {
  if (typeof value === 'number') return formatTime(value);
  if (typeof value !== 'string') return '';
  const millis = Date.parse(value);
  return Number.isNaN(millis) ? value : DATE_TIME.format(new Date(millis));
}

/**
 * A day the server names `YYYY-MM-DD` (already in our time zone) as `Nov 24`, or `Nov 24, 2025`
 * with `withYear`; a month it names `YYYY-MM` as `Nov 2025`. Anything else as it is.
 */
export function formatDay(day: string, withYear = false): string {
  const month = /^\d{4}-\d{2}$/.test(day);
  const millis = Date.parse(month ? `${day}-01T00:00:00Z` : `${day}T00:00:00Z`);
  if (Number.isNaN(millis)) return day;
  return (month ? MONTH : withYear ? DAY_AND_YEAR : DAY).format(new Date(millis));
}

/** Labels for a run of days (or months): days carry their year when the run spans more than one. */
export function dayLabels(days: readonly string[]): string[] {
  const years = new Set(days.map((day) => day.slice(0, 4)));
  return days.map((day) => formatDay(day, years.size > 1));
}

/** `0:21`, `12:05`, `1:02:07`; '' when unknown. */
export function formatDuration(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  return s < 3600 ? `${Math.floor(s / 60)}:${two(s % 60)}` : `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

/** ElevenLabs credits: `142 cr`; '' when not a number. */
export function formatCredits(credits: unknown): string {
  return typeof credits === 'number' && Number.isFinite(credits) ? `${NUMBER.format(credits)} cr` : '';
}

/**
 * US dollars as lib/calls/calls-format.ts writes them: cents from a dollar up (`$12.00`), two
 * significant digits below (`$0.072`, `$0.0004`), so a fraction of a cent never reads `$0.00`.
 */
export function formatUsd(usd: unknown): string {
  if (typeof usd !== 'number' || !Number.isFinite(usd)) return '';
  const size = Math.abs(usd);
  const sign = usd < 0 ? '-' : '';
  if (size === 0 || size >= 1) return `${sign}$${size.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const places = Math.min(12, Math.max(2, 1 - Math.floor(Math.log10(size))));
  return `${sign}$${size.toFixed(places).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
}

/** A rate from 0 to 1 as `67%` (`66.7%` when it matters); '' when there is none. */
export function formatRate(rate: unknown): string {
  return typeof rate === 'number' && Number.isFinite(rate) ? `${Math.round(rate * 1000) / 10}%` : '';
}

export function formatCount(n: number): string {
  return NUMBER.format(n);
}

/** A stored value for a person: text as it is, anything else as its JSON. */
export function valueText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

export const OUTCOME_LABELS: Record<Outcome, string> = {
  success: 'success',
  failure: 'failure',
  unknown: 'unknown',
  not_connected: 'not connected',
  conversation_failed: 'failed',
};

/** The outcome in words; a call with no transcription yet has none. */
export function outcomeLabel(outcome: Outcome | null): string {
  return outcome ? OUTCOME_LABELS[outcome] ?? outcome : 'no transcript yet';
}

const DIRECTIONS: Record<string, string> = { inbound: 'in', outbound: 'out' };

/** `phone · in`, `whatsapp · out`, `web`; '' when neither is known. */
export function channelText(channel: string | null, direction: string | null): string {
  return [channel, direction ? DIRECTIONS[direction] ?? direction : null].filter(Boolean).join(' · ');
}

/** A stored map's entries; none when the value is not a map. */
export function mapEntries(value: unknown): [string, unknown][] {
  return value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
}

/** `Calls that started from <time> to now`, in the browser's time zone. */
export function periodText(period: Period | null): string {
  if (!period) return 'Calls in the chosen period';
  const [since, until] = [formatTime(period.since), formatTime(period.until)];
  if (!since && !until) return 'All calls';
  if (!since) return `Calls that started until ${until}`;
  return `Calls that started from ${since} to ${until || 'now'}`;
}
