import { columnWidth, fitColumns, padColumns, terminalText } from '../terminal-text';
import { clip, formatDuration, formatUsd } from './calls-format';
import type { CallStats, CriterionResults } from './calls-stats';

/* `calls stats` for a person (text) and a spreadsheet (CSV); --json prints CallStats itself. */

/** No line of `calls stats` is wider: a long list goes on under its first value. */
export const STATS_WIDTH_COLUMNS = 120;
/** Where a line's value starts: `  initiated by   `. */
const VALUE_COLUMN = 17;

/**
 * The parts of a tally: `value count`, most frequent first, at most `limit`, then how many more.
 * A value stored as null (counted as its JSON text) reads `-`, as everywhere else.
 */
function tallyParts(counts: Record<string, number>, limit = 10): string[] {
  const entries = Object.entries(counts);
  if (entries.length === 0) return ['-'];
  const shown = entries.slice(0, limit).map(([k, n]) => `${k === 'null' ? '-' : clip(k, 40)} ${n}`);
  return entries.length > limit ? [...shown, `(${entries.length - limit} more)`] : shown;
}

/** The parts of a tally of an attribute some calls lack, saying how many: `phone 3 · web 1 · (2 not stored)`. */
function tallyOfParts(counts: Record<string, number>, calls: number): string[] {
  const missing = calls - Object.values(counts).reduce((sum, n) => sum + n, 0);
  if (missing <= 0) return tallyParts(counts);
  return Object.keys(counts).length ? [...tallyParts(counts), `(${missing} not stored)`] : [`- (${missing} not stored)`];
}

/**
 * `label  a · b · c` within STATS_WIDTH_COLUMNS: the parts that do not fit go on the next lines,
 * indented under the first value (`indent` columns), a line that goes on ending in ` ·` (with the
 * separator ` · `). A part wider than a line on its own is cut.
 */
export function wrapped(label: string, parts: readonly string[], { indent = VALUE_COLUMN, separator = ' · ', width = STATS_WIDTH_COLUMNS } = {}): string[] {
  const goesOn = separator.trimEnd() ? ` ${separator.trim()}` : '';
  const room = width - columnWidth(goesOn);
  const lines: string[] = [];
  let line = padColumns(label, indent);
  let empty = true;
  for (const raw of parts) {
    const part = fitColumns(raw, room - indent);
    if (!empty && columnWidth(line) + columnWidth(separator) + columnWidth(part) > room) {
      lines.push(line + goesOn);
      line = ' '.repeat(indent);
      empty = true;
    }
    line += `${empty ? '' : separator}${part}`;
    empty = false;
  }
  return [...lines, line];
}

/** Figures side by side, three spaces apart, going on under the first when the line is full. */
const figures = (label: string, parts: readonly string[]) => wrapped(label, parts, { separator: '   ' });

const percent = (rate: number | null) => (rate === null ? '-' : `${Math.round(rate * 1000) / 10}%`);

function criterionLine({ pass, fail, other, pass_rate }: CriterionResults): string {
  return `${percent(pass_rate)} (${pass} of ${pass + fail} success/failure${other ? `, ${other} other` : ''})`;
}

/** Lines of `name  value` under a heading, names padded alike, a long value wrapped under itself. */
function subLines(heading: string, rows: [string, string[]][]): string[] {
  if (rows.length === 0) return [];
  const names = rows.map(([name]) => clip(name, 40));
  const width = Math.max(...names.map(columnWidth));
  return [heading, ...rows.flatMap(([, parts], i) => wrapped(`    ${padColumns(names[i], width)}`, parts, { indent: 4 + width + 2 }))];
}

/** A stats block for the terminal. */
export function formatStats(title: string, stats: CallStats): string {
  const { duration_secs: d, call_successful: s, cost_usd: usd, tools, campaign } = stats;
  const rate = s.success_rate === null ? '-' : `${Math.round(s.success_rate * 100)}% (${s.success} of ${s.success + s.failure} evaluated, ${s.unknown} unknown)`;
  const usdText = usd.calls ? [`${formatUsd(usd.total)} total, ${formatUsd(usd.average)} average over the ${usd.calls} call${usd.calls === 1 ? '' : 's'} with a USD cost`] : [];
  const lines = [
    fitColumns(terminalText(title), STATS_WIDTH_COLUMNS),
    ...figures('  calls', [String(stats.calls), `answered ${stats.answered}`, `not connected ${stats.not_connected}`, `conversation failed ${stats.conversation_failed}`, ...(stats.other ? [`awaiting transcription ${stats.other}`] : [])]),
    ...(campaign ? figures('  campaign', [`recipients ${campaign.recipients}`, `reached ${campaign.recipients_answered} (${percent(campaign.answer_rate)})`, `calls per recipient ${campaign.calls_per_recipient === null ? '-' : Math.round(campaign.calls_per_recipient * 100) / 100}`]) : []),
    ...figures('  duration', [`total ${formatDuration(d.total)}`, `average ${formatDuration(d.average)}`, `p50 ${formatDuration(d.p50)}`, `p90 ${formatDuration(d.p90)}`]),
    ...figures('  cost', [`${stats.total_cost.toLocaleString('en-US')} credits`, ...usdText]),
    ...wrapped('  success rate', [rate]),
    ...wrapped('  channel', tallyOfParts(stats.channels, stats.calls)),
    ...wrapped('  initiated by', tallyOfParts(stats.initiation_sources, stats.calls)),
    ...wrapped('  tool errors', [tools.calls ? `${percent(tools.error_rate)} (${tools.errors} of ${tools.calls} tool calls)` : '-']),
    ...wrapped('  ended by', tallyParts(stats.termination_reasons)),
    ...wrapped('  top numbers', tallyParts(Object.fromEntries(stats.top_numbers.map((n) => [n.number, n.calls])))),
    ...subLines('  evaluation pass rate (result success over success and failure)', Object.entries(stats.evaluation).map(([criterion, results]) => [criterion, [criterionLine(results)]])),
    ...subLines('  data collected', Object.entries(stats.data_collection).map(([field, values]) => [field, tallyParts(values)])),
  ];
  return lines.join('\n') + '\n';
}

/** The columns of `calls stats --csv`: one row per group; distributions are in --json. With --by-agent, `agent_id` follows `group` (see statsColumns). */
export const STATS_COLUMNS = [
  'group', 'calls', 'answered', 'not_connected', 'conversation_failed', 'total_duration_secs', 'average_duration_secs', 'p50_duration_secs', 'p90_duration_secs',
  'total_cost', 'total_cost_usd', 'average_cost_usd', 'calls_with_cost_usd', 'success', 'failure', 'unknown', 'success_rate', 'tool_calls', 'tool_errors', 'tool_error_rate',
] as const;

/** The CSV columns: STATS_COLUMNS, with `agent_id` after `group` when there is one group per agent. */
export function statsColumns(byAgent: boolean): readonly string[] {
  return byAgent ? [STATS_COLUMNS[0], 'agent_id', ...STATS_COLUMNS.slice(1)] : STATS_COLUMNS;
}

const rounded = (value: number | null, places: number) => (value === null ? '' : Math.round(value * 10 ** places) / 10 ** places);

export function toStatsRow(group: string, stats: CallStats, agentId?: string): Record<string, unknown> {
  const { duration_secs: d, call_successful: s, cost_usd: usd, tools } = stats;
  return {
    group,
    ...(agentId === undefined ? {} : { agent_id: agentId }),
    calls: stats.calls,
    answered: stats.answered,
    not_connected: stats.not_connected,
    conversation_failed: stats.conversation_failed,
    total_duration_secs: d.total,
    average_duration_secs: rounded(d.average, 1),
    p50_duration_secs: d.p50 ?? '',
    p90_duration_secs: d.p90 ?? '',
    total_cost: stats.total_cost,
    total_cost_usd: usd.calls ? rounded(usd.total, 6) : '',
    average_cost_usd: rounded(usd.average, 6),
    calls_with_cost_usd: usd.calls,
    success: s.success,
    failure: s.failure,
    unknown: s.unknown,
    success_rate: rounded(s.success_rate, 3),
    tool_calls: tools.calls,
    tool_errors: tools.errors,
    tool_error_rate: rounded(tools.error_rate, 3),
  };
}
