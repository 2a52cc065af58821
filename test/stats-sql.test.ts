import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CALL_ROWS_PREFIX, callRowKey, startDate, toCallRow } from '../lambda/analytics/call-row';
import { storedNumberForms } from '../lambda/phone-numbers';
import { byNewestFirst, type CallFilter, type CallItem } from '../lib/calls/calls-query';
import { computeStats, statsByAgent, TOP_NUMBERS } from '../lib/calls/calls-stats';
import { callOutcome, failureKind } from '../lib/calls/failure-kind';
import { runAthenaSql } from '../lib/calls/sql/athena-engine';
import { CallsDuckDb } from '../lib/calls/sql/duckdb-engine';
import { statsByAgentFromSql, statsFromSql, statsQueries } from '../lib/calls/sql/stats-sql';
import { startFakeAthena, type QueryPlan } from './support/fake-athena';

/*
 * `calls stats --engine duckdb|athena`: the stats SQL on DuckDB over the rows of hand-made calls
 * (written as the stream function writes them) gives the very object computeStats gives over the
 * same items, key order included, for each filter; --by-agent gives what statsByAgent gives, groups
 * in the same order; on Athena (a fake of its API) the same queries are sent in the stack's
 * workgroup and their rows assembled.
 */

const at = (iso: string) => Date.parse(iso) / 1000;
const transcribed = { transcription_event_timestamp: 1, status: 'done' };
const A = { agent_id: 'agent_a', agent_name: 'Alice bot' };
const B = { agent_id: 'agent_b', agent_name: 'Bob bot' };

const ITEMS: CallItem[] = [
  { ...transcribed, ...A, conversation_id: 'c01', start_time_unix_secs: at('2025-11-28T10:00:00Z'), channel: 'phone', conversation_initiation_source: 'twilio', call_successful: 'success', call_duration_secs: 30, cost: 100, cost_fiat: 0.25, external_number: '+15550100001', termination_reason: 'end_call tool', evaluation: { solved: 'success', polite: 'success' }, data_collection: { caller_name: 'Jordan', needs_follow_up: false }, tool_calls: 3, tool_errors: 1, batch_call_id: 'btcal_1', batch_call_recipient_id: 'r1' },
  // The same number without its +, and with separators: one number.
  { ...transcribed, ...A, conversation_id: 'c02', start_time_unix_secs: at('2025-11-29T11:00:00Z'), channel: 'phone', conversation_initiation_source: 'twilio', call_successful: 'success', call_duration_secs: 60.5, cost: 200, cost_fiat: 0.5, external_number: '15550100001', termination_reason: 'client disconnected', evaluation: { polite: 'success', solved: 'failure' }, data_collection: { needs_follow_up: true, caller_name: 'Jordan', age: 42 }, tool_calls: 2, tool_errors: 0, batch_call_id: 'btcal_1', batch_call_recipient_id: 'r2' },
  { ...transcribed, ...A, conversation_id: 'c03', start_time_unix_secs: at('2025-11-29T12:00:00Z'), channel: 'phone', call_successful: 'failure', call_duration_secs: 45, cost: 80, external_number: '+1 555 010-0001', termination_reason: 'end_call tool', evaluation: { solved: 'failure', tone: 'unknown' }, data_collection: { caller_name: 'Sam', extra: { a: 1 } } },
  { ...transcribed, ...B, conversation_id: 'c04', start_time_unix_secs: at('2025-11-30T09:00:00Z'), channel: 'whatsapp', conversation_initiation_source: 'whatsapp', call_successful: 'success', call_duration_secs: 120, cost: 300, cost_fiat: 0.75, external_number: '+442071234567', termination_reason: 'end_call tool', evaluation: { polite: 'failure', tone: 'success' }, data_collection: JSON.parse('{"__proto__": "x", "constructor": "y"}') },
  // Answered without a verdict: unknown; no cost in USD.
  { ...transcribed, ...A, conversation_id: 'c05', start_time_unix_secs: at('2025-11-30T10:00:00Z'), channel: 'web', conversation_initiation_source: 'widget', call_duration_secs: 90, cost: 50, termination_reason: 'end_call tool', evaluation: { solved: 'unknown' }, data_collection: { caller_name: 'Sam', age: null } },
  // A retry of r2 that never connected (busy).
  { ...B, conversation_id: 'c06', start_time_unix_secs: at('2025-11-30T11:00:00Z'), failure_reason: 'busy', failure_event_timestamp: 1, channel: 'phone', external_number: '+15550100001', batch_call_id: 'btcal_1', batch_call_recipient_id: 'r2' },
  // r3 never reached; a retry also not connected.
  { ...B, conversation_id: 'c07', start_time_unix_secs: at('2025-11-30T12:00:00Z'), failure_reason: 'no-answer', failure_event_timestamp: 1, channel: 'phone', external_number: '+15550100003', batch_call_id: 'btcal_1', batch_call_recipient_id: 'r3' },
  { ...B, conversation_id: 'c08', start_time_unix_secs: at('2025-11-30T13:00:00Z'), failure_reason: 'no-answer', failure_event_timestamp: 1, channel: 'phone', external_number: '15550100003', batch_call_id: 'btcal_1', batch_call_recipient_id: 'r3' },
  // A conversation that failed, with a verdict all the same (counted as computeStats counts it).
  { ...transcribed, ...B, conversation_id: 'c09', start_time_unix_secs: at('2025-12-01T11:00:00Z'), status: 'failed', error_code: 1002, call_successful: 'failure', call_duration_secs: 10, cost: 20, cost_fiat: 0.125, channel: 'phone', external_number: '+15550100002', termination_reason: 'error', batch_call_id: 'btcal_2', batch_call_recipient_id: 'r9', evaluation: { solved: 'failure' } },
  // Only audio so far: neither answered nor failed (other); no channel.
  { ...A, conversation_id: 'c10', start_time_unix_secs: at('2025-12-01T12:00:00Z'), has_audio: true },
  // More numbers, so the top 5 has ties to break.
  ...['+15550100004', '+15550100005', '+15550100006', 'anonymous'].map((number, i) => ({
    ...transcribed, ...B, conversation_id: `c1${i + 1}`, start_time_unix_secs: at(`2025-12-02T1${i}:00:00Z`), channel: 'sms', call_successful: 'success', call_duration_secs: 5 * (i + 1), cost: 1, external_number: number, evaluation: { tone: i % 2 ? 'success' : 'true' }, data_collection: { caller_name: i % 2 ? 'Jordan' : 'Alex' }, tool_calls: 1,
  })),
];

/*
 * For --by-agent, more agents beside agent_a (5 calls) and agent_b (9): three with 3 calls each,
 * whose order is that of their newest calls (agent_d, no agent, agent_c), neither their ids' nor
 * their first calls'; agent_c renamed over time, its newest call with an empty name; and numbers
 * called twice, so that the top 5 of all calls would leave out agent_b's and agent_c's numbers
 * called once, which their own top 5 keep.
 */
const C = (name: string) => ({ agent_id: 'agent_c', agent_name: name });
const D = { agent_id: 'agent_d', agent_name: 'Dave bot' };
const more = (agent: object, id: string, iso: string, number: string, extra: CallItem = {}): CallItem => ({
  ...transcribed, ...agent, conversation_id: id, start_time_unix_secs: at(iso), channel: 'phone', external_number: number, call_successful: 'success', call_duration_secs: 20, cost: 10, ...extra,
});
const AGENT_ITEMS: CallItem[] = [
  ...ITEMS,
  more(C('Carol v1'), 'c21', '2025-11-20T10:00:00Z', '+15550100021', { evaluation: { solved: 'success' }, data_collection: { caller_name: 'Kim' } }),
  more(C('Carol v2'), 'c22', '2025-11-21T10:00:00Z', '+15550100021', { call_successful: 'failure' }),
  more(C(''), 'c23', '2025-11-22T10:00:00Z', '+15550100022', { batch_call_id: 'btcal_1', batch_call_recipient_id: 'r7' }),
  more({}, 'c31', '2025-11-23T10:00:00Z', '+15550100031'),
  more({ agent_name: '' }, 'c32', '2025-11-24T10:00:00Z', '+15550100031', { call_duration_secs: 200 }),
  more({}, 'c33', '2025-11-25T10:00:00Z', '+15550100032', { evaluation: { tone: 'success' } }),
  more(D, 'c41', '2025-11-19T10:00:00Z', '+15550100041'),
  more(D, 'c42', '2025-11-26T10:00:00Z', '+15550100041', { failure_reason: 'busy', failure_event_timestamp: 1 }),
  more(D, 'c43', '2025-11-27T10:00:00Z', '+15550100042'),
];

/** The items findCalls gives for a filter: matched as its index queries and filters match them, newest first. */
function matching(filter: CallFilter, items = ITEMS): CallItem[] {
  return items.filter((item) =>
    (filter.since === undefined || item.start_time_unix_secs >= filter.since)
    && (filter.until === undefined || item.start_time_unix_secs <= filter.until)
    && (filter.agentId === undefined || item.agent_id === filter.agentId)
    && (filter.batchId === undefined || item.batch_call_id === filter.batchId)
    && (filter.number === undefined || storedNumberForms(filter.number).includes(item.external_number))
    && (!filter.failedOnly || failureKind(item) !== undefined)).sort(byNewestFirst);
}

const dirs: string[] = [];
let db: CallsDuckDb;
let agentsDb: CallsDuckDb;

/** DuckDB over the items' rows, as the stream function writes them. */
async function openRows(items: readonly CallItem[]): Promise<CallsDuckDb> {
  const dir = mkdtempSync(join(tmpdir(), 'stats-sql-'));
  dirs.push(dir);
  for (const item of items) {
    const file = join(dir, callRowKey(item.conversation_id, startDate(item)!).slice(CALL_ROWS_PREFIX.length));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(toCallRow(item, callOutcome(item)))}\n`);
  }
  return CallsDuckDb.open(dir, items.length);
}

beforeAll(async () => {
  db = await openRows(ITEMS);
  agentsDb = await openRows(AGENT_ITEMS);
});

afterAll(() => {
  db?.close();
  agentsDb?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const FILTERS: [string, CallFilter, boolean][] = [
  ['no filter', {}, false],
  ['since and until', { since: at('2025-11-29T11:00:00Z'), until: at('2025-12-01T11:00:00Z') }, false],
  ['a day by dates', { since: at('2025-11-30T00:00:00Z'), until: at('2025-11-30T23:59:59Z') }, false],
  ['an agent', { agentId: 'agent_a' }, false],
  ['a campaign', { batchId: 'btcal_1' }, true],
  ['another campaign', { batchId: 'btcal_2' }, true],
  ['a number typed without +', { number: '15550100001' }, false],
  ['a number typed with separators', { number: '+1 (555) 010-0003' }, false],
  ['failed calls', { failedOnly: true }, false],
  ['failed calls of an agent in a period', { failedOnly: true, agentId: 'agent_b', since: at('2025-11-30T11:30:00Z') }, false],
  ['nothing matches', { agentId: "o'brien" }, true],
];

describe('calls stats on DuckDB', () => {
  it.each(FILTERS)('%s: the same object as computeStats over the same calls, key order included', async (_, filter, campaign) => {
    const expected = computeStats(matching(filter), { campaign });
    const stats = await statsFromSql((sql) => db.query(sql), filter, { campaign });
    expect(stats).toEqual(expected);
    expect(JSON.stringify(stats)).toBe(JSON.stringify(expected));
  });

  it('covers what the fixture means to cover', async () => {
    const all = computeStats(matching({}), { campaign: true });
    expect(all).toMatchObject({ calls: 14, answered: 9, not_connected: 3, conversation_failed: 1, other: 1 });
    expect(all.call_successful).toEqual({ success: 7, failure: 2, unknown: 1, success_rate: 7 / 9 });
    expect(all.cost_usd.calls).toBe(4);
    expect(all.top_numbers[0]).toEqual({ number: '+15550100001', calls: 4 });
    expect(all.evaluation.tone).toEqual({ pass: 3, fail: 0, other: 3, pass_rate: 1 });
    expect(Object.keys(all.data_collection.__proto__)).toEqual(['x']);
    expect(all.campaign).toEqual({ recipients: 4, recipients_answered: 2, answer_rate: 0.5, calls_per_recipient: 1.5 });
  });

  it('reads only the days of the period (the partition) as well as the seconds', () => {
    const period = { since: at('2025-11-30T06:00:00Z'), until: at('2025-12-01T23:59:59Z') };
    for (const sql of [...Object.values(statsQueries(period)), ...Object.values(statsQueries(period, { byAgent: true }))]) {
      expect(sql).toContain("start_date >= '2025-11-30'");
      expect(sql).toContain("start_date <= '2025-12-01'");
      expect(sql).not.toMatch(/approx_percentile|quantile|element_at|count_if|regexp_|::|\bQUALIFY\b/i);
    }
  });
});

describe('calls stats --by-agent on DuckDB', () => {
  it.each(FILTERS)('%s: the same groups, names, order and stats as statsByAgent over the same calls', async (_, filter, campaign) => {
    const expected = statsByAgent(matching(filter, AGENT_ITEMS), { campaign });
    const agents = await statsByAgentFromSql((sql) => agentsDb.query(sql), filter, { campaign });
    expect(agents).toEqual(expected);
    expect(JSON.stringify(agents)).toBe(JSON.stringify(expected));
  });

  it('covers what the fixture means to cover', async () => {
    const agents = await statsByAgentFromSql((sql) => agentsDb.query(sql), {});
    expect(agents.map((a) => [a.agent_id, a.agent_name, a.stats.calls])).toEqual([
      ['agent_b', 'Bob bot', 9],
      ['agent_a', 'Alice bot', 5],
      ['agent_d', 'Dave bot', 3],
      ['(unknown agent)', undefined, 3],
      ['agent_c', 'Carol v2', 3],
    ]);
    const of = (id: string) => agents.find((a) => a.agent_id === id)!.stats;
    // Ranked over all calls, these numbers called once would not be among the candidates.
    expect(of('agent_b').top_numbers).toHaveLength(TOP_NUMBERS);
    expect(of('agent_b').top_numbers.slice(1).every((n) => n.calls === 1)).toBe(true);
    expect(of('agent_c').top_numbers).toEqual([{ number: '+15550100021', calls: 2 }, { number: '+15550100022', calls: 1 }]);
    expect(of('(unknown agent)').duration_secs).toMatchObject({ p50: 20, p90: 200 });
    expect(computeStats(AGENT_ITEMS).top_numbers.every((n) => n.calls >= 2)).toBe(true);
  });

  it('runs two queries for all the agents, not two per agent', async () => {
    const sent: string[] = [];
    await statsByAgentFromSql((sql) => (sent.push(sql), agentsDb.query(sql)), {});
    expect(sent).toEqual(Object.values(statsQueries({}, { byAgent: true })));
  });
});

describe('calls stats on Athena', () => {
  const plans = new Map<string, QueryPlan>();
  let fake: Awaited<ReturnType<typeof startFakeAthena>>;
  let athena: AthenaClient;

  beforeAll(async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    fake = await startFakeAthena((sql) => plans.get(sql) ?? { refuse: { type: 'InvalidRequestException', message: 'unexpected query' } });
    athena = new AthenaClient({ endpoint: fake.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
  });

  afterAll(async () => {
    athena?.destroy();
    await fake?.close();
  });

  /** What DuckDB answers over the same rows, as Athena sends it: text, typed by its columns. */
  const athenaPlan = (result: Awaited<ReturnType<CallsDuckDb['query']>>, types: Record<string, string>): QueryPlan => ({
    states: ['QUEUED', 'RUNNING', 'SUCCEEDED'],
    columns: result.columns.map((name) => ({ name, type: types[name] ?? 'bigint' })),
    rows: result.rows.map((row) => result.columns.map((c) => (row[c] === null ? null : String(row[c])))),
    pageSize: 3,
  });

  it('sends the stats queries in the stack workgroup and assembles the stats from their rows', async () => {
    const filter: CallFilter = { agentId: 'agent_a', since: at('2025-11-01T00:00:00Z') };
    const { totals, groups } = statsQueries(filter);
    const [totalRows, groupRows] = [await db.query(totals), await db.query(groups)];
    plans.set(totals, athenaPlan(totalRows, { grp: 'varchar', agent_name: 'varchar', duration_total: 'double', p50: 'double', p90: 'double', cost_total: 'double', usd_total: 'double' }));
    plans.set(groups, athenaPlan(groupRows, { grp: 'varchar', kind: 'varchar', label: 'varchar', label_value: 'varchar' }));
    const context = { workGroup: 'calls-wg', database: 'calls_db' };
    const stats = await statsFromSql((sql) => runAthenaSql(athena, context, sql, { firstPollMs: 1, maxPollMs: 2 }), filter);
    expect(JSON.stringify(stats)).toBe(JSON.stringify(computeStats(matching(filter))));
    const starts = fake.requests.filter((r) => r.target.endsWith('StartQueryExecution')).map((r) => r.body);
    expect(starts).toEqual([
      expect.objectContaining({ QueryString: totals, WorkGroup: 'calls-wg', QueryExecutionContext: { Database: 'calls_db' } }),
      expect.objectContaining({ QueryString: groups, WorkGroup: 'calls-wg', QueryExecutionContext: { Database: 'calls_db' } }),
    ]);
  });

  it('--by-agent: sends the two by-agent queries and assembles every agent from their rows', async () => {
    fake.requests.splice(0);
    const filter: CallFilter = { since: at('2025-11-01T00:00:00Z') };
    const { totals, groups } = statsQueries(filter, { byAgent: true });
    const [totalRows, groupRows] = [await agentsDb.query(totals), await agentsDb.query(groups)];
    plans.set(totals, athenaPlan(totalRows, { grp: 'varchar', agent_name: 'varchar', duration_total: 'double', p50: 'double', p90: 'double', cost_total: 'double', usd_total: 'double' }));
    plans.set(groups, athenaPlan(groupRows, { grp: 'varchar', kind: 'varchar', label: 'varchar', label_value: 'varchar' }));
    const context = { workGroup: 'calls-wg', database: 'calls_db' };
    const agents = await statsByAgentFromSql((sql) => runAthenaSql(athena, context, sql, { firstPollMs: 1, maxPollMs: 2 }), filter);
    expect(JSON.stringify(agents)).toBe(JSON.stringify(statsByAgent(matching(filter, AGENT_ITEMS))));
    expect(agents).toHaveLength(5);
    const starts = fake.requests.filter((r) => r.target.endsWith('StartQueryExecution')).map((r) => r.body);
    expect(starts).toEqual([
      expect.objectContaining({ QueryString: totals, WorkGroup: 'calls-wg', QueryExecutionContext: { Database: 'calls_db' } }),
      expect.objectContaining({ QueryString: groups, WorkGroup: 'calls-wg', QueryExecutionContext: { Database: 'calls_db' } }),
    ]);
  });
});
