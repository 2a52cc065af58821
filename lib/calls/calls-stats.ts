import { hasTranscription } from '../../lambda/call-item';
import type { CallItem } from './calls-query';

/** The numbers behind "how many, how long, what cost, did it work, what did we learn". */
export interface CallStats {
  readonly calls: number;
  /** Calls that connected (a transcription arrived, not a failed conversation). */
  readonly answered: number;
  /** Calls that never connected (call_initiation_failure) or ended as failed conversations. */
  readonly failed: number;
  /** Neither yet: only audio (or nothing but a note) has arrived so far. */
  readonly other: number;
  readonly duration_secs: { total: number; average: number | null; p50: number | null; p90: number | null };
  /** ElevenLabs credits. */
  readonly total_cost: number;
  readonly call_successful: { success: number; failure: number; unknown: number; success_rate: number | null };
  readonly termination_reasons: Record<string, number>;
  /** The most frequent external numbers, most calls first. */
  readonly top_numbers: { number: string; calls: number }[];
  /** Per data collection field, each value's count, most frequent first. */
  readonly data_collection: Record<string, Record<string, number>>;
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
function sortedByCount(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** Aggregates items into {@link CallStats}. Values are counted as their JSON text (`"Jordan"` as Jordan). */
export function computeStats(items: readonly CallItem[]): CallStats {
  const durations: number[] = [];
  const outcomes = { success: 0, failure: 0, unknown: 0 };
  const reasons = new Map<string, number>();
  const numbers = new Map<string, number>();
  const collected = new Map<string, Map<string, number>>();
  let answered = 0;
  let failed = 0;
  let other = 0;
  let cost = 0;
  for (const item of items) {
    const transcribed = hasTranscription(item);
    const notConnected = item.failure_reason !== undefined || item.status === 'failed';
    const connected = transcribed && !notConnected;
    if (connected) answered += 1;
    else if (notConnected) failed += 1;
    else other += 1;
    if (typeof item.call_duration_secs === 'number') durations.push(item.call_duration_secs);
    if (typeof item.cost === 'number') cost += item.cost;
    if (item.call_successful === 'success' || item.call_successful === 'failure') outcomes[item.call_successful as 'success' | 'failure'] += 1;
    else if (connected) outcomes.unknown += 1;
    if (typeof item.termination_reason === 'string') count(reasons, item.termination_reason);
    if (typeof item.external_number === 'string') count(numbers, item.external_number);
    for (const [field, value] of Object.entries((item.data_collection ?? {}) as Record<string, unknown>)) {
      if (!collected.has(field)) collected.set(field, new Map());
      count(collected.get(field)!, typeof value === 'string' ? value : JSON.stringify(value));
    }
  }
  durations.sort((a, b) => a - b);
  const total = durations.reduce((sum, d) => sum + d, 0);
  const evaluated = outcomes.success + outcomes.failure;
  return {
    calls: items.length,
    answered,
    failed,
    other,
    duration_secs: { total, average: durations.length ? total / durations.length : null, p50: percentile(durations, 50), p90: percentile(durations, 90) },
    total_cost: cost,
    call_successful: { ...outcomes, success_rate: evaluated ? outcomes.success / evaluated : null },
    termination_reasons: sortedByCount(reasons),
    top_numbers: Object.entries(sortedByCount(numbers)).slice(0, TOP_NUMBERS).map(([number, calls]) => ({ number, calls })),
    data_collection: Object.fromEntries([...collected].map(([field, values]) => [field, sortedByCount(values)])),
  };
}

/** Stats per agent (by agent_id), largest first. */
export function statsByAgent(items: readonly CallItem[]): { agent_id: string; agent_name?: string; stats: CallStats }[] {
  const groups = new Map<string, CallItem[]>();
  for (const item of items) {
    const key = item.agent_id ?? '(unknown agent)';
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.entries()]
    .map(([agent_id, group]) => ({ agent_id, agent_name: group.find((i) => i.agent_name)?.agent_name, stats: computeStats(group) }))
    .sort((a, b) => b.stats.calls - a.stats.calls);
}
