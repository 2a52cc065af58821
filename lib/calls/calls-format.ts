import { columnWidth, escapeUnprintableJson, fitColumns, padColumns, terminalText } from '../terminal-text';
import type { CallItem } from './calls-query';
import type { CallStats } from './calls-stats';

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

/** The columns of `calls list`, in order. */
export const LIST_COLUMNS = ['start_time', 'agent', 'direction', 'number', 'duration_secs', 'cost', 'call_successful', 'title', 'conversation_id'] as const;
export type ListRow = Record<(typeof LIST_COLUMNS)[number], string | number>;

export function toListRow(item: CallItem): ListRow {
  return {
    start_time: item.start_time ?? '',
    agent: item.agent_name ?? item.agent_id ?? '',
    direction: item.direction ?? (item.phone_provider ? '' : 'web'),
    number: item.external_number ?? '',
    duration_secs: item.call_duration_secs ?? '',
    cost: item.cost ?? '',
    call_successful: item.failure_reason ? `not connected: ${item.failure_reason}` : (item.call_successful ?? ''),
    title: item.call_summary_title ?? item.transcript_summary ?? '',
    conversation_id: item.conversation_id,
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

function tally(counts: Record<string, number>, limit = 10): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return '-';
  const shown = entries.slice(0, limit).map(([k, n]) => `${clip(k, 40)} ${n}`);
  return shown.join(' · ') + (entries.length > limit ? ` · (${entries.length - limit} more)` : '');
}

/** A stats block for the terminal. */
export function formatStats(title: string, stats: CallStats): string {
  const { duration_secs: d, call_successful: s } = stats;
  const rate = s.success_rate === null ? '-' : `${Math.round(s.success_rate * 100)}% (${s.success} of ${s.success + s.failure} evaluated, ${s.unknown} unknown)`;
  const lines = [
    terminalText(title),
    `  calls          ${stats.calls}   answered ${stats.answered}   not connected ${stats.failed}${stats.other ? `   awaiting transcription ${stats.other}` : ''}`,
    `  duration       total ${formatDuration(d.total)}   average ${formatDuration(d.average)}   p50 ${formatDuration(d.p50)}   p90 ${formatDuration(d.p90)}`,
    `  cost           ${stats.total_cost.toLocaleString('en-US')} credits`,
    `  success rate   ${rate}`,
    `  ended by       ${tally(stats.termination_reasons)}`,
    `  top numbers    ${tally(Object.fromEntries(stats.top_numbers.map((n) => [n.number, n.calls])))}`,
  ];
  const fields = Object.entries(stats.data_collection);
  if (fields.length > 0) {
    lines.push('  data collected');
    const names = fields.map(([field]) => clip(field, 40));
    const width = Math.max(...names.map(columnWidth));
    fields.forEach(([, values], i) => lines.push(`    ${padColumns(names[i], width)}  ${tally(values)}`));
  }
  return lines.join('\n') + '\n';
}

/** The columns of `calls stats --csv`: one row per group; distributions are in --json. */
export const STATS_COLUMNS = ['group', 'calls', 'answered', 'not_connected', 'total_duration_secs', 'average_duration_secs', 'p50_duration_secs', 'p90_duration_secs', 'total_cost', 'success', 'failure', 'unknown', 'success_rate'] as const;

export function toStatsRow(group: string, stats: CallStats): Record<string, unknown> {
  const { duration_secs: d, call_successful: s } = stats;
  return {
    group,
    calls: stats.calls,
    answered: stats.answered,
    not_connected: stats.failed,
    total_duration_secs: d.total,
    average_duration_secs: d.average === null ? '' : Math.round(d.average * 10) / 10,
    p50_duration_secs: d.p50 ?? '',
    p90_duration_secs: d.p90 ?? '',
    total_cost: stats.total_cost,
    success: s.success,
    failure: s.failure,
    unknown: s.unknown,
    success_rate: s.success_rate === null ? '' : Math.round(s.success_rate * 1000) / 1000,
  };
}
