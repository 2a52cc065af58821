import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { callRowKey, CALL_ROWS_PREFIX, startDate, toCallRow } from '../../lambda/analytics/call-row';
import { callOutcome } from '../../lib/calls/failure-kind';
import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { LOCAL_BUCKET_NAME, LOCAL_TABLE_NAME } from '../../lib/local/local-settings';
import { NAMED_QUERIES } from '../../lib/calls/sql/named-queries';
import { statsQueries } from '../../lib/calls/sql/stats-sql';
import { byNewestFirst } from '../../lib/calls/calls-query';
import { computeStats, statsByAgent } from '../../lib/calls/calls-stats';
import { toJson } from '../../lib/calls/calls-format';
import { formatStats } from '../../lib/calls/stats-format';
import { terminalText } from '../../lib/terminal-text';
import { startFakeAthena } from '../support/fake-athena';
import { freePort } from '../support/local-server-process';
import { toolCommand } from '../support/tool-bundles';
import { asStoredItem } from '../support/storage';

/*
 * `npm run calls -- sql` as a user runs it: on DuckDB over the rows in the local bucket (put there
 * here through the S3 API, as the stream function writes them), and with --stack on Athena (a fake
 * of its API and of CloudFormation's, reached through AWS_ENDPOINT_URL). Nothing reaches AWS.
 */
const ROOT = join(__dirname, '..', '..');

let emulators: Emulators;
let fake: Awaited<ReturnType<typeof startFakeAthena>>;
let awsDir: string;
let env: NodeJS.ProcessEnv;

const at = (iso: string) => Date.parse(iso) / 1000;
const done = { transcription_event_timestamp: 1, status: 'done' };
const ITEMS: Record<string, unknown>[] = [
  { ...done, conversation_id: 'conv_1', agent_id: 'agent_a', agent_name: 'Evil\u001b]0;pwned\u0007 bot', start_time_unix_secs: at('2025-11-30T10:00:00Z'), call_successful: 'success', call_duration_secs: 30, cost: 100, batch_call_id: 'btcal_1', batch_call_recipient_id: 'r1' },
  { ...done, conversation_id: 'conv_2', agent_id: 'agent_a', start_time_unix_secs: at('2025-12-01T10:00:00Z'), call_successful: 'failure', call_duration_secs: 60, cost: 200, data_collection: { caller_name: 'Jordan' } },
  { conversation_id: 'conv_3', agent_id: 'agent_b', start_time_unix_secs: at('2025-12-01T11:00:00Z'), failure_reason: 'busy', failure_event_timestamp: 1, batch_call_id: 'btcal_1', batch_call_recipient_id: 'r2' },
];

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  emulators = await startEmulators({ tableName: LOCAL_TABLE_NAME, bucketName: LOCAL_BUCKET_NAME, log: () => {} });
  for (const item of ITEMS) {
    const Body = `${JSON.stringify(toCallRow(item, callOutcome(item)))}\n`;
    await emulators.s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKET_NAME, Key: callRowKey(item.conversation_id as string, startDate(item)!), Body }));
  }
  // Not a row: something else under the prefix is left alone.
  await emulators.s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKET_NAME, Key: `${CALL_ROWS_PREFIX}README.txt`, Body: 'not a row' }));
  fake = await startFakeAthena(
    (sql) =>
      sql.includes('nope')
        ? { states: ['RUNNING', 'FAILED'], reason: "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved or requester is not authorized to access requested resources" }
        : { states: ['QUEUED', 'RUNNING', 'SUCCEEDED'], columns: [{ name: 'scope', type: 'varchar' }, { name: 'calls', type: 'bigint' }, { name: 'p50_secs', type: 'double' }], rows: [['all', '2', '30.0']], scannedBytes: 2048 },
    { 'calls-stack': { CallsTableName: 'calls-table', AthenaWorkGroup: 'calls-wg', GlueDatabase: 'calls_db' } },
  );
  awsDir = mkdtempSync(join(tmpdir(), 'no-aws-'));
  writeFileSync(join(awsDir, 'config'), '');
  writeFileSync(join(awsDir, 'credentials'), '');
  env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  Object.assign(env, {
    DYNAMODB_PORT: new URL(emulators.dynamodbEndpoint).port,
    S3_PORT: new URL(emulators.s3Endpoint).port,
    AWS_CONFIG_FILE: join(awsDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    // Anything that would go to AWS goes to the fake.
    AWS_ENDPOINT_URL: fake.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
  });
}, 30_000);

afterAll(async () => {
  await emulators?.close();
  await fake?.close();
  if (awsDir) rmSync(awsDir, { recursive: true, force: true });
});

async function calls(args: string[], extraEnv: Record<string, string> = {}) {
  return promisify(execFile)(...(await toolCommand('bin/calls.ts', args)), { cwd: ROOT, env: { ...env, ...extraEnv } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('calls sql on the local rows (DuckDB)', () => {
  it('counts the calls in the local bucket and prints an array of row objects', async () => {
    const result = await calls(['sql', 'SELECT count(*) AS calls, count(DISTINCT start_date) AS days, max(start_time) AS latest FROM calls', '--json']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(JSON.parse(result.stdout)).toEqual([{ calls: 3, days: 2, latest: '2025-12-01 11:00:00.000' }]);
  });

  it('runs a named query as an aligned table, stored text made harmless, and as CSV', async () => {
    const text = await calls(['sql', '--named', 'calls_per_day_and_agent']);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text.stdout.split('\n')).toEqual([
      'start_date  agent_id  agent_name        calls  answered  failed  duration_secs',
      '----------  --------  ----------------  -----  --------  ------  -------------',
      '2025-11-30  agent_a   Evil]0;pwned bot      1         1       0             30',
      '2025-12-01  agent_a                         1         1       0             60',
      '2025-12-01  agent_b                         1         0       1              0',
      '(3 rows)',
      '',
    ]);
    const csv = await calls(['sql', '--named', 'campaigns', '--csv']);
    expect(csv.stdout.split('\n').slice(0, 2)).toEqual([
      'batch_call_id,calls,recipients,recipients_answered,answer_rate,calls_per_recipient,credits,usd,first_call,last_call',
      'btcal_1,2,2,1,0.5,1,100,0,2025-11-30 10:00:00.000,2025-12-01 11:00:00.000',
    ]);
  });

  it('lists the named queries', async () => {
    const list = await calls(['sql', '--named']);
    expect(list.code).toBe(0);
    for (const query of NAMED_QUERIES) expect(list.stdout).toContain(`  ${query.name}  `);
    const json = JSON.parse((await calls(['sql', '--named', '--json'])).stdout);
    expect(json).toEqual(NAMED_QUERIES.map((q) => ({ ...q })));
  });

  it('says why a query failed in one line, no stack trace, exit 1', async () => {
    const result = await calls(['sql', 'SELECT nope FROM calls']);
    expect([result.code, result.stdout, result.stderr]).toEqual([1, '', 'Query failed on DuckDB: Binder Error: Referenced column "nope" not found in FROM clause!\n']);
  });

  it('refuses what cannot run before reading anything', async () => {
    for (const [args, message] of [
      [['sql'], 'sql needs a query, in quotes (npm run calls -- sql "SELECT count(*) AS calls FROM calls"), or --named to list the named queries.'],
      [['sql', 'SELECT', '1'], 'sql takes the query as one argument: put it in quotes (npm run calls -- sql "SELECT count(*) AS calls FROM calls").'],
      [['sql', '--named', 'nope'], `No named query 'nope': ${NAMED_QUERIES.map((q) => q.name).join(', ')}.`],
      [['sql', 'SELECT 1', '--json', '--csv'], 'sql prints --json or --csv, not both.'],
      [['sql', 'SELECT 1', '--table', 't'], 'sql reads the rows in the bucket: pass --bucket with --table (or --stack to run on Athena).'],
      [['sql', 'SELECT 1', '--limit', '5'], 'sql does not take --limit (list does).'],
    ] as const) {
      const result = await calls([...args]);
      expect([result.code, result.stderr.split('\n')[0]]).toEqual([2, message]);
    }
  });

  it('asks whether npm start is running when nothing answers', async () => {
    const closed = String(await freePort());
    const result = await calls(['sql', 'SELECT 1'], { DYNAMODB_PORT: closed, S3_PORT: closed });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`Nothing answers at the local emulators (DynamoDB 127.0.0.1:${closed}, S3 127.0.0.1:${closed}): is npm start running? (--stack NAME reads a deployed stack.)\n`);
  });
});

describe('calls sql --stack (Athena)', () => {
  it("runs the query's Athena text in the stack's workgroup and database and prints the rows", async () => {
    fake.requests.splice(0);
    const result = await calls(['sql', '--named', 'duration_percentiles', '--stack', 'calls-stack', '--json']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(JSON.parse(result.stdout)).toEqual([{ scope: 'all', calls: 2, p50_secs: 30 }]);
    const start = fake.requests.find((r) => r.target === 'AmazonAthena.StartQueryExecution');
    expect(start?.body).toMatchObject({ QueryString: NAMED_QUERIES.find((q) => q.name === 'duration_percentiles')!.athena, WorkGroup: 'calls-wg', QueryExecutionContext: { Database: 'calls_db' } });
    const text = await calls(['sql', 'SELECT 1', '--stack', 'calls-stack']);
    expect(text.stdout).toMatch(/\(1 row, 2\.0 KB scanned\)\n$/);
  });

  it('says why a query failed on Athena in one line, and names a stack that is not there', async () => {
    const failed = await calls(['sql', 'SELECT nope FROM calls', '--stack', 'calls-stack']);
    expect([failed.code, failed.stderr]).toEqual([1, "Query failed on Athena (workgroup calls-wg): COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved or requester is not authorized to access requested resources\n"]);
    const missing = await calls(['sql', 'SELECT 1', '--stack', 'Nope']);
    expect([missing.code, missing.stderr]).toEqual([1, 'Could not read calls from stack Nope: ValidationError: Stack with id Nope does not exist\n']);
  });
});

describe('calls stats --engine', () => {
  it('duckdb: the stats of the local rows, printed as calls stats prints the items\' stats', async () => {
    const json = await calls(['stats', '--engine', 'duckdb', '--batch', 'btcal_1', '--json']);
    expect([json.code, json.stderr]).toEqual([0, '']);
    const items = ITEMS.filter((item) => item.batch_call_id === 'btcal_1').sort(byNewestFirst);
    expect(json.stdout).toBe(toJson([{ group: 'campaign btcal_1', stats: computeStats(items, { campaign: true }) }]));
    const text = await calls(['stats', '--engine', 'duckdb', '--since', '2025-12-01']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(terminalText(formatStats('all agents', computeStats(ITEMS.filter((item) => (item.start_time_unix_secs as number) >= at('2025-12-01T00:00:00Z')).sort(byNewestFirst))), 'keep'));
  });

  it('duckdb --by-agent: the very output stats --by-agent prints over the items, in JSON, CSV and text', async () => {
    // The same calls as items in the local table too, for the command that reads them.
    for (const item of ITEMS) await emulators.dynamodb.send(new PutItemCommand({ TableName: LOCAL_TABLE_NAME, Item: asStoredItem(item) }));
    const json = await calls(['stats', '--by-agent', '--engine', 'duckdb', '--json']);
    expect([json.code, json.stderr]).toEqual([0, '']);
    // agent_a's name is its newest named call's (conv_1's: conv_2 has none), in its label.
    const agents = statsByAgent([...ITEMS].sort(byNewestFirst));
    expect(JSON.parse(json.stdout).map((g: { group: string }) => g.group)).toEqual([`${ITEMS[0].agent_name} (agent_a)`, 'agent_b']);
    expect(json.stdout).toBe(toJson(agents.map((a) => ({ group: a.agent_name ? `${a.agent_name} (${a.agent_id})` : a.agent_id, stats: a.stats }))));
    const printed = new Map<string, string>();
    for (const format of [['--json'], ['--csv'], [], ['--batch', 'btcal_1', '--csv'], ['--since', '2025-12-01']]) {
      const [items, engine] = [await calls(['stats', '--by-agent', ...format]), await calls(['stats', '--by-agent', '--engine', 'duckdb', ...format])];
      expect([engine.code, engine.stderr]).toEqual([0, '']);
      expect(engine.stdout).toBe(items.stdout);
      printed.set(format.join(' '), engine.stdout);
    }
    expect(printed.get('--csv')!.split('\n').slice(1, 3).map((row) => row.split(',')[1])).toEqual(['agent_a', 'agent_b']);
  });

  it('athena: its queries in the stack\'s workgroup; refusals before anything is read', async () => {
    fake.requests.splice(0);
    const result = await calls(['stats', '--engine', 'athena', '--stack', 'calls-stack', '--agent', 'agent_a', '--json']);
    expect(result.code).toBe(0);
    const starts = fake.requests.filter((r) => r.target === 'AmazonAthena.StartQueryExecution').map((r) => r.body);
    const queries = statsQueries({ agentId: 'agent_a' });
    expect(starts).toEqual([
      expect.objectContaining({ QueryString: queries.totals, WorkGroup: 'calls-wg' }),
      expect.objectContaining({ QueryString: queries.groups, WorkGroup: 'calls-wg' }),
    ]);
    fake.requests.splice(0);
    expect((await calls(['stats', '--engine', 'athena', '--stack', 'calls-stack', '--by-agent', '--since', '2025-11-01', '--json'])).code).toBe(0);
    const byAgent = statsQueries({ since: at('2025-11-01T00:00:00Z') }, { byAgent: true });
    expect(fake.requests.filter((r) => r.target === 'AmazonAthena.StartQueryExecution').map((r) => r.body)).toEqual([
      expect.objectContaining({ QueryString: byAgent.totals, WorkGroup: 'calls-wg' }),
      expect.objectContaining({ QueryString: byAgent.groups, WorkGroup: 'calls-wg' }),
    ]);
    for (const [args, message] of [
      [['stats', '--engine', 'athena'], "--engine athena runs in a deployed stack's workgroup: pass --stack NAME."],
      [['stats', '--engine', 'spark'], "--engine takes athena (with --stack) or duckdb, not 'spark'; without --engine stats reads the items from the table."],
      [['list', '--engine', 'duckdb'], 'list does not take --engine (stats does).'],
    ] as const) {
      const refused = await calls([...args]);
      expect([refused.code, refused.stderr.split('\n')[0]]).toEqual([2, message]);
    }
  });
});
