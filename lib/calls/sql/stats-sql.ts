import { storedNumberForms } from '../../../lambda/phone-numbers';
import type { CallFilter } from '../calls-query';
import { sortedByCount, TOP_NUMBERS, UNKNOWN_AGENT, type AgentStats, type CallStats, type CampaignFigures, type CriterionResults, type StatsOptions } from '../calls-stats';
import type { SqlValue } from './sql-result';

/*
 * `calls stats` in SQL, for `--engine athena` (a deployed stack's workgroup) and `--engine duckdb`
 * (the analytics rows, locally): two queries over the table `calls`, in the subset of SQL both
 * engines read the same way (the conventions of named-queries.ts), and statsFromSql assembling
 * from their rows exactly the CallStats computeStats gives for the same calls:
 * - `totals`: one row of counts, sums, exact nearest-rank percentiles (row_number, as computeStats
 *   and the named queries) and a campaign's recipients;
 * - `groups`: counts per `kind` (channel, initiation source, termination reason, number, data
 *   collection field and value, evaluation criterion and result), in one pass over the rows: each
 *   row is joined with the kinds and unnests the labels its kind has. Numbers only as far as the
 *   top ones go (see below).
 * Each query reads the table once, so Athena scans the filtered days twice in all. Sorting (most
 * frequent first, then by the label as computeStats compares them) is done here, not in SQL: the
 * engines order text by its bytes, computeStats by localeCompare.
 * Both queries compute per `grp`: the agent (statsByAgent's groups) with `byAgent`, else one literal
 * for all the calls; every window is partitioned and every aggregate grouped by it, so all agents
 * cost the same two scans as one group.
 */

/** The stored forms of a number's text: ElevenLabs' `+` and the separators people type, removed as storedNumberForms removes them. */
const SEPARATORS = ' \t\n\r\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff-.()';

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** `external_number` as computeStats counts it: a full number (8-15 digits, with or without + and separators) as +digits, anything else as stored. */
function numberExpression(column: string): string {
  const stripped = `translate(${column}, ${literal(SEPARATORS)}, '')`;
  const digits = `CASE WHEN substr(${stripped}, 1, 1) = '+' THEN substr(${stripped}, 2) ELSE ${stripped} END`;
  return `CASE
      WHEN length(${digits}) BETWEEN 8 AND 15 AND substr(${digits}, 1, 1) BETWEEN '1' AND '9'
        AND translate(${digits}, '0123456789', '') = '' THEN '+' || ${digits}
      ELSE ${column}
    END`;
}

const ANSWERED = "outcome IN ('success', 'failure', 'unknown')";
const FAILED = "outcome IN ('not_connected', 'conversation_failed')";

/** The UTC day of unix seconds (the partition start_date), when it is one. */
function dayOf(unixSecs: number): string | undefined {
  const date = new Date(unixSecs * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().slice(0, 10);
}

function wholeSeconds(value: number, name: string): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be whole unix seconds, not ${value}`);
  return String(value);
}

/**
 * The conditions of a filter, as findCalls applies it: the period (inclusive) on start_time_unix_secs
 * and on the partition start_date too (Athena then reads those days only), the agent, the campaign,
 * the number in every form it may be stored under, failed calls only.
 */
export function statsConditions(filter: CallFilter): string[] {
  const conditions: string[] = [];
  if (filter.since !== undefined) {
    conditions.push(`start_time_unix_secs >= ${wholeSeconds(filter.since, 'since')}`);
    const day = dayOf(filter.since);
    if (day) conditions.push(`start_date >= '${day}'`);
  }
  if (filter.until !== undefined) {
    conditions.push(`start_time_unix_secs <= ${wholeSeconds(filter.until, 'until')}`);
    const day = dayOf(filter.until);
    if (day) conditions.push(`start_date <= '${day}'`);
  }
  if (filter.agentId !== undefined) conditions.push(`agent_id = ${literal(filter.agentId)}`);
  if (filter.batchId !== undefined) conditions.push(`batch_call_id = ${literal(filter.batchId)}`);
  if (filter.number !== undefined) conditions.push(`external_number IN (${storedNumberForms(filter.number).map(literal).join(', ')})`);
  if (filter.failedOnly) conditions.push(FAILED);
  return conditions;
}

/** The kinds of the groups query, and the labels each row has of it. */
const KINDS: [kind: string, labels: string][] = [
  ['channel', 'ARRAY[channel]'],
  ['initiation_source', 'ARRAY[conversation_initiation_source]'],
  ['termination_reason', 'ARRAY[termination_reason]'],
  ['number', `ARRAY[${numberExpression('external_number')}]`],
  ['data_collection', 'map_keys(data_collection)'],
  ['evaluation', 'map_keys(evaluation)'],
];

/**
 * Numbers the groups query gives at most: those ranked (by calls) within the top 5, ties at the
 * fifth included, so the top 5 is chosen here as computeStats chooses it, unless more than this
 * many tie (then the engines' byte order decides which of them are candidates).
 */
export const NUMBER_CANDIDATES = 1000;

export interface StatsQueries {
  readonly totals: string;
  readonly groups: string;
}

export interface StatsQueryOptions {
  /** One group per agent, as statsByAgent groups the items; otherwise one group of all the calls. */
  readonly byAgent?: boolean;
}

/** The group of a row: its agent as statsByAgent names it, or the one group of all calls. */
const ALL_CALLS = 'all';
const groupExpression = (byAgent: boolean) => (byAgent ? `coalesce(agent_id, ${literal(UNKNOWN_AGENT)})` : literal(ALL_CALLS));

/** The columns both queries read of a matched call. */
const MATCHED_COLUMNS = [
  'agent_name', 'start_time_unix_secs', 'outcome', 'call_successful', 'call_duration_secs', 'cost', 'cost_usd', 'tool_calls', 'tool_errors', 'batch_call_recipient_id',
  'channel', 'conversation_initiation_source', 'termination_reason', 'external_number', 'data_collection', 'evaluation',
];

/** The two queries for a filter: the same text for Athena and DuckDB. */
export function statsQueries(filter: CallFilter, { byAgent = false }: StatsQueryOptions = {}): StatsQueries {
  const conditions = statsConditions(filter);
  const where = conditions.length ? `WHERE ${conditions.join('\n        AND ')}` : '';
  // The calls the filter matches, each with its group: computed once, so that every window and
  // GROUP BY below names the column rather than repeating the expression.
  const matched = `matched AS (
      SELECT ${groupExpression(byAgent)} AS grp,
        ${MATCHED_COLUMNS.join(', ')}
      FROM calls
      ${where}
    )`;
  const percentile = (p: number) => `min(CASE WHEN call_duration_secs IS NOT NULL AND duration_rank * 100 >= ${p} * durations THEN call_duration_secs END) AS p${p}`;
  // newest orders the groups as statsByAgent does (most calls, then the agent met first newest
  // first). A group's name is its newest call's that has one (statsByAgent's); of names given at
  // that same second, the greatest, so both engines choose alike where the items' order is arbitrary.
  const totals = `
    WITH ${matched},
    filtered AS (
      SELECT grp, agent_name, start_time_unix_secs,
        outcome, call_successful, call_duration_secs, cost, cost_usd, tool_calls, tool_errors, batch_call_recipient_id,
        row_number() OVER (PARTITION BY grp, call_duration_secs IS NULL ORDER BY call_duration_secs) AS duration_rank,
        count(call_duration_secs) OVER (PARTITION BY grp) AS durations,
        max(CASE WHEN agent_name <> '' THEN start_time_unix_secs END) OVER (PARTITION BY grp) AS named_newest
      FROM matched
    )
    SELECT grp,
      max(start_time_unix_secs) AS newest,
      max(CASE WHEN agent_name <> '' AND start_time_unix_secs = named_newest THEN agent_name END) AS agent_name,
      count(*) AS calls,
      sum(CASE WHEN ${ANSWERED} THEN 1 ELSE 0 END) AS answered,
      sum(CASE WHEN outcome = 'not_connected' THEN 1 ELSE 0 END) AS not_connected,
      sum(CASE WHEN outcome = 'conversation_failed' THEN 1 ELSE 0 END) AS conversation_failed,
      sum(CASE WHEN call_successful = 'success' THEN 1 ELSE 0 END) AS success,
      sum(CASE WHEN call_successful = 'failure' THEN 1 ELSE 0 END) AS failure,
      sum(CASE WHEN ${ANSWERED} AND (call_successful IS NULL OR call_successful NOT IN ('success', 'failure')) THEN 1 ELSE 0 END) AS unknown,
      sum(call_duration_secs) AS duration_total,
      count(call_duration_secs) AS duration_calls,
      ${percentile(50)},
      ${percentile(90)},
      sum(cost) AS cost_total,
      sum(cost_usd) AS usd_total,
      count(cost_usd) AS usd_calls,
      sum(tool_calls) AS tool_calls,
      sum(tool_errors) AS tool_errors,
      count(DISTINCT batch_call_recipient_id) AS recipients,
      count(DISTINCT CASE WHEN ${ANSWERED} THEN batch_call_recipient_id END) AS recipients_answered,
      count(batch_call_recipient_id) AS recipient_calls
    FROM filtered
    GROUP BY grp
  `;
  const kindCase = (of: (kind: string, labels: string) => string | undefined) =>
    `CASE k.kind ${KINDS.map(([kind, labels]) => of(kind, labels)).filter(Boolean).join(' ')} END`;
  const mapped = (expression: (map: string) => string) => kindCase((kind) => (kind === 'data_collection' || kind === 'evaluation' ? `WHEN '${kind}' THEN ${expression(kind)}` : undefined));
  // The value (data collection) or result (evaluation) of a map's label; where the label is first
  // among the newest call's keys: computeStats lists fields and criteria in the order they first appear.
  const value = mapped((map) => `${map}[t.label]`);
  // Ranks are per group and kind: each agent's top numbers are its own.
  const groups = `
    WITH ${matched},
    counted AS (
      SELECT grp, k.kind, t.label, ${value} AS label_value,
        count(*) AS calls,
        max(start_time_unix_secs) AS newest,
        max_by(${mapped((map) => `array_position(map_keys(${map}), t.label)`)}, start_time_unix_secs) AS key_position
      FROM matched
      CROSS JOIN (VALUES ${KINDS.map(([kind]) => `('${kind}')`).join(', ')}) AS k (kind)
      CROSS JOIN UNNEST(${kindCase((kind, labels) => `WHEN '${kind}' THEN ${labels}`)}) AS t (label)
      WHERE t.label IS NOT NULL
      GROUP BY grp, k.kind, t.label, ${value}
    ),
    ranked AS (
      SELECT grp, kind, label, label_value, calls, newest, key_position,
        rank() OVER (PARTITION BY grp, kind ORDER BY calls DESC) AS calls_rank,
        row_number() OVER (PARTITION BY grp, kind ORDER BY calls DESC, label) AS row_rank
      FROM counted
    )
    SELECT grp, kind, label, label_value, calls, newest, key_position
    FROM ranked
    WHERE kind <> 'number' OR (calls_rank <= ${TOP_NUMBERS} AND row_rank <= ${NUMBER_CANDIDATES})
    ORDER BY grp, kind, calls DESC, label, label_value
  `;
  const trim = (sql: string) => sql.trim().replace(/^ {4}/gm, '');
  return { totals: trim(totals), groups: trim(groups) };
}

/** Runs one query and gives its rows (SqlResult fits). */
export type RunSql = (sql: string) => Promise<{ rows: Record<string, SqlValue>[] }>;

/** A count or sum as a number (an engine gives a count beyond 2^53 as text); NULL as null. */
function numberOf(value: SqlValue | undefined): number | null {
  if (value === null || value === undefined) return null;
  const number = Number(value);
  if (!Number.isFinite(number)) throw new Error(`expected a number from the stats query, got ${JSON.stringify(value)}`);
  return number;
}
const countOf = (value: SqlValue | undefined) => numberOf(value) ?? 0;
const ratio = (part: number, whole: number) => (whole ? part / whole : null);
const textOf = (value: SqlValue | undefined) => (typeof value === 'string' ? value : String(value));

interface Group {
  readonly label: string;
  readonly value: string | null;
  readonly calls: number;
  readonly newest: number;
  readonly position: number;
}

/** Labels of a map kind in the order computeStats meets them: over the calls newest first, each call's keys in order. */
function firstAppearance(groups: readonly Group[]): string[] {
  const first = new Map<string, { newest: number; position: number }>();
  for (const group of groups) {
    const known = first.get(group.label);
    if (!known || group.newest > known.newest || (group.newest === known.newest && group.position < known.position)) first.set(group.label, { newest: group.newest, position: group.position });
  }
  return [...first].sort(([a, x], [b, y]) => y.newest - x.newest || x.position - y.position || (a < b ? -1 : a > b ? 1 : 0)).map(([label]) => label);
}

type Row = Record<string, SqlValue>;

/** A group's rows of the two queries: its one totals row (none when no call matched) and its rows of the groups query. */
interface GroupRows {
  readonly totals: Row;
  readonly groups: readonly Row[];
}

/** One group's stats as computeStats gives them over its calls, from its rows of the two queries. */
function assembleStats({ totals, groups: groupRows }: GroupRows, options: StatsOptions): CallStats {
  const groups = new Map<string, Group[]>();
  for (const row of groupRows) {
    const kind = textOf(row.kind);
    const list = groups.get(kind) ?? [];
    groups.set(kind, list);
    list.push({
      label: textOf(row.label),
      value: row.label_value === null || row.label_value === undefined ? null : textOf(row.label_value),
      calls: countOf(row.calls),
      newest: countOf(row.newest),
      position: numberOf(row.key_position) ?? 0,
    });
  }
  const of = (kind: string) => groups.get(kind) ?? [];
  const counts = (kind: string) => sortedByCount(new Map(of(kind).map((g) => [g.label, g.calls])));

  const evaluation = new Map<string, CriterionResults>();
  for (const criterion of firstAppearance(of('evaluation'))) {
    const results = { pass: 0, fail: 0, other: 0 };
    for (const g of of('evaluation')) if (g.label === criterion) results[g.value === 'success' ? 'pass' : g.value === 'failure' ? 'fail' : 'other'] += g.calls;
    evaluation.set(criterion, { ...results, pass_rate: ratio(results.pass, results.pass + results.fail) });
  }
  const collected = new Map<string, Record<string, number>>();
  for (const field of firstAppearance(of('data_collection'))) {
    collected.set(field, sortedByCount(new Map(of('data_collection').filter((g) => g.label === field).map((g) => [g.value ?? 'null', g.calls]))));
  }

  const calls = countOf(totals.calls);
  const answered = countOf(totals.answered);
  const kinds = { not_connected: countOf(totals.not_connected), conversation_failed: countOf(totals.conversation_failed) };
  const failed = kinds.not_connected + kinds.conversation_failed;
  const durationCalls = countOf(totals.duration_calls);
  const durationTotal = numberOf(totals.duration_total) ?? 0;
  const usdCalls = countOf(totals.usd_calls);
  const usdTotal = numberOf(totals.usd_total) ?? 0;
  const outcomes = { success: countOf(totals.success), failure: countOf(totals.failure), unknown: countOf(totals.unknown) };
  const [toolCalls, toolErrors] = [countOf(totals.tool_calls), countOf(totals.tool_errors)];
  const recipients = countOf(totals.recipients);
  const recipientsAnswered = countOf(totals.recipients_answered);
  const campaign: CampaignFigures = {
    recipients,
    recipients_answered: recipientsAnswered,
    answer_rate: ratio(recipientsAnswered, recipients),
    calls_per_recipient: ratio(countOf(totals.recipient_calls), recipients),
  };
  return {
    calls,
    answered,
    failed,
    ...kinds,
    other: calls - answered - failed,
    duration_secs: { total: durationTotal, average: durationCalls ? durationTotal / durationCalls : null, p50: numberOf(totals.p50), p90: numberOf(totals.p90) },
    total_cost: numberOf(totals.cost_total) ?? 0,
    cost_usd: { total: usdTotal, average: usdCalls ? usdTotal / usdCalls : null, calls: usdCalls },
    call_successful: { ...outcomes, success_rate: ratio(outcomes.success, outcomes.success + outcomes.failure) },
    channels: counts('channel'),
    initiation_sources: counts('initiation_source'),
    tools: { calls: toolCalls, errors: toolErrors, error_rate: ratio(toolErrors, toolCalls) },
    evaluation: Object.fromEntries(evaluation),
    termination_reasons: counts('termination_reason'),
    top_numbers: Object.entries(counts('number')).slice(0, TOP_NUMBERS).map(([number, n]) => ({ number, calls: n })),
    data_collection: Object.fromEntries(collected),
    ...(options.campaign ? { campaign } : {}),
  };
}

interface SqlGroupStats {
  readonly grp: string;
  /** The start of the group's newest call. */
  readonly newest: number;
  readonly agentName: string | undefined;
  readonly stats: CallStats;
}

/** Runs the two queries and assembles the stats of each group they give (in SQL's order). */
async function statsPerGroup(run: RunSql, filter: CallFilter, byAgent: boolean, options: StatsOptions): Promise<SqlGroupStats[]> {
  const queries = statsQueries(filter, { byAgent });
  const totals = (await run(queries.totals)).rows;
  const groupRows = new Map<string, Row[]>();
  for (const row of (await run(queries.groups)).rows) {
    const list = groupRows.get(textOf(row.grp)) ?? [];
    groupRows.set(textOf(row.grp), list);
    list.push(row);
  }
  return totals.map((row) => ({
    grp: textOf(row.grp),
    newest: countOf(row.newest),
    agentName: row.agent_name === null || row.agent_name === undefined ? undefined : textOf(row.agent_name),
    stats: assembleStats({ totals: row, groups: groupRows.get(textOf(row.grp)) ?? [] }, options),
  }));
}

/**
 * The stats of the calls `filter` matches, computed by the engine `run` runs SQL on: the same
 * object, key for key and in the same order, as computeStats over the same calls read newest first.
 * Sums of fractional values (seconds, credits, dollars) may differ from computeStats' in the last
 * bits of a double: the engines add in their own order.
 */
export async function statsFromSql(run: RunSql, filter: CallFilter, options: StatsOptions = {}): Promise<CallStats> {
  const [all] = await statsPerGroup(run, filter, false, options);
  // No call matched: GROUP BY gives no row, and the stats are those of no calls.
  return all?.stats ?? assembleStats({ totals: {}, groups: [] }, options);
}

/**
 * statsByAgent over the calls `filter` matches, computed by the engine `run` runs SQL on, every
 * agent in the same two queries: the same groups, names and stats (as statsFromSql's), in the same
 * order: most calls first, then the agent whose newest call is newest (the first met among the
 * items newest first). Not exact where the items' own order is arbitrary: two agents with as many
 * calls whose newest calls started in the same second (the agent id decides here), and an agent's
 * names given at the same second (the greatest is taken here).
 */
export async function statsByAgentFromSql(run: RunSql, filter: CallFilter, options: StatsOptions = {}): Promise<AgentStats[]> {
  const groups = await statsPerGroup(run, filter, true, options);
  return groups
    .sort((a, b) => b.stats.calls - a.stats.calls || b.newest - a.newest || (a.grp < b.grp ? -1 : a.grp > b.grp ? 1 : 0))
    .map(({ grp, agentName, stats }) => ({ agent_id: grp, agent_name: agentName, stats }));
}
