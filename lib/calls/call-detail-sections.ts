import { isoTime } from '../../lambda/call-item';
import { columnWidth, padColumns, terminalText } from '../terminal-text';
import type { CallItem } from './calls-query';
import { conversationError } from './failure-kind';

/*
 * The groups of `calls show`: a heading, then one `name  value` line per known value, names padded
 * alike, and a note (a rationale) on the line under its value. Every stored name and value goes
 * through terminalText: stored text must not drive the terminal or break the layout.
 */

/** A name, its value (left out when undefined or ''; null, a value a map holds as null, is `-`), and an optional note printed under it. */
export type Entry = readonly [name: string, value: unknown, note?: unknown];

/** A number for a person: at most 6 significant digits (`0.370425`, not `0.3704247010173276`); anything else as it is. */
export function readable(value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value) ? Number(value.toPrecision(6)) : value;
}

export function section(title: string, entries: readonly Entry[]): string[] {
  const present = entries.filter(([, v]) => v !== undefined && v !== '').map(([k, v, note]) => [terminalText(k), v === null ? '-' : terminalText(readable(v)), terminalText(note)]);
  if (present.length === 0) return [];
  const width = Math.max(...present.map(([k]) => columnWidth(k)));
  const lines = present.flatMap(([k, v, note]) => [`  ${padColumns(k, width)}  ${v}`, ...(note ? [`  ${' '.repeat(width)}  ${note}`] : [])]);
  return [title, ...lines, ''];
}

const yesNo = (value: unknown) => (value === true ? 'yes' : value === false ? 'no' : undefined);
/** Seconds to the millisecond: `3s`, `0.370s`. */
const seconds = (value: unknown) => (typeof value === 'number' ? `${Number.isInteger(value) ? value : value.toFixed(3)}s` : value);
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

/** How each charging value reads: prices and dollars in USD, charges in credits, minutes, yes or no. */
const CHARGING_UNITS: Record<string, (value: number) => string> = {
  llm_price: formatPrice,
  platform_price: formatPrice,
  free_llm_dollars_consumed: formatPrice,
  llm_charge: (v) => `${readable(v)} credits`,
  call_charge: (v) => `${readable(v)} credits`,
  platform_charge: (v) => `${readable(v)} credits`,
  free_minutes_consumed: (v) => `${readable(v)} min`,
};

/** A price in USD to 6 significant digits (`$0.0123457`), as exact as show needs; list and stats use formatUsd. */
function formatPrice(usd: number): string {
  return `${usd < 0 ? '-' : ''}$${readable(Math.abs(usd))}`;
}

function chargingValue(name: string, value: unknown): unknown {
  if (typeof value === 'boolean') return yesNo(value);
  return typeof value === 'number' && Number.isFinite(value) && CHARGING_UNITS[name] ? CHARGING_UNITS[name](value) : value;
}

/** Credits, US dollars, and the charging breakdown (prices in USD, charges in credits, tokens per model). */
export function costSection(item: CallItem): string[] {
  const { llm_tokens: tokens, ...charging } = (item.charging ?? {}) as Record<string, unknown>;
  return section('Cost', [
    ['credits', item.cost],
    ['USD', typeof item.cost_fiat === 'number' ? formatPrice(item.cost_fiat) : item.cost_fiat],
    ...entriesOf(charging).map(([name, value]): Entry => [name.replace(/_/g, ' '), chargingValue(name, value)]),
    ...entriesOf(tokens).map(([model, used]): Entry => {
      const { input, output } = (used ?? {}) as { input?: unknown; output?: unknown };
      return [`tokens ${model}`, `${input ?? '?'} in, ${output ?? '?'} out`];
    }),
  ]);
}

/**
 * ElevenLabs' feedback in words: `likes 2 · dislikes 0 · score 4`, and the rating and comment when
 * given; undefined when it says nothing (no likes or dislikes, no score, rating or comment).
 */
export function feedbackText(feedback: unknown): string | undefined {
  if (feedback === undefined || feedback === null) return undefined;
  if (typeof feedback !== 'object' || Array.isArray(feedback)) return terminalText(feedback);
  const { likes, dislikes, overall_score: score, ...rest } = feedback as Record<string, unknown>;
  const given = (v: unknown) => v !== undefined && v !== null && v !== '' && v !== 0;
  const others = Object.entries(rest).filter(([, v]) => given(v));
  if (!given(likes) && !given(dislikes) && !given(score) && others.length === 0) return undefined;
  const shown = (v: unknown) => (v === undefined || v === null ? '-' : terminalText(readable(v)));
  return [`likes ${shown(likes)}`, `dislikes ${shown(dislikes)}`, `score ${shown(score)}`, ...others.map(([k, v]) => `${terminalText(k)} ${terminalText(readable(v))}`)].join(' · ');
}

/** The attributes cut or left out to fit the item, by the event that had to leave them out. */
export function truncatedText(item: CallItem): string | undefined {
  const kinds: [string, unknown][] = [['transcription', item.truncated_fields], ['failure', item.failure_truncated_fields], ['audio', item.audio_truncated_fields], ['OpenTelemetry', item.otel_truncated_fields]];
  const parts = kinds.map(([kind, fields]) => [kind, names(fields)]).filter(([, fields]) => fields).map(([kind, fields]) => `${kind}: ${fields}`);
  return parts.length ? parts.join(' · ') : undefined;
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
