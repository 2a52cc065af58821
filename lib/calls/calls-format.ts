import { escapeUnprintableJson, fitColumns, terminalText } from '../terminal-text';
import type { CallItem } from './calls-query';
import { failureKind } from './failure-kind';

/*
 * How calls read for a person (text), a spreadsheet (CSV) and a script (JSON).
 */

/** `2m 05s`, `1h 02m`; `-` when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * US dollars for a person, the same in list, show and stats: cents from a dollar up (`$12.00`),
 * two significant digits below (`$0.12`, `$0.072`, `$0.0004`), so a fraction of a cent never reads
 * as `$0.00`; '' when not a number.
 */
export function formatUsd(usd: unknown): string {
  if (typeof usd !== 'number' || !Number.isFinite(usd)) return '';
  const size = Math.abs(usd);
  if (size === 0 || size >= 1) return `${usd < 0 ? '-' : ''}$${size.toFixed(2)}`;
  const places = Math.min(12, Math.max(2, 1 - Math.floor(Math.log10(size))));
  return `${usd < 0 ? '-' : ''}$${size.toFixed(places).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
}

/** ElevenLabs credits for a person: `142 cr`; '' when not a number. */
export function formatCredits(credits: unknown): string {
  return typeof credits === 'number' && Number.isFinite(credits) ? `${credits} cr` : '';
}

/**
 * The call's channel: as stored (`phone`, `whatsapp`, `sms`, `web`), or for an item stored before
 * channels were recorded, `web` when it has a JSON transcription and nothing of a phone (no
 * direction, number or provider). Undefined otherwise: an item with only audio or an OpenTelemetry
 * transcription so far says nothing of how the call came.
 */
export function channelOf(item: CallItem): string | undefined {
  if (item.channel !== undefined) return item.channel === null ? undefined : String(item.channel);
  const phoneLike = item.direction !== undefined || item.external_number !== undefined || item.phone_provider !== undefined || item.failure_reason !== undefined;
  return item.transcription_event_timestamp !== undefined && !phoneLike ? 'web' : undefined;
}

/** The columns of `calls list --csv`, in order (those added later at the end, so scripts keep their places). */
export const LIST_COLUMNS = [
  'start_time', 'agent', 'direction', 'number', 'duration_secs', 'cost', 'call_successful', 'title', 'conversation_id', 'channel', 'cost_usd', 'failure_kind',
  'failure_reason', 'error_code', 'error_reason',
] as const;
export type ListRow = Record<(typeof LIST_COLUMNS)[number], string | number>;

export function toListRow(item: CallItem): ListRow {
  return {
    start_time: item.start_time ?? '',
    agent: item.agent_name ?? item.agent_id ?? '',
    direction: item.direction ?? '',
    number: item.external_number ?? '',
    duration_secs: item.call_duration_secs ?? '',
    cost: item.cost ?? '',
    call_successful: item.call_successful ?? '',
    title: item.call_summary_title ?? item.transcript_summary ?? '',
    conversation_id: item.conversation_id,
    channel: channelOf(item) ?? '',
    cost_usd: item.cost_fiat ?? '',
    failure_kind: failureKind(item) ?? '',
    failure_reason: item.failure_reason ?? '',
    error_code: item.error_code ?? '',
    error_reason: item.error_reason ?? '',
  };
}

/** C0 and C1 controls but tab and line breaks: no spreadsheet shows them, and a terminal would run them. */
const CSV_CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : String(value).replace(CSV_CONTROLS, '');
  // Spreadsheets run cells starting with = + - @ as formulas (and drop a number's +): a quote keeps them text.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * RFC 4180 CSV with a header row. Values are kept, line breaks and all (quoted), except control
 * characters other than tab and line breaks, which are dropped so that a CSV printed on a
 * terminal cannot drive it; --json keeps every character.
 */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return [columns.join(','), ...rows.map((row) => columns.map((c) => csvCell(row[c])).join(','))].join('\n') + '\n';
}

/**
 * JSON with sets as arrays (DynamoDB string sets come back as Set), and control, bidirectional and
 * zero-width characters escaped, so it is safe to print and parses back to the stored values.
 */
export function toJson(value: unknown): string {
  return escapeUnprintableJson(JSON.stringify(value, (_key, v) => (v instanceof Set ? [...v] : v), 2)) + '\n';
}

/**
 * `calls show --json`: the item, and the transcription event as stored rather than re-serialized
 * (a payload may nest deeper than JSON.stringify can go).
 */
export function toCallJson(item: unknown, transcriptEventText: string | undefined): string {
  const event = transcriptEventText === undefined ? 'null' : escapeUnprintableJson(transcriptEventText.trim());
  return `{\n"call": ${toJson(item).trim()},\n"transcript_event": ${event}\n}\n`;
}

/** A stored value on one line of at most `width` columns, printable characters only. */
export function clip(value: unknown, width: number): string {
  return fitColumns(terminalText(value).replace(/ {2,}/g, ' ').trim(), width);
}
