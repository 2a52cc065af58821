import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseEvent } from '../lambda/events';
import { toCallWrite } from '../lambda/records';
import { CALL_COLUMNS, CALL_ROWS_PREFIX, callRowKey, PARTITION_COLUMN, startDate, toCallRow } from '../lambda/analytics/call-row';
import { callOutcome } from '../lib/calls/failure-kind';
import { campaignFigures, computeStats } from '../lib/calls/calls-stats';
import { NAMED_QUERIES, namedQuery } from '../lib/calls/sql/named-queries';
import { CallsDuckDb, DUCKDB_COLUMNS } from '../lib/calls/sql/duckdb-engine';
import { formatTable, resultCsv, SqlQueryError, type SqlResult } from '../lib/calls/sql/sql-result';
import { loadExample } from './support/webhooks';

/*
 * The named queries (one definition, a text per engine) run on DuckDB over a small fixed set of
 * calls, written as the stream function writes them (toCallRow, one JSON line per object under its
 * start day), with every number they give known. Where `calls stats` answers the same question,
 * the query's numbers are also checked against it on the same items.
 */

const at = (iso: string) => Date.parse(iso) / 1000;
const transcribed = { transcription_event_timestamp: 1, status: 'done', channel: 'phone' };
const A = { agent_id: 'agent_a', agent_name: 'Alice bot' };
const B = { agent_id: 'agent_b', agent_name: 'Bob bot' };

/** Six calls over two days, two agents, two campaigns: answered ones of each verdict, and both kinds of failure. */
const ITEMS: Record<string, unknown>[] = [
  { ...transcribed, ...A, conversation_id: 'c1', start_time_unix_secs: at('2025-11-30T10:00:00Z'), call_successful: 'success', call_duration_secs: 30, cost: 100, cost_fiat: 0.25, external_number: '+15550100001', termination_reason: 'end_call tool', evaluation: { solved: 'success', polite: 'success' }, data_collection: { caller_name: 'Jordan', needs_follow_up: false }, batch_call_id: 'btcal_1', batch_call_recipient_id: 'r1' },
  // The same number stored without its + (before numbers were normalized): one number.
  { ...transcribed, ...A, conversation_id: 'c2', start_time_unix_secs: at('2025-11-30T11:00:00Z'), call_successful: 'success', call_duration_secs: 60, cost: 200, cost_fiat: 0.5, external_number: '15550100001', termination_reason: 'client disconnected', evaluation: { solved: 'failure', polite: 'success' }, data_collection: { caller_name: 'Jordan', needs_follow_up: true }, batch_call_id: 'btcal_1', batch_call_recipient_id: 'r2' },
  { ...transcribed, ...B, conversation_id: 'c6', start_time_unix_secs: at('2025-11-30T12:00:00Z'), call_successful: 'success', call_duration_secs: 120, cost: 300, cost_fiat: 0.75, external_number: '+442071234567', termination_reason: 'end_call tool', evaluation: { polite: 'failure' }, data_collection: JSON.parse('{"__proto__": "x"}') },
  // Answered without a verdict: unknown.
  { ...transcribed, ...A, conversation_id: 'c3', start_time_unix_secs: at('2025-12-01T09:00:00Z'), call_duration_secs: 90, cost: 50, external_number: '+15550100002', termination_reason: 'end_call tool', evaluation: { solved: 'unknown' }, data_collection: { caller_name: 'Sam' } },
  // A retry of r2 that never connected.
  { ...B, conversation_id: 'c4', start_time_unix_secs: at('2025-12-01T10:00:00Z'), failure_reason: 'busy', failure_event_timestamp: 1, channel: 'phone', external_number: '+15550100001', batch_call_id: 'btcal_1', batch_call_recipient_id: 'r2' },
  // A conversation that failed, with a verdict all the same (calls stats counts it).
  { ...transcribed, ...B, conversation_id: 'c5', start_time_unix_secs: at('2025-12-01T11:00:00Z'), status: 'failed', error_code: 1002, call_successful: 'failure', call_duration_secs: 10, cost: 20, cost_fiat: 0.125, external_number: '+15550100002', termination_reason: 'error', batch_call_id: 'btcal_2', batch_call_recipient_id: 'r9' },
];

/** Writes each item's row where the stream function puts it, under `dir` standing for `analytics/calls/`. */
function writeRows(dir: string, items: Record<string, unknown>[]): void {
  for (const item of items) {
    const key = callRowKey(item.conversation_id as string, startDate(item)!);
    const file = join(dir, key.slice(CALL_ROWS_PREFIX.length));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(toCallRow(item, callOutcome(item)))}\n`);
  }
}

let dir: string;
let db: CallsDuckDb;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'named-queries-'));
  writeRows(dir, ITEMS);
  db = await CallsDuckDb.open(dir, ITEMS.length);
});

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = async (name: string): Promise<SqlResult> => {
  const query = namedQuery(name);
  if (!query) throw new Error(`no named query ${name}`);
  return db.query(query.duckdb);
};
const stats = computeStats(ITEMS);

describe('the named queries', () => {
  it('are the questions the README answers, each named once with a description and a text per engine', () => {
    expect(NAMED_QUERIES.map((q) => q.name)).toEqual([
      'calls_per_day_and_agent', 'duration_percentiles', 'cost_per_month_and_agent', 'success_rate', 'termination_reasons',
      'busiest_numbers', 'data_collection_values', 'evaluation_pass_rates', 'campaigns',
    ]);
    for (const query of NAMED_QUERIES) {
      expect(query.name).toMatch(/^[a-z][a-z0-9_]{0,127}$/);
      expect(query.description.length).toBeGreaterThan(20);
      expect(query.description.length).toBeLessThanOrEqual(1024);
      // The table is unqualified (the workgroup's database selects it in Athena), and no engine-only function slips in.
      for (const text of [query.athena, query.duckdb]) {
        expect(text).toMatch(/\bFROM calls\b/);
        expect(text).not.toMatch(/approx_percentile|quantile|element_at|count_if|regexp_|::|\bQUALIFY\b/i);
      }
    }
  });

  it('calls_per_day_and_agent: calls, answered, failed and seconds per day and agent', async () => {
    expect((await run('calls_per_day_and_agent')).rows).toEqual([
      { start_date: '2025-11-30', agent_id: 'agent_a', agent_name: 'Alice bot', calls: 2, answered: 2, failed: 0, duration_secs: 90 },
      { start_date: '2025-11-30', agent_id: 'agent_b', agent_name: 'Bob bot', calls: 1, answered: 1, failed: 0, duration_secs: 120 },
      { start_date: '2025-12-01', agent_id: 'agent_b', agent_name: 'Bob bot', calls: 2, answered: 0, failed: 2, duration_secs: 10 },
      { start_date: '2025-12-01', agent_id: 'agent_a', agent_name: 'Alice bot', calls: 1, answered: 1, failed: 0, duration_secs: 90 },
    ]);
  });

  it('duration_percentiles: exact nearest-rank percentiles per agent and for all, the same as calls stats', async () => {
    const { rows } = await run('duration_percentiles');
    expect(rows).toEqual([
      // 10 30 60 90 120: p50 is the 3rd, p90 and p99 the 5th.
      { scope: 'all', agent_id: null, calls: 5, total_secs: 310, average_secs: 62, p50_secs: 60, p90_secs: 120, p99_secs: 120, max_secs: 120 },
      // 30 60 90: the 2nd, the 3rd.
      { scope: 'agent', agent_id: 'agent_a', calls: 3, total_secs: 180, average_secs: 60, p50_secs: 60, p90_secs: 90, p99_secs: 90, max_secs: 90 },
      // 10 120 (c4 never connected: no duration): the 1st, the 2nd.
      { scope: 'agent', agent_id: 'agent_b', calls: 2, total_secs: 130, average_secs: 65, p50_secs: 10, p90_secs: 120, p99_secs: 120, max_secs: 120 },
    ]);
    expect(rows[0]).toMatchObject({ total_secs: stats.duration_secs.total, average_secs: stats.duration_secs.average, p50_secs: stats.duration_secs.p50, p90_secs: stats.duration_secs.p90 });
  });

  it('duration_percentiles: nearest rank matches calls stats on 1 to 41 durations with ties', async () => {
    const many = Array.from({ length: 41 }, (_, i) => ({ ...transcribed, ...A, conversation_id: `d${i}`, start_time_unix_secs: at('2025-10-01T00:00:00Z') + i, call_duration_secs: (i * 7) % 13 }));
    const manyDir = mkdtempSync(join(tmpdir(), 'durations-'));
    try {
      for (const size of [1, 2, 3, 10, 11, 41]) {
        rmSync(manyDir, { recursive: true, force: true });
        writeRows(manyDir, many.slice(0, size));
        const local = await CallsDuckDb.open(manyDir, size);
        try {
          const [all] = (await local.query(namedQuery('duration_percentiles')!.duckdb)).rows;
          const { duration_secs } = computeStats(many.slice(0, size));
          expect([size, all.p50_secs, all.p90_secs]).toEqual([size, duration_secs.p50, duration_secs.p90]);
        } finally {
          local.close();
        }
      }
    } finally {
      rmSync(manyDir, { recursive: true, force: true });
    }
  });

  it('cost_per_month_and_agent: credits and US dollars per month and agent, and per month for all', async () => {
    expect((await run('cost_per_month_and_agent')).rows).toEqual([
      { start_month: '2025-11', scope: 'all', agent_id: null, calls: 3, credits: 600, usd: 1.5, calls_priced_usd: 3, usd_per_priced_call: 0.5 },
      { start_month: '2025-11', scope: 'agent', agent_id: 'agent_a', calls: 2, credits: 300, usd: 0.75, calls_priced_usd: 2, usd_per_priced_call: 0.375 },
      { start_month: '2025-11', scope: 'agent', agent_id: 'agent_b', calls: 1, credits: 300, usd: 0.75, calls_priced_usd: 1, usd_per_priced_call: 0.75 },
      { start_month: '2025-12', scope: 'all', agent_id: null, calls: 3, credits: 70, usd: 0.125, calls_priced_usd: 1, usd_per_priced_call: 0.125 },
      { start_month: '2025-12', scope: 'agent', agent_id: 'agent_b', calls: 2, credits: 20, usd: 0.125, calls_priced_usd: 1, usd_per_priced_call: 0.125 },
      // No call priced in USD: 0 dollars, and no average.
      { start_month: '2025-12', scope: 'agent', agent_id: 'agent_a', calls: 1, credits: 50, usd: 0, calls_priced_usd: 0, usd_per_priced_call: null },
    ]);
    expect([stats.total_cost, stats.cost_usd.total, stats.cost_usd.calls]).toEqual([670, 1.625, 4]);
  });

  it('success_rate: verdicts per agent and for all, counted as calls stats counts them', async () => {
    const { rows } = await run('success_rate');
    expect(rows).toEqual([
      { scope: 'all', agent_id: null, calls: 6, answered: 4, success: 3, failure: 1, unknown: 1, success_rate: 0.75 },
      { scope: 'agent', agent_id: 'agent_a', calls: 3, answered: 3, success: 2, failure: 0, unknown: 1, success_rate: 1 },
      { scope: 'agent', agent_id: 'agent_b', calls: 3, answered: 1, success: 1, failure: 1, unknown: 0, success_rate: 0.5 },
    ]);
    expect({ answered: rows[0].answered, ...stats.call_successful }).toEqual({ answered: stats.answered, success: 3, failure: 1, unknown: 1, success_rate: 0.75 });
  });

  it('termination_reasons: each reason, its calls and share', async () => {
    const { rows } = await run('termination_reasons');
    expect(rows).toEqual([
      { termination_reason: 'end_call tool', calls: 3, share: 0.6 },
      { termination_reason: 'client disconnected', calls: 1, share: 0.2 },
      { termination_reason: 'error', calls: 1, share: 0.2 },
    ]);
    expect(Object.fromEntries(rows.map((r) => [r.termination_reason, r.calls]))).toEqual(stats.termination_reasons);
  });

  it('busiest_numbers: one number however stored, with answered, failed, first and last call', async () => {
    const { rows } = await run('busiest_numbers');
    expect(rows).toEqual([
      { number: '+15550100001', calls: 3, answered: 2, failed: 1, first_call: '2025-11-30 10:00:00.000', last_call: '2025-12-01 10:00:00.000' },
      { number: '+15550100002', calls: 2, answered: 1, failed: 1, first_call: '2025-12-01 09:00:00.000', last_call: '2025-12-01 11:00:00.000' },
      { number: '+442071234567', calls: 1, answered: 1, failed: 0, first_call: '2025-11-30 12:00:00.000', last_call: '2025-11-30 12:00:00.000' },
    ]);
    expect(rows.map((r) => ({ number: r.number, calls: r.calls }))).toEqual(stats.top_numbers);
  });

  it('data_collection_values: per field each value and its calls (a key such as __proto__ like any other)', async () => {
    const { rows } = await run('data_collection_values');
    expect(rows).toEqual([
      { field: '__proto__', value: 'x', calls: 1 },
      { field: 'caller_name', value: 'Jordan', calls: 2 },
      { field: 'caller_name', value: 'Sam', calls: 1 },
      { field: 'needs_follow_up', value: 'false', calls: 1 },
      { field: 'needs_follow_up', value: 'true', calls: 1 },
    ]);
    const byField = new Map<string, Record<string, number>>();
    for (const r of rows) byField.set(r.field as string, { ...byField.get(r.field as string), [r.value as string]: r.calls as number });
    expect(new Map(Object.entries(stats.data_collection))).toEqual(byField);
  });

  it('evaluation_pass_rates: pass, fail, other and pass rate per criterion, as calls stats counts them', async () => {
    const { rows } = await run('evaluation_pass_rates');
    expect(rows).toEqual([
      { criterion: 'polite', pass: 2, fail: 1, other: 0, pass_rate: 2 / 3 },
      { criterion: 'solved', pass: 1, fail: 1, other: 1, pass_rate: 0.5 },
    ]);
    expect(Object.fromEntries(rows.map(({ criterion, ...counts }) => [criterion, counts]))).toEqual(stats.evaluation);
  });

  it('campaigns: recipients, those reached, answer rate and retries per campaign, latest first', async () => {
    const { rows } = await run('campaigns');
    expect(rows).toEqual([
      { batch_call_id: 'btcal_2', calls: 1, recipients: 1, recipients_answered: 0, answer_rate: 0, calls_per_recipient: 1, credits: 20, usd: 0.125, first_call: '2025-12-01 11:00:00.000', last_call: '2025-12-01 11:00:00.000' },
      { batch_call_id: 'btcal_1', calls: 3, recipients: 2, recipients_answered: 2, answer_rate: 1, calls_per_recipient: 1.5, credits: 300, usd: 0.75, first_call: '2025-11-30 10:00:00.000', last_call: '2025-12-01 10:00:00.000' },
    ]);
    const { recipients, recipients_answered, answer_rate, calls_per_recipient } = rows[1];
    expect({ recipients, recipients_answered, answer_rate, calls_per_recipient }).toEqual(campaignFigures(ITEMS.filter((i) => i.batch_call_id === 'btcal_1')));
  });

  it('run on no rows at all: an empty table answers every one', async () => {
    const empty = await CallsDuckDb.open();
    try {
      for (const query of NAMED_QUERIES) {
        const { rows } = await empty.query(query.duckdb);
        // Grouping sets keep their grand total row: zero calls.
        expect([query.name, rows.filter((r) => r.scope !== 'all')]).toEqual([query.name, []]);
      }
    } finally {
      empty.close();
    }
  });
});

describe('the local table', () => {
  it('has every column of the schema, typed from it (not detected), then the partition', async () => {
    const { rows } = await db.query('DESCRIBE calls');
    const expected: Record<string, string> = {
      string: 'VARCHAR', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', timestamp: 'TIMESTAMP', json: 'VARCHAR',
      'array<string>': 'VARCHAR[]', 'map<string,string>': 'MAP(VARCHAR, VARCHAR)',
    };
    expect(rows.map((r) => [r.column_name, r.column_type])).toEqual([...CALL_COLUMNS.map((c) => [c.name, expected[c.type]]), [PARTITION_COLUMN.name, 'VARCHAR']]);
    expect(DUCKDB_COLUMNS.map((c) => c.name)).toEqual([...CALL_COLUMNS.map((c) => c.name), PARTITION_COLUMN.name]);
  });

  it('reads back the row the stream function writes for a full call: every value as written, the day from the key', async () => {
    const body = loadExample('sdk/phone.twilio');
    const write = toCallWrite(parseEvent(Buffer.from(JSON.stringify(body)), 1_900_000_000), 'raw/key.json')!;
    const item = { conversation_id: body.data.conversation_id, ...write.update.setIfMissing, ...write.update.set, transcription_event_timestamp: body.event_timestamp, has_audio: true, tools_used: new Set(['b', 'a']) };
    const row = toCallRow(item, callOutcome(item));
    const one = mkdtempSync(join(tmpdir(), 'one-row-'));
    try {
      writeRows(one, [item]);
      const local = await CallsDuckDb.open(one, 1);
      try {
        const [read] = (await local.query('SELECT * FROM calls')).rows;
        expect(read).toEqual({ ...row, start_date: startDate(item) });
        // Typed, not text: a map is subscripted, a list indexed, a timestamp compared.
        const [typed] = (await local.query("SELECT typeof(evaluation) AS t, tools_used[1] AS first_tool, start_time > TIMESTAMP '2000-01-01' AS later FROM calls")).rows;
        expect(typed).toEqual({ t: 'MAP(VARCHAR, VARCHAR)', first_tool: 'a', later: true });
      } finally {
        local.close();
      }
    } finally {
      rmSync(one, { recursive: true, force: true });
    }
  });
});

describe('results', () => {
  it('give counts as numbers while exact and as text beyond, and duplicate names made unique', async () => {
    const { columns, rows } = await db.query('SELECT (SELECT count(*) FROM calls) AS n, 9007199254740993::BIGINT AS n, 1.5::DECIMAL(4,2) AS d, [1, 2] AS l');
    expect(columns).toEqual(['n', 'n_2', 'd', 'l']);
    expect(rows).toEqual([{ n: 6, n_2: '9007199254740993', d: 1.5, l: [1, 2] }]);
  });

  it('run several statements, answering with the last', async () => {
    const { rows } = await db.query('CREATE TEMP VIEW answered AS SELECT * FROM calls WHERE outcome IN (\'success\', \'failure\', \'unknown\'); SELECT count(*) AS calls FROM answered');
    expect(rows).toEqual([{ calls: 4 }]);
  });

  it('say why a query failed in one line', async () => {
    await expect(db.query('SELEC 1')).rejects.toThrow(new SqlQueryError('Parser Error: syntax error at or near "SELEC"'));
    await expect(db.query('SELECT nope FROM calls')).rejects.toThrow(/^Binder Error: Referenced column "nope" not found in FROM clause!$/);
    for (const none of ['  ', '-- nothing', ';']) await expect(db.query(none)).rejects.toThrow(new SqlQueryError('no SQL statement given'));
  });

  it('print as an aligned table for a person, stored text made harmless, and as CSV', () => {
    const result: SqlResult = { columns: ['name', 'calls', 'rate'], rows: [{ name: 'a\u001b[31mred\u202e', calls: 12, rate: 2 / 3 }, { name: 'longer name', calls: 3, rate: null }] };
    expect(formatTable(result)).toBe(['name         calls      rate', '-----------  -----  --------', 'a[31mred        12  0.666667', 'longer name      3', '(2 rows)', ''].join('\n'));
    expect(resultCsv({ columns: ['m', 'f'], rows: [{ m: { k: 'v' }, f: '=1+1' }] })).toBe('m,f\n"{""k"":""v""}",\'=1+1\n');
  });
});
