/*
 * The questions the README answers in SQL, each defined once with its text for each engine: Athena
 * (Trino SQL, in AWS: the stack saves them as the workgroup's named queries) and DuckDB (locally,
 * `npm run calls -- sql --named NAME`). The table is `calls` in both: the columns of CALL_COLUMNS
 * and the partition `start_date` (YYYY-MM-DD text); in Athena the workgroup's database selects it.
 *
 * Every text below is in the subset of SQL both engines read the same way, so `athena` and `duckdb`
 * are one string. What keeps them there:
 * - Percentiles are exact, by nearest rank (the smallest value with at least p% of the values at or
 *   below it, as `calls stats` computes them), written with row_number() in integers, not with
 *   approx_percentile (Athena, approximate) or quantile_disc (DuckDB only): both engines give the
 *   same numbers, and the same as `calls stats`.
 * - Maps (`evaluation`, `data_collection`) are read as `CROSS JOIN UNNEST(map_keys(m)) AS t(k)` and
 *   `m[k]`: Trino unnests a map into two columns and DuckDB does not, element_at gives a value in
 *   Trino and a list in DuckDB, but both unnest the keys and subscript a map by a key it holds.
 * - Ratios divide a DOUBLE (Trino divides integers as integers, DuckDB as doubles); counts are sums
 *   of CASE (count_if is not in every Trino), `nullif(x, 0)` keeps an empty denominator NULL.
 * - Nothing filters by period: add `WHERE start_date BETWEEN '2025-11-01' AND '2025-11-30'` (the
 *   partition) and Athena reads those days only.
 * A query that one day needs what only one engine has gets its own text in that field.
 */

export interface NamedQuery {
  /** A name for the command line and Athena's named queries: lower case, digits and `_`. */
  readonly name: string;
  /** What it answers, in a sentence or two (Athena keeps up to 1,024 characters). */
  readonly description: string;
  /** The text Athena runs (Trino SQL). */
  readonly athena: string;
  /** The text DuckDB runs over the local rows. */
  readonly duckdb: string;
}

const ANSWERED = "outcome IN ('success', 'failure', 'unknown')";
const FAILED = "outcome IN ('not_connected', 'conversation_failed')";

/** One text for both engines (trimmed). */
function both(name: string, description: string, sql: string): NamedQuery {
  const text = sql.trim().replace(/^ {4}/gm, '');
  return { name, description, athena: text, duckdb: text };
}

/** The nearest-rank percentile `p` of `value` among rows ranked `rank` of `count` (see above). */
const nearestRank = (p: number, value: string, rank: string, count: string) => `min(CASE WHEN ${rank} * 100 >= ${p} * ${count} THEN ${value} END)`;

/** Per agent and for all agents: `scope` says which row is which (an agent_id may be NULL). */
const percentileColumn = (p: number) =>
  `CASE WHEN grouping(agent_id) = 1 THEN ${nearestRank(p, 'secs', 'rank_all', 'count_all')} ELSE ${nearestRank(p, 'secs', 'rank_agent', 'count_agent')} END AS p${p}_secs`;

export const NAMED_QUERIES: readonly NamedQuery[] = [
  both(
    'calls_per_day_and_agent',
    'Calls per day (UTC start date) and agent: how many, answered, failed (never connected or the conversation failed), and seconds talked.',
    `
    SELECT start_date, agent_id, max(agent_name) AS agent_name, count(*) AS calls,
      sum(CASE WHEN ${ANSWERED} THEN 1 ELSE 0 END) AS answered,
      sum(CASE WHEN ${FAILED} THEN 1 ELSE 0 END) AS failed,
      coalesce(sum(call_duration_secs), 0) AS duration_secs
    FROM calls
    GROUP BY start_date, agent_id
    ORDER BY start_date, calls DESC, agent_id
    `,
  ),
  both(
    'duration_percentiles',
    'Call duration per agent and for all agents (scope all): total, average, p50, p90, p99 and longest, in seconds. Percentiles are exact, by nearest rank, as calls stats computes them.',
    `
    WITH durations AS (
      SELECT agent_id, call_duration_secs AS secs,
        row_number() OVER (ORDER BY call_duration_secs) AS rank_all,
        count(*) OVER () AS count_all,
        row_number() OVER (PARTITION BY agent_id ORDER BY call_duration_secs) AS rank_agent,
        count(*) OVER (PARTITION BY agent_id) AS count_agent
      FROM calls
      WHERE call_duration_secs IS NOT NULL
    )
    SELECT CASE WHEN grouping(agent_id) = 1 THEN 'all' ELSE 'agent' END AS scope, agent_id,
      count(*) AS calls, sum(secs) AS total_secs, avg(secs) AS average_secs,
      ${percentileColumn(50)},
      ${percentileColumn(90)},
      ${percentileColumn(99)},
      max(secs) AS max_secs
    FROM durations
    GROUP BY GROUPING SETS ((agent_id), ())
    ORDER BY scope DESC, calls DESC, agent_id
    `,
  ),
  both(
    'cost_per_month_and_agent',
    'Cost per month (UTC) and agent, and per month for all agents (scope all): ElevenLabs credits, US dollars (over the calls ElevenLabs priced in USD), and dollars per priced call.',
    `
    WITH costs AS (
      SELECT substr(start_date, 1, 7) AS start_month, agent_id, cost, cost_usd FROM calls
    )
    SELECT start_month, CASE WHEN grouping(agent_id) = 1 THEN 'all' ELSE 'agent' END AS scope, agent_id,
      count(*) AS calls,
      coalesce(sum(cost), 0) AS credits,
      coalesce(sum(cost_usd), 0) AS usd,
      count(cost_usd) AS calls_priced_usd,
      avg(cost_usd) AS usd_per_priced_call
    FROM costs
    GROUP BY GROUPING SETS ((start_month, agent_id), (start_month))
    ORDER BY start_month, scope DESC, usd DESC, agent_id
    `,
  ),
  both(
    'success_rate',
    "ElevenLabs' verdict per agent and for all agents (scope all): calls, answered, success, failure, unknown (answered without a verdict), and success / (success + failure), as calls stats counts them.",
    `
    SELECT CASE WHEN grouping(agent_id) = 1 THEN 'all' ELSE 'agent' END AS scope, agent_id,
      count(*) AS calls,
      sum(CASE WHEN ${ANSWERED} THEN 1 ELSE 0 END) AS answered,
      sum(CASE WHEN call_successful = 'success' THEN 1 ELSE 0 END) AS success,
      sum(CASE WHEN call_successful = 'failure' THEN 1 ELSE 0 END) AS failure,
      sum(CASE WHEN outcome = 'unknown' THEN 1 ELSE 0 END) AS unknown,
      CAST(sum(CASE WHEN call_successful = 'success' THEN 1 ELSE 0 END) AS DOUBLE)
        / nullif(sum(CASE WHEN call_successful IN ('success', 'failure') THEN 1 ELSE 0 END), 0) AS success_rate
    FROM calls
    GROUP BY GROUPING SETS ((agent_id), ())
    ORDER BY scope DESC, calls DESC, agent_id
    `,
  ),
  both(
    'termination_reasons',
    'How calls ended: each termination reason, its calls and its share of the calls that have one.',
    `
    SELECT termination_reason, count(*) AS calls,
      CAST(count(*) AS DOUBLE) / sum(count(*)) OVER () AS share
    FROM calls
    WHERE termination_reason IS NOT NULL
    GROUP BY termination_reason
    ORDER BY calls DESC, termination_reason
    `,
  ),
  both(
    'busiest_numbers',
    'The 20 external numbers with the most calls (a full number stored without its + counted with it, as calls stats does): calls, answered, failed, first and last call.',
    `
    WITH numbered AS (
      SELECT CASE
          WHEN length(external_number) BETWEEN 8 AND 15 AND substr(external_number, 1, 1) BETWEEN '1' AND '9'
            AND translate(external_number, '0123456789', '') = '' THEN '+' || external_number
          ELSE external_number
        END AS number,
        outcome, start_time
      FROM calls
      WHERE external_number IS NOT NULL
    )
    SELECT number, count(*) AS calls,
      sum(CASE WHEN ${ANSWERED} THEN 1 ELSE 0 END) AS answered,
      sum(CASE WHEN ${FAILED} THEN 1 ELSE 0 END) AS failed,
      min(start_time) AS first_call, max(start_time) AS last_call
    FROM numbered
    GROUP BY number
    ORDER BY calls DESC, number
    LIMIT 20
    `,
  ),
  both(
    'data_collection_values',
    "What the agents' data collection gathered: per field, each value and its calls, most frequent first (values other than text as their JSON).",
    `
    SELECT field, data_collection[field] AS value, count(*) AS calls
    FROM calls
    CROSS JOIN UNNEST(map_keys(data_collection)) AS t (field)
    GROUP BY field, data_collection[field]
    ORDER BY field, calls DESC, value
    `,
  ),
  both(
    'evaluation_pass_rates',
    'Per evaluation criterion: results success (pass), failure (fail), any other, and pass / (pass + fail).',
    `
    SELECT criterion,
      sum(CASE WHEN evaluation[criterion] = 'success' THEN 1 ELSE 0 END) AS pass,
      sum(CASE WHEN evaluation[criterion] = 'failure' THEN 1 ELSE 0 END) AS fail,
      sum(CASE WHEN evaluation[criterion] IN ('success', 'failure') THEN 0 ELSE 1 END) AS other,
      CAST(sum(CASE WHEN evaluation[criterion] = 'success' THEN 1 ELSE 0 END) AS DOUBLE)
        / nullif(sum(CASE WHEN evaluation[criterion] IN ('success', 'failure') THEN 1 ELSE 0 END), 0) AS pass_rate
    FROM calls
    CROSS JOIN UNNEST(map_keys(evaluation)) AS t (criterion)
    GROUP BY criterion
    ORDER BY criterion
    `,
  ),
  both(
    'campaigns',
    "Outbound campaigns (ElevenLabs' batch calls): calls, recipients, recipients an answered call reached, answer rate, calls per recipient (retries), credits, US dollars, first and last call; latest first.",
    `
    SELECT batch_call_id, count(*) AS calls,
      count(DISTINCT batch_call_recipient_id) AS recipients,
      count(DISTINCT CASE WHEN ${ANSWERED} THEN batch_call_recipient_id END) AS recipients_answered,
      CAST(count(DISTINCT CASE WHEN ${ANSWERED} THEN batch_call_recipient_id END) AS DOUBLE)
        / nullif(count(DISTINCT batch_call_recipient_id), 0) AS answer_rate,
      CAST(count(batch_call_recipient_id) AS DOUBLE) / nullif(count(DISTINCT batch_call_recipient_id), 0) AS calls_per_recipient,
      coalesce(sum(cost), 0) AS credits,
      coalesce(sum(cost_usd), 0) AS usd,
      min(start_time) AS first_call, max(start_time) AS last_call
    FROM calls
    WHERE batch_call_id IS NOT NULL
    GROUP BY batch_call_id
    ORDER BY last_call DESC, batch_call_id
    `,
  ),
];

/** The named query called `name`, if any. */
export function namedQuery(name: string): NamedQuery | undefined {
  return NAMED_QUERIES.find((query) => query.name === name);
}
