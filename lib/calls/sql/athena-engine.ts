import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type ColumnInfo,
  type Datum,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { fromBigInt, oneLine, SqlQueryError, uniqueNames, type SqlResult, type SqlValue } from './sql-result';

/*
 * SQL on Amazon Athena, for a deployed stack (`calls sql --stack NAME`): the query runs in the
 * stack's workgroup (which enforces where results go, their encryption and a scan limit) against
 * its Glue database, where the table `calls` reads the rows under `analytics/calls/`. Start, poll
 * with backoff until it ends, then read the results page by page, typed by their column types.
 */

/** The stack outputs naming the workgroup and the database (the CDK construct declares them). */
export const ATHENA_OUTPUTS = { workGroup: 'AthenaWorkGroup', database: 'GlueDatabase' } as const;

export interface AthenaContext {
  readonly workGroup: string;
  readonly database: string;
}

/** The stack cannot run SQL: not this project's, or deployed without analytics. */
export class AthenaSetupError extends Error {
  override readonly name = 'AthenaSetupError';
}

/** The workgroup and database a deployed stack printed as outputs. */
export async function athenaContextOf(stackName: string, client?: CloudFormationClient): Promise<AthenaContext> {
  const cloudformation = client ?? new CloudFormationClient({});
  let Stacks;
  try {
    ({ Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName })));
  } finally {
    if (!client) cloudformation.destroy();
  }
  const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const [workGroup, database] = [outputs[ATHENA_OUTPUTS.workGroup], outputs[ATHENA_OUTPUTS.database]];
  if (!workGroup || !database) {
    const missing = [!workGroup && ATHENA_OUTPUTS.workGroup, !database && ATHENA_OUTPUTS.database].filter(Boolean).join(' and ');
    const ours = outputs.CallsTableName ? 'deploy this version with analytics on (the analytics prop, on by default)' : "is it this project's stack?";
    throw new AthenaSetupError(`Stack ${stackName} has no ${missing} output: ${ours}`);
  }
  return { workGroup, database };
}

export interface AthenaRunOptions {
  /** The first wait between polls; each next one is twice as long, up to maxPollMs. @default 250 */
  readonly firstPollMs?: number;
  /** @default 2000 */
  readonly maxPollMs?: number;
  /** Rows asked for per page of results (Athena gives at most 1,000). @default 1000 */
  readonly pageSize?: number;
  /** Aborting stops the query on Athena (StopQueryExecution), so nothing keeps scanning after Ctrl-C. */
  readonly signal?: AbortSignal;
  /** Each state seen while waiting: QUEUED, RUNNING. */
  readonly onState?: (state: string, elapsedMs: number) => void;
  /** How to wait between polls (ended early by an abort). @default a timer */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A value as Athena sends it (text, absent for NULL) as its column's type says. */
export function fromAthena(type: string | undefined, datum: Datum | undefined): SqlValue {
  const text = datum?.VarCharValue;
  if (text === undefined) return null;
  switch ((type ?? '').toLowerCase()) {
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int':
    case 'bigint':
      return /^-?\d+$/.test(text) ? fromBigInt(BigInt(text)) : text;
    case 'double':
    case 'float':
    case 'real':
    case 'decimal': {
      const number = Number(text);
      return text.trim() !== '' && Number.isFinite(number) ? number : text;
    }
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    default:
      // varchar, char, timestamp, date, time, json, and arrays, maps and rows (as Athena writes them: [a, b], {k=v}).
      return text;
  }
}

const wait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Errors Athena gives for the query itself (its text, a name it does not know), rather than for access or the network. */
const QUERY_ERRORS = new Set(['InvalidRequestException', 'ResourceNotFoundException', 'MetadataException']);

/**
 * Runs `sql` on Athena in `context` and gives its rows.
 * @throws SqlQueryError saying in one line why the query failed (Athena's StateChangeReason), was
 *   cancelled or was refused; errors of access and the network as the SDK throws them
 */
export async function runAthenaSql(athena: AthenaClient, context: AthenaContext, sql: string, options: AthenaRunOptions = {}): Promise<SqlResult> {
  if (sql.trim() === '') throw new SqlQueryError('no SQL statement given');
  const { firstPollMs = 250, maxPollMs = 2000, pageSize = 1000, signal, onState, sleep = wait } = options;
  let id: string | undefined;
  try {
    ({ QueryExecutionId: id } = await athena.send(new StartQueryExecutionCommand({ QueryString: sql, WorkGroup: context.workGroup, QueryExecutionContext: { Database: context.database } })));
  } catch (error) {
    if (QUERY_ERRORS.has((error as Error).name)) throw new SqlQueryError((error as Error).message);
    throw error;
  }
  if (!id) throw new Error('Athena started the query without giving its id');
  const execution = await waitForQuery(athena, id, { firstPollMs, maxPollMs, signal, onState, sleep });
  const result = await readResults(athena, id, execution.StatementType, pageSize);
  const scanned = execution.Statistics?.DataScannedInBytes;
  return scanned === undefined ? result : { ...result, scannedBytes: scanned };
}

/** Polls until the query ends (backing off), stopping it on Athena when `signal` aborts. */
async function waitForQuery(athena: AthenaClient, id: string, options: Pick<AthenaRunOptions, 'signal' | 'onState'> & { firstPollMs: number; maxPollMs: number; sleep: NonNullable<AthenaRunOptions['sleep']> }): Promise<QueryExecution> {
  const started = Date.now();
  let delay = options.firstPollMs;
  for (;;) {
    if (options.signal?.aborted) {
      await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
      throw new SqlQueryError(`interrupted: query ${id} stopped on Athena`);
    }
    const { QueryExecution: execution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const state = execution?.Status?.State;
    const reason = execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage;
    if (state === 'SUCCEEDED') return execution!;
    if (state === 'FAILED') throw new SqlQueryError(reason ?? `query ${id} failed, and Athena gave no reason`);
    if (state === 'CANCELLED') throw new SqlQueryError(`query ${id} was cancelled${reason ? `: ${oneLine(reason)}` : ''}`);
    options.onState?.(state ?? 'QUEUED', Date.now() - started);
    await options.sleep(delay, options.signal);
    delay = Math.min(options.maxPollMs, delay * 2);
  }
}

/** Every page of the results; the first row of a SELECT's first page is its header, and skipped. */
async function readResults(athena: AthenaClient, id: string, statementType: string | undefined, pageSize: number): Promise<SqlResult> {
  let info: ColumnInfo[] | undefined;
  let columns: string[] = [];
  const rows: Record<string, SqlValue>[] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: pageSize, NextToken: token }));
    if (!info) {
      info = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      columns = uniqueNames(info.map((c, i) => c.Label ?? c.Name ?? `_col${i}`));
    }
    let data = page.ResultSet?.Rows ?? [];
    if (first && data.length > 0) {
      const names = info.map((c) => c.Label ?? c.Name);
      const isHeader = statementType === 'DML' || (statementType === undefined && data[0].Data?.every((d, i) => d.VarCharValue === names[i]));
      if (isHeader) data = data.slice(1);
    }
    first = false;
    for (const row of data) rows.push(Object.fromEntries(info.map((column, i) => [columns[i], fromAthena(column.Type, row.Data?.[i])])));
    token = page.NextToken;
  } while (token);
  return { columns, rows };
}
