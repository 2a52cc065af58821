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

/** US dollars for a person: `$0.12`, `$0.004` under a cent; '' when not a number. */
export function formatUsd(usd: unknown): string {
  if (typeof usd !== 'number' || !Number.isFinite(usd)) return '';
  return `$${usd !== 0 && Math.abs(usd) < 0.01 ? usd.toPrecision(1) : usd.toFixed(2)}`;
}

/** The columns of `calls list --csv`, in order (those added later at the end, so scripts keep their places). */
export const LIST_COLUMNS = ['start_time', 'agent', 'direction', 'number', 'duration_secs', 'cost', 'call_successful', 'title', 'conversation_id', 'channel', 'cost_usd', 'failure_kind'] as const;
export type ListRow = Record<(typeof LIST_COLUMNS)[number], string | number>;

export function toListRow(item: CallItem): ListRow {
  return {
    start_time: item.start_time ?? '',
    agent: item.agent_name ?? item.agent_id ?? '',
    direction: item.direction ?? (item.phone_provider ? '' : 'web'),
    number: item.external_number ?? '',
    duration_secs: item.call_duration_secs ?? '',
    cost: item.cost ?? '',
    call_successful: failureKind(item) === 'not_connected' ? ['not connected', item.failure_reason].filter(Boolean).join(': ') : (item.call_successful ?? ''),
    title: item.call_summary_title ?? item.transcript_summary ?? '',
    conversation_id: item.conversation_id,
    channel: item.channel ?? '',
    cost_usd: item.cost_fiat ?? '',
    failure_kind: failureKind(item) ?? '',
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
