import { isoTime } from '../../lambda/call-item';
import { columnWidth, padColumns, terminalText } from '../terminal-text';
import type { CallItem } from './calls-query';
import { conversationError } from './failure-kind';

/*
 * The groups of `calls show`: a heading, then one `name  value` line per known value, names padded
 * alike, and a note (a rationale) on the line under its value. Every stored name and value goes
 * through terminalText: stored text must not drive the terminal or break the layout.
 */

/** A name, its value (left out when undefined, null or ''), and an optional note printed under it. */
export type Entry = readonly [name: string, value: unknown, note?: unknown];

export function section(title: string, entries: readonly Entry[]): string[] {
  const present = entries.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v, note]) => [terminalText(k), terminalText(v), terminalText(note)]);
  if (present.length === 0) return [];
  const width = Math.max(...present.map(([k]) => columnWidth(k)));
  const lines = present.flatMap(([k, v, note]) => [`  ${padColumns(k, width)}  ${v}`, ...(note ? [`  ${' '.repeat(width)}  ${note}`] : [])]);
  return [title, ...lines, ''];
}

const yesNo = (value: unknown) => (value === true ? 'yes' : value === false ? 'no' : undefined);
const seconds = (value: unknown) => (typeof value === 'number' ? `${value}s` : value);
const names = (set: unknown) => (set instanceof Set || Array.isArray(set) ? [...set].map((n) => terminalText(n)).sort().join(', ') : set);
const entriesOf = (map: unknown): [string, unknown][] => (map && typeof map === 'object' && !Array.isArray(map) ? Object.entries(map) : []);

/** How the call came in or went out: channel, source, numbers, provider, queueing, what was recorded. */
export function connectionSection(item: CallItem): string[] {
  const audio = item.has_user_audio === undefined && item.has_response_audio === undefined ? undefined : `user ${yesNo(item.has_user_audio) ?? '?'}, agent ${yesNo(item.has_response_audio) ?? '?'}`;
  return section('Connection', [
    ['channel', item.channel],
    ['initiated by', item.conversation_initiation_source],
    ['direction', item.direction],
    ['number', item.external_number],
    ['agent number', item.agent_number],
    ['phone number id', item.phone_number_id],
    ['provider', item.phone_provider],
    ['call sid', item.call_sid],
    ['accepted', typeof item.accepted_time_unix_secs === 'number' ? isoTime(item.accepted_time_unix_secs) : item.accepted_time_unix_secs],
    ['queue wait', seconds(item.queue_wait_secs)],
    ['text only', yesNo(item.text_only)],
    ['audio from', audio],
  ]);
}

/** Who started it and under which version of the agent. */
export function sessionSection(item: CallItem): string[] {
  return section('Session', [
    ['user id', item.user_id],
    ['initiator id', item.initiator_id],
    ['authorization', item.authorization_method],
    ['timezone', item.timezone],
    ['branch', item.branch_id],
    ['version', item.version_id],
    ['environment', item.environment],
    ['tags', names(item.tag_ids)],
  ]);
}

export function campaignSection(item: CallItem): string[] {
  return section('Campaign', [['batch call', item.batch_call_id], ['recipient', item.batch_call_recipient_id]]);
}

/** Credits, US dollars, and the charging breakdown (prices and charges in USD, tokens per model). */
export function costSection(item: CallItem): string[] {
  const { llm_tokens: tokens, ...charging } = (item.charging ?? {}) as Record<string, unknown>;
  return section('Cost', [
    ['credits', item.cost],
    ['USD', item.cost_fiat],
    ...entriesOf(charging).map(([name, value]): Entry => [name.replace(/_/g, ' '), value]),
    ...entriesOf(tokens).map(([model, used]): Entry => {
      const { input, output } = (used ?? {}) as { input?: unknown; output?: unknown };
      return [`tokens ${model}`, `${input ?? '?'} in, ${output ?? '?'} out`];
    }),
  ]);
}

export function errorsSection(item: CallItem): string[] {
  const warnings = Array.isArray(item.warnings) ? item.warnings : item.warnings === undefined ? [] : [item.warnings];
  return section('Errors', [['error', conversationError(item)], ...warnings.map((w): Entry => ['warning', w])]);
}

/** The transcript's counts, tools and the LLM's latency. */
export function turnsSection(item: CallItem): string[] {
  return section('Turns and tools', [
    ['user turns', item.user_turns],
    ['agent turns', item.agent_turns],
    ['interrupted', item.interrupted_turns],
    ['tool calls', item.tool_calls],
    ['tool errors', item.tool_errors],
    ['tools used', names(item.tools_used)],
    ['tools errored', names(item.tools_errored)],
    ['LLM TTFB p50', seconds(item.llm_ttfb_p50_secs)],
  ]);
}

/** Each criterion: its result, its score, and its rationale under it; criteria known from any of the three maps. */
export function evaluationSection(item: CallItem): string[] {
  const [results, scores, rationales] = [item.evaluation, item.evaluation_scores, item.evaluation_rationale].map((m) => new Map(entriesOf(m)));
  const criteria = [...new Set([...results.keys(), ...scores.keys(), ...rationales.keys()])];
  return section('Evaluation', criteria.map((id): Entry => {
    const score = scores.get(id);
    return [id, [terminalText(results.get(id) ?? '-'), score === undefined ? '' : `(score ${terminalText(score)})`].filter(Boolean).join(' '), rationales.get(id)];
  }));
}

/** Each value collected, with its rationale under it. */
export function dataCollectedSection(item: CallItem): string[] {
  const [values, rationales] = [item.data_collection, item.data_collection_rationale].map((m) => new Map(entriesOf(m)));
  const ids = [...new Set([...values.keys(), ...rationales.keys()])];
  return section('Data collected', ids.map((id): Entry => [id, values.get(id) ?? '-', rationales.get(id)]));
}
