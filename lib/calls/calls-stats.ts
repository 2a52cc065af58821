import { hasTranscription } from '../../lambda/call-item';
import { storedNumberForms } from '../../lambda/phone-numbers';
import type { CallItem } from './calls-query';
import { failureKind } from './failure-kind';

/** The numbers behind "how many, how long, what cost, did it work, what did we learn". */
export interface CallStats {
  readonly calls: number;
  /** Calls that connected (a transcription arrived, not a failed conversation). */
  readonly answered: number;
  /** Calls that failed: never connected, or failed conversations (the two below). */
  readonly failed: number;
  readonly not_connected: number;
  readonly conversation_failed: number;
  /** Neither yet: only audio (or nothing but a note) has arrived so far. */
  readonly other: number;
  readonly duration_secs: { total: number; average: number | null; p50: number | null; p90: number | null };
  /** ElevenLabs credits. */
  readonly total_cost: number;
  /** US dollars (`cost_fiat`), over the `calls` that have it. */
  readonly cost_usd: { total: number; average: number | null; calls: number };
  readonly call_successful: { success: number; failure: number; unknown: number; success_rate: number | null };
  /** Calls per channel (`phone`, `whatsapp`, `sms`, `web`); calls stored without one are not counted. */
  readonly channels: Record<string, number>;
  /** Calls per `conversation_initiation_source` (`widget`, `twilio`, ...), where stored. */
  readonly initiation_sources: Record<string, number>;
  /** Tool calls and those that returned an error, summed over the calls that counted them. */
  readonly tools: { calls: number; errors: number; error_rate: number | null };
  /** Per evaluation criterion: results `success` (pass) and `failure` (fail), any other result, and pass / (pass + fail). */
  readonly evaluation: Record<string, CriterionResults>;
  readonly termination_reasons: Record<string, number>;
  /** The most frequent external numbers, most calls first. */
  readonly top_numbers: { number: string; calls: number }[];
  /** Per data collection field, each value's count, most frequent first. */
  readonly data_collection: Record<string, Record<string, number>>;
  /** With `--batch`: the campaign's recipients and how many were reached. */
  readonly campaign?: CampaignFigures;
}

export interface CriterionResults {
  readonly pass: number;
  readonly fail: number;
  readonly other: number;
  readonly pass_rate: number | null;
}

export interface CampaignFigures {
  /** Distinct `batch_call_recipient_id`s among the calls. */
  readonly recipients: number;
  /** Recipients with at least one answered call. */
  readonly recipients_answered: number;
  readonly answer_rate: number | null;
  /** Calls made per recipient (retries make it more than 1). */
  readonly calls_per_recipient: number | null;
}

export interface StatsOptions {
  /** Adds {@link CampaignFigures}: the calls are one campaign's. */
  readonly campaign?: boolean;
}

export const TOP_NUMBERS = 5;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/* Counts are kept in Maps: stored keys and values come from payloads, and a key such as
   `constructor` or `__proto__` must count like any other, not reach an object's prototype. */
function count(into: Map<string, number>, key: string) {
  into.set(key, (into.get(key) ?? 0) + 1);
}

/** Most frequent first; an object with every key its own (Object.fromEntries defines, never assigns). */
export function sortedByCount(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

const ratio = (part: number, whole: number) => (whole ? part / whole : null);
const numbersOf = (items: readonly CallItem[], name: string) => items.map((item) => item[name]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
const sum = (values: number[]) => values.reduce((total, v) => total + v, 0);

/** Whether the call connected: a transcription arrived and the conversation did not fail. */
export function isAnswered(item: CallItem): boolean {
  return hasTranscription(item) && failureKind(item) === undefined;
}

/** Pass, fail and other results per criterion, in the order criteria first appear. */
function evaluationResults(items: readonly CallItem[]): Record<string, CriterionResults> {
  const criteria = new Map<string, { pass: number; fail: number; other: number }>();
  for (const item of items) {
    for (const [criterion, result] of Object.entries((item.evaluation ?? {}) as Record<string, unknown>)) {
      const counts = criteria.get(criterion) ?? { pass: 0, fail: 0, other: 0 };
      criteria.set(criterion, counts);
      counts[result === 'success' ? 'pass' : result === 'failure' ? 'fail' : 'other'] += 1;
    }
  }
  return Object.fromEntries([...criteria].map(([criterion, c]) => [criterion, { ...c, pass_rate: ratio(c.pass, c.pass + c.fail) }]));
}

/** One campaign's reach: its recipients, and those an answered call reached. */
export function campaignFigures(items: readonly CallItem[]): CampaignFigures {
  const withRecipient = items.filter((item) => typeof item.batch_call_recipient_id === 'string');
  const recipients = new Set(withRecipient.map((item) => item.batch_call_recipient_id));
  const answered = new Set(withRecipient.filter(isAnswered).map((item) => item.batch_call_recipient_id));
  return { recipients: recipients.size, recipients_answered: answered.size, answer_rate: ratio(answered.size, recipients.size), calls_per_recipient: ratio(withRecipient.length, recipients.size) };
}

/** Aggregates items into {@link CallStats}. Values are counted as their JSON text (`"Jordan"` as Jordan). */
export function computeStats(items: readonly CallItem[], options: StatsOptions = {}): CallStats {
  const outcomes = { success: 0, failure: 0, unknown: 0 };
  const kinds = { not_connected: 0, conversation_failed: 0 };
  const [reasons, numbers, channels, sources] = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  const collected = new Map<string, Map<string, number>>();
  let answered = 0;
  for (const item of items) {
    const kind = failureKind(item);
    const connected = isAnswered(item);
    if (connected) answered += 1;
    else if (kind) kinds[kind] += 1;
    if (item.call_successful === 'success' || item.call_successful === 'failure') outcomes[item.call_successful as 'success' | 'failure'] += 1;
    else if (connected) outcomes.unknown += 1;
    if (typeof item.termination_reason === 'string') count(reasons, item.termination_reason);
    // A number stored with its + and, before numbers were normalized, without it is one number.
    if (typeof item.external_number === 'string') count(numbers, storedNumberForms(item.external_number)[0]);
    if (typeof item.channel === 'string') count(channels, item.channel);
    if (typeof item.conversation_initiation_source === 'string') count(sources, item.conversation_initiation_source);
    for (const [field, value] of Object.entries((item.data_collection ?? {}) as Record<string, unknown>)) {
      if (!collected.has(field)) collected.set(field, new Map());
      count(collected.get(field)!, typeof value === 'string' ? value : JSON.stringify(value));
    }
  }
  const durations = numbersOf(items, 'call_duration_secs').sort((a, b) => a - b);
  const usd = numbersOf(items, 'cost_fiat');
  const [toolCalls, toolErrors] = [sum(numbersOf(items, 'tool_calls')), sum(numbersOf(items, 'tool_errors'))];
  const evaluated = outcomes.success + outcomes.failure;
  const failed = kinds.not_connected + kinds.conversation_failed;
  return {
    calls: items.length,
    answered,
    failed,
    ...kinds,
    other: items.length - answered - failed,
    duration_secs: { total: sum(durations), average: durations.length ? sum(durations) / durations.length : null, p50: percentile(durations, 50), p90: percentile(durations, 90) },
    total_cost: sum(numbersOf(items, 'cost')),
    cost_usd: { total: sum(usd), average: usd.length ? sum(usd) / usd.length : null, calls: usd.length },
    call_successful: { ...outcomes, success_rate: ratio(outcomes.success, evaluated) },
    channels: sortedByCount(channels),
    initiation_sources: sortedByCount(sources),
    tools: { calls: toolCalls, errors: toolErrors, error_rate: ratio(toolErrors, toolCalls) },
    evaluation: evaluationResults(items),
    termination_reasons: sortedByCount(reasons),
    top_numbers: Object.entries(sortedByCount(numbers)).slice(0, TOP_NUMBERS).map(([number, calls]) => ({ number, calls })),
    data_collection: Object.fromEntries([...collected].map(([field, values]) => [field, sortedByCount(values)])),
    ...(options.campaign ? { campaign: campaignFigures(items) } : {}),
  };
}

/** The group of the calls stored without an agent id. */
export const UNKNOWN_AGENT = '(unknown agent)';

/** One agent's block of `calls stats --by-agent`. */
export interface AgentStats {
  readonly agent_id: string;
  /** The name of the agent's newest call that has one. */
  readonly agent_name?: string;
  readonly stats: CallStats;
}

/** Stats per agent (by agent_id), largest first. */
export function statsByAgent(items: readonly CallItem[], options: StatsOptions = {}): AgentStats[] {
  const groups = new Map<string, CallItem[]>();
  for (const item of items) {
    const key = item.agent_id ?? UNKNOWN_AGENT;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.entries()]
    .map(([agent_id, group]) => ({ agent_id, agent_name: group.find((i) => i.agent_name)?.agent_name, stats: computeStats(group, options) }))
    .sort((a, b) => b.stats.calls - a.stats.calls);
}
