import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { athenaContextOf, AthenaSetupError, fromAthena, runAthenaSql } from '../lib/calls/sql/athena-engine';
import { NAMED_QUERIES } from '../lib/calls/sql/named-queries';
import { SqlQueryError } from '../lib/calls/sql/sql-result';
import { startFakeAthena, type QueryPlan } from './support/fake-athena';

/*
 * The Athena client's flow against a fake of the Athena API (the real SDK client, its endpoint a
 * local server): start in the stack's workgroup and database, poll with backoff until the query
 * ends, read every page of results, header skipped, values typed by their columns; a failed query
 * says why in one line.
 */

const plans = new Map<string, QueryPlan>();
let fake: Awaited<ReturnType<typeof startFakeAthena>>;
let athena: AthenaClient;
const context = { workGroup: 'calls-wg', database: 'calls_db' };
const fast = { firstPollMs: 1, maxPollMs: 4 };

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  fake = await startFakeAthena((sql) => plans.get(sql) ?? { refuse: { type: 'InvalidRequestException', message: `line 1:1: mismatched input '${sql.split(' ')[0]}'. Expecting: 'SELECT', 'WITH'` } }, {
    'calls-stack': { CallsTableName: 'calls-table', AthenaWorkGroup: 'calls-wg', GlueDatabase: 'calls_db' },
    'old-stack': { CallsTableName: 'calls-table' },
  });
  const common = { endpoint: fake.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 };
  athena = new AthenaClient(common);
});

afterAll(async () => {
  athena?.destroy();
  await fake?.close();
});

beforeEach(() => fake.requests.splice(0));

const targets = () => fake.requests.map((r) => r.target.replace('AmazonAthena.', ''));

describe('a query on Athena', () => {
  it('starts in the workgroup and database, polls until it succeeds, and reads every page with the header skipped', async () => {
    const sql = 'SELECT agent_id, count(*) AS calls FROM calls GROUP BY agent_id';
    plans.set(sql, {
      states: ['QUEUED', 'RUNNING', 'RUNNING', 'SUCCEEDED'],
      columns: [{ name: 'agent_id', type: 'varchar' }, { name: 'calls', type: 'bigint' }],
      rows: [['agent_a', '3'], ['agent_b', '2'], [null, '1'], ['agent_c', '9007199254740993'], ['', '0']],
      pageSize: 2,
      scannedBytes: 12_345_678,
    });
    const seen: string[] = [];
    const result = await runAthenaSql(athena, context, sql, { ...fast, pageSize: 2, onState: (s) => seen.push(s) });
    expect(result).toEqual({
      columns: ['agent_id', 'calls'],
      rows: [
        { agent_id: 'agent_a', calls: 3 },
        { agent_id: 'agent_b', calls: 2 },
        { agent_id: null, calls: 1 },
        // Beyond 2^53 a count is text, never a rounded number; an empty string is not NULL.
        { agent_id: 'agent_c', calls: '9007199254740993' },
        { agent_id: '', calls: 0 },
      ],
      scannedBytes: 12_345_678,
    });
    const [start] = fake.requests;
    expect(start.body).toMatchObject({ QueryString: sql, WorkGroup: 'calls-wg', QueryExecutionContext: { Database: 'calls_db' } });
    // Header + 5 rows at 2 a page: three pages, each after the one before (NextToken).
    expect(targets()).toEqual(['StartQueryExecution', 'GetQueryExecution', 'GetQueryExecution', 'GetQueryExecution', 'GetQueryExecution', 'GetQueryResults', 'GetQueryResults', 'GetQueryResults']);
    expect(fake.requests.filter((r) => r.target.endsWith('GetQueryResults')).map((r) => r.body.NextToken)).toEqual([undefined, '2', '4']);
    expect(seen).toEqual(['QUEUED', 'RUNNING', 'RUNNING']);
  });

  it('types each value by its column: numbers, decimals, booleans; dates, maps and arrays as Athena writes them', async () => {
    const sql = 'SELECT * FROM typed';
    plans.set(sql, {
      columns: [
        { name: 'i', type: 'integer' }, { name: 'd', type: 'double' }, { name: 'r', type: 'decimal' }, { name: 'b', type: 'boolean' },
        { name: 't', type: 'timestamp' }, { name: 'm', type: 'map' }, { name: 'a', type: 'array' }, { name: 'i', type: 'bigint' }, { name: 'nan', type: 'double' },
      ],
      rows: [['7', '0.75', '12.50', 'true', '2025-11-30 10:00:00.000', '{solved=success}', '[a, b]', '-4', 'NaN']],
      pageSize: 10,
    });
    const { columns, rows } = await runAthenaSql(athena, context, sql, fast);
    expect(columns).toEqual(['i', 'd', 'r', 'b', 't', 'm', 'a', 'i_2', 'nan']);
    expect(rows).toEqual([{ i: 7, d: 0.75, r: 12.5, b: true, t: '2025-11-30 10:00:00.000', m: '{solved=success}', a: '[a, b]', i_2: -4, nan: 'NaN' }]);
    expect(fromAthena('varchar', {})).toBeNull();
  });

  it('keeps the first row of a statement without a header (SHOW, DESCRIBE)', async () => {
    const sql = 'SHOW TABLES';
    plans.set(sql, { statementType: 'UTILITY', columns: [{ name: 'tab_name', type: 'varchar' }], rows: [['calls']] });
    expect((await runAthenaSql(athena, context, sql, fast)).rows).toEqual([{ tab_name: 'calls' }]);
  });

  it('says why a query failed, in one line, and reads no results', async () => {
    const sql = 'SELECT nope FROM calls';
    plans.set(sql, { states: ['RUNNING', 'FAILED'], reason: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved or requester is not authorized to access requested resources\n" });
    const error = await runAthenaSql(athena, context, sql, fast).catch((e) => e);
    expect(error).toBeInstanceOf(SqlQueryError);
    expect(error.message).toBe("COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved or requester is not authorized to access requested resources");
    expect(targets()).toEqual(['StartQueryExecution', 'GetQueryExecution', 'GetQueryExecution']);
  });

  it('says so when the workgroup cancelled it (its scan limit), and when Athena refused the text outright', async () => {
    const sql = 'SELECT * FROM calls CROSS JOIN calls';
    plans.set(sql, { states: ['RUNNING', 'CANCELLED'], reason: 'Query cancelled: the bytes scanned limit of 10737418240 was exceeded' });
    await expect(runAthenaSql(athena, context, sql, fast)).rejects.toThrow(new SqlQueryError('query q-5 was cancelled: Query cancelled: the bytes scanned limit of 10737418240 was exceeded'));
    await expect(runAthenaSql(athena, context, 'SELEC 1', fast)).rejects.toThrow(new SqlQueryError("line 1:1: mismatched input 'SELEC'. Expecting: 'SELECT', 'WITH'"));
    await expect(runAthenaSql(athena, context, ' ', fast)).rejects.toThrow(new SqlQueryError('no SQL statement given'));
  });

  it('backs off between polls, up to its longest wait', async () => {
    const sql = 'SELECT 1';
    plans.set(sql, { states: ['QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED'], columns: [{ name: '_col0', type: 'integer' }], rows: [['1']] });
    const waits: number[] = [];
    await runAthenaSql(athena, context, sql, { firstPollMs: 100, maxPollMs: 500, sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([100, 200, 400, 500]);
  });

  it('stops the query on Athena when interrupted, so it scans no further', async () => {
    const sql = 'SELECT count(*) FROM calls';
    plans.set(sql, { states: ['RUNNING'] });
    const controller = new AbortController();
    const running = runAthenaSql(athena, context, sql, { firstPollMs: 20, maxPollMs: 20, signal: controller.signal, onState: () => controller.abort() });
    await expect(running).rejects.toThrow(/^interrupted: query q-\d+ stopped on Athena$/);
    expect(targets()).toEqual(['StartQueryExecution', 'GetQueryExecution', 'StopQueryExecution']);
  });
});

describe('the stack', () => {
  const cloudformation = () => new CloudFormationClient({ endpoint: fake.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });

  it('names the workgroup and the database in its outputs', async () => {
    const client = cloudformation();
    try {
      expect(await athenaContextOf('calls-stack', client)).toEqual({ workGroup: 'calls-wg', database: 'calls_db' });
      await expect(athenaContextOf('old-stack', client)).rejects.toThrow(new AthenaSetupError('Stack old-stack has no AthenaWorkGroup and GlueDatabase output: deploy this version with analytics on (the analytics prop, on by default)'));
    } finally {
      client.destroy();
    }
  });
});

describe('the named queries on Athena', () => {
  it('are sent as their Athena text, each run as it is', async () => {
    for (const query of NAMED_QUERIES) {
      plans.set(query.athena, { columns: [{ name: 'calls', type: 'bigint' }], rows: [['1']] });
      expect((await runAthenaSql(athena, context, query.athena, fast)).rows).toEqual([{ calls: 1 }]);
    }
    expect(fake.requests.filter((r) => r.target.endsWith('StartQueryExecution')).map((r) => r.body.QueryString)).toEqual(NAMED_QUERIES.map((q) => q.athena));
  });
});
