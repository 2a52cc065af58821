import { columnWidth, padColumns, terminalText } from '../terminal-text';
import { clip, formatDuration, formatUsd } from './calls-format';
import type { CallStats, CriterionResults } from './calls-stats';

/* `calls stats` for a person (text) and a spreadsheet (CSV); --json prints CallStats itself. */

function tally(counts: Record<string, number>, limit = 10): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return '-';
  const shown = entries.slice(0, limit).map(([k, n]) => `${clip(k, 40)} ${n}`);
  return shown.join(' · ') + (entries.length > limit ? ` · (${entries.length - limit} more)` : '');
}

/** A tally of an attribute some calls lack, saying how many: `phone 3 · web 1 · 2 not stored`. */
function tallyOf(counts: Record<string, number>, calls: number): string {
  const missing = calls - Object.values(counts).reduce((sum, n) => sum + n, 0);
  return missing > 0 ? `${tally(counts)}${Object.keys(counts).length ? ' · ' : ' '}(${missing} not stored)` : tally(counts);
}

const percent = (rate: number | null) => (rate === null ? '-' : `${Math.round(rate * 1000) / 10}%`);

function criterionLine({ pass, fail, other, pass_rate }: CriterionResults): string {
  return `${percent(pass_rate)} (${pass} of ${pass + fail} success/failure${other ? `, ${other} other` : ''})`;
}

/** Lines of `name  value` under a heading, names padded alike. */
function subLines(heading: string, rows: [string, string][]): string[] {
  if (rows.length === 0) return [];
  const names = rows.map(([name]) => clip(name, 40));
  const width = Math.max(...names.map(columnWidth));
  return [heading, ...rows.map(([, value], i) => `    ${padColumns(names[i], width)}  ${value}`)];
}

/** A stats block for the terminal. */
export function formatStats(title: string, stats: CallStats): string {
  const { duration_secs: d, call_successful: s, cost_usd: usd, tools, campaign } = stats;
  const rate = s.success_rate === null ? '-' : `${Math.round(s.success_rate * 100)}% (${s.success} of ${s.success + s.failure} evaluated, ${s.unknown} unknown)`;
  const usdText = usd.calls ? `   ${formatUsd(usd.total)} total, ${formatUsd(usd.average)} average over the ${usd.calls} call${usd.calls === 1 ? '' : 's'} with a USD cost` : '';
  const lines = [
    terminalText(title),
    `  calls          ${stats.calls}   answered ${stats.answered}   not connected ${stats.not_connected}   conversation failed ${stats.conversation_failed}${stats.other ? `   awaiting transcription ${stats.other}` : ''}`,
    ...(campaign ? [`  campaign       recipients ${campaign.recipients}   reached ${campaign.recipients_answered} (${percent(campaign.answer_rate)})   calls per recipient ${campaign.calls_per_recipient === null ? '-' : Math.round(campaign.calls_per_recipient * 100) / 100}`] : []),
    `  duration       total ${formatDuration(d.total)}   average ${formatDuration(d.average)}   p50 ${formatDuration(d.p50)}   p90 ${formatDuration(d.p90)}`,
    `  cost           ${stats.total_cost.toLocaleString('en-US')} credits${usdText}`,
    `  success rate   ${rate}`,
    `  channel        ${tallyOf(stats.channels, stats.calls)}`,
    `  initiated by   ${tallyOf(stats.initiation_sources, stats.calls)}`,
    `  tool errors    ${tools.calls ? `${percent(tools.error_rate)} (${tools.errors} of ${tools.calls} tool calls)` : '-'}`,
    `  ended by       ${tally(stats.termination_reasons)}`,
    `  top numbers    ${tally(Object.fromEntries(stats.top_numbers.map((n) => [n.number, n.calls])))}`,
    ...subLines('  evaluation pass rate (result success over success and failure)', Object.entries(stats.evaluation).map(([criterion, results]) => [criterion, criterionLine(results)])),
    ...subLines('  data collected', Object.entries(stats.data_collection).map(([field, values]) => [field, tally(values)])),
  ];
  return lines.join('\n') + '\n';
}

/** The columns of `calls stats --csv`: one row per group; distributions are in --json. */
export const STATS_COLUMNS = [
  'group', 'calls', 'answered', 'not_connected', 'conversation_failed', 'total_duration_secs', 'average_duration_secs', 'p50_duration_secs', 'p90_duration_secs',
  'total_cost', 'total_cost_usd', 'average_cost_usd', 'calls_with_cost_usd', 'success', 'failure', 'unknown', 'success_rate', 'tool_calls', 'tool_errors', 'tool_error_rate',
] as const;

const rounded = (value: number | null, places: number) => (value === null ? '' : Math.round(value * 10 ** places) / 10 ** places);

export function toStatsRow(group: string, stats: CallStats): Record<string, unknown> {
  const { duration_secs: d, call_successful: s, cost_usd: usd, tools } = stats;
  return {
    group,
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
