import { S3Client } from '@aws-sdk/client-s3';
import { parseCommandLine, runCli, terminalProgress, UsageError } from '../lib/cli';
import { formatCallDetail } from '../lib/calls/call-detail';
import { formatList, LIST_WIDTH_COLUMNS } from '../lib/calls/call-list';
import { LIST_COLUMNS, toCallJson, toCsv, toJson, toListRow } from '../lib/calls/calls-format';
import { findCall, findCalls, narrows, readTranscriptEvent, type CallFilter } from '../lib/calls/calls-query';
import { computeStats, statsByAgent, type AgentStats, type CallStats } from '../lib/calls/calls-stats';
import { withFailureKind } from '../lib/calls/failure-kind';
import { formatStats, statsColumns, toStatsRow } from '../lib/calls/stats-format';
import { describeTargetOptions, explainReadError, resolveTarget, type CallsTarget } from '../lib/calls/calls-target';
import { parseTimeRange } from '../lib/calls/time-bounds';
import { rebuildCalls, type RebuildOptions } from '../lib/calls/rebuild';
import { fillMonthKeys } from '../lib/calls/month-keys';
import { exportRows } from '../lib/calls/export-rows';
import { padColumns, terminalText } from '../lib/terminal-text';
import { NAMED_QUERIES, namedQuery, type NamedQuery } from '../lib/calls/sql/named-queries';
import { formatBytes, formatTable, resultCsv, resultJson, SqlQueryError, type SqlResult } from '../lib/calls/sql/sql-result';
import type { RunSql } from '../lib/calls/sql/stats-sql';

const USAGE = `Usage: npm run calls -- <list | show <id> | stats | rebuild | sql "<query>" | export> [options]

  list     calls, newest first      --agent ID  --batch ID  --number +1555...  --since WHEN  --until WHEN  --failed  --limit N
  show     one call: metadata, campaign, cost and charging, errors, analysis, turns and tools, data collection
           and evaluation with rationales, transcript, where the audio is;
           <id> is a conversation id, or the short id list prints (the id's last characters); with list's
           filters (--agent, --batch, --number, --since, --until, --failed) it is looked for among those calls
  stats    calls, answered, not connected, failed conversations, duration (total, average, p50, p90), cost in
           credits and USD, success rate, channels, initiation sources, tool error rate, evaluation pass rate
           per criterion, how calls ended, top numbers, data collected
           (same filters; --by-agent for one block per agent; --batch adds the campaign's recipients reached)
           --engine athena (with --stack): computed on Athena in the stack's workgroup over the analytics rows;
           --engine duckdb: on DuckDB over the rows in the bucket (local, --bucket's or --stack's); the same
           output, --by-agent included (all agents in the same two queries); without --engine the items are
           read from the table (percentiles exact by nearest rank in all)
  rebuild  every call's item re-derived from what S3 keeps, through the webhook's own mapping and guards:
           fills what items stored by earlier versions lack, never overwrites newer data
           --since WHEN  --until WHEN (when delivered)  --dry-run  --retention-days N (the stack's, if set)
           --keys-only: only give items the by_month key of their start time, where they lack it or have another
                        (items stored before the index; reads ids, start times and months, no archive)
  sql      SQL over every call, one row each in the table calls (README: SQL over every call): on DuckDB
           over the rows in the local bucket (or --bucket NAME's), or with --stack NAME on its Athena workgroup
           --named: the README's questions as named queries; --named NAME runs one
  export   the analytics row of every call already stored (as the stream function writes them), so rows
           start complete when analytics is turned on later, or after rows were lost; --dry-run counts them;
           --prune also removes rows no item has (a day its call left, an item gone)

  --batch ID          one outbound campaign (ElevenLabs' batch call id)
  --number N          with or without +: a full number (8-15 digits) is found however it was stored
  --failed            calls that never connected and conversations that failed (failure_kind says which)

  --json              machine-readable output (list, show, stats and sql); --csv for list, stats and sql
  WHEN                2025-11-24, 2025-11-24T16:00Z, or relative: 7d, 24h, 30m
  Where:              the local emulators of npm start (default), or --stack NAME / --table NAME [--bucket NAME]
                      for a deployed stack, with your usual AWS credentials and region.`;

function progress(pages: number, items: number) {
  if (pages > 1) terminalProgress.update(`reading page ${pages}, ${items} calls…`);
}

/** Text for a person: stored values are already made printable; this is the last guard. */
function print(text: string): void {
  process.stdout.write(terminalText(text, 'keep'));
}

/** The options each command takes, beyond --help and where to read (--stack, --table, --bucket). */
const FILTERS = ['agent', 'batch', 'number', 'since', 'until', 'failed'];
const COMMAND_OPTIONS: Record<string, string[]> = {
  list: [...FILTERS, 'limit', 'json', 'csv'],
  show: [...FILTERS, 'json'],
  stats: [...FILTERS, 'by-agent', 'engine', 'json', 'csv'],
  rebuild: ['since', 'until', 'dry-run', 'retention-days', 'keys-only'],
  export: ['dry-run', 'prune'],
  sql: ['named', 'json', 'csv'],
};
const WHERE_OPTIONS = ['stack', 'table', 'bucket', 'help'];

/** @throws UsageError naming an option the command does not take (it would otherwise be ignored) */
function checkOptions(command: string, given: Record<string, unknown>): void {
  if (command === 'show' && given.csv) throw new UsageError('show prints --json, not --csv.');
  // A command missing from COMMAND_OPTIONS takes no option but where to read: add it there.
  const takes = COMMAND_OPTIONS[command] ?? [];
  const other = Object.keys(given).find((name) => given[name] !== undefined && !takes.includes(name) && !WHERE_OPTIONS.includes(name));
  if (!other) return;
  const takers = Object.keys(COMMAND_OPTIONS).filter((c) => COMMAND_OPTIONS[c].includes(other));
  throw new UsageError(`${command} does not take --${other}${takers.length ? ` (${takers.join(' and ')} does)` : ''}.`);
}

/** The call `show` names: `filter` narrows an ending to the calls list was asked for (list's short ids are unique among them). */
async function show(target: CallsTarget, idOrEnding: string, filter: CallFilter, json: boolean): Promise<number> {
  const found = await findCall(target, idOrEnding, filter);
  if (!('item' in found)) {
    const asked = terminalText(idOrEnding);
    const among = narrows(filter) ? ' among the calls these filters match' : '';
    const { candidates } = found;
    if (candidates.length === 0) {
      console.error(`No call ${asked}${among} in ${target.description}: no conversation id is or ends with it.`);
      return 1;
    }
    const how = narrows(filter)
      ? 'give more of the id (the whole ids are below, and in list --json).'
      : 'give more of the id (the whole ids are below, and in list --json), or the filters list was given (--agent, --number, ...) to look among those calls only.';
    const more = candidates.length > 10 ? [`  ... and ${candidates.length - 10} more`] : [];
    console.error([`${candidates.length} calls end with ${asked}${among}: ${how}`, ...candidates.slice(0, 10).map((id) => `  ${terminalText(id)}`), ...more].join('\n'));
    return 1;
  }
  const { item } = found;
  const transcript = item.transcript_format === 'json' && item.transcript_s3_key ? await readTranscriptEvent(target, item.transcript_s3_key) : undefined;
  if (json) process.stdout.write(toCallJson(withFailureKind(item), transcript?.text));
  else print(formatCallDetail(item, target.bucketName, transcript?.event));
  return 0;
}

/** Gives items from before the by_month index its key, and says how many lacked it. */
async function fillKeys(target: CallsTarget, dryRun: boolean): Promise<number> {
  const count = await fillMonthKeys(target, { dryRun });
  console.log(`${count} items in ${target.description} ${dryRun ? 'lack' : 'given'} the calls list's month key (start_month) of their start time`);
  return 0;
}

/** Writes every stored call's analytics row, and says how many. */
async function exportCalls(target: CallsTarget, dryRun: boolean, prune: boolean): Promise<number> {
  if (!target.bucketName) {
    console.error('export writes to the bucket: pass --bucket with --table (or --stack).');
    return 2;
  }
  const report = await exportRows(target, { dryRun, prune, onProgress: (r) => terminalProgress.update(`${r.items} calls read, ${r.rows} rows…`) });
  terminalProgress.end();
  console.log(`${report.items} items read from ${target.description}: ${report.rows} rows ${dryRun ? 'would be written' : 'written'} under analytics/calls/ in bucket ${target.bucketName} (calls with a start time)${prune ? `; ${report.pruned} rows no item has ${dryRun ? 'would be removed' : 'removed'}` : ''}`);
  return 0;
}

/** Rebuilds the items from the bucket's archive and says what it did. */
async function rebuild(target: CallsTarget, options: Omit<RebuildOptions, 'onProgress'>): Promise<number> {
  if (!target.bucketName) {
    console.error('rebuild reads the bucket: pass --bucket with --table (or --stack).');
    return 2;
  }
  console.log(`${options.dryRun ? 'Dry run (nothing is written): reading' : 'Rebuilding'} ${target.description} from the archive in bucket ${target.bucketName}`);
  const report = await rebuildCalls({ ...target, bucketName: target.bucketName }, {
    ...options,
    onProgress: (r) => terminalProgress.update(`${r.objects} objects read, ${r.calls} calls…`),
  });
  terminalProgress.end();
  const applied = options.dryRun ? `${report.applied} would apply` : `${report.applied} applied`;
  console.log(`${report.objects} objects, ${report.updates} updates for ${report.calls} calls: ${applied}, ${report.unchanged} older than the item (unchanged), ${report.mp3Written} MP3s written, ${report.monthKeys} items ${options.dryRun ? 'lack' : 'given'} the calls list's month key of their start time, ${report.failures.length} failed`);
  for (const failure of report.failures) console.log(`  failed ${terminalText(failure)}`);
  return report.failures.length ? 1 : 0;
}

/** `sql --named`: each named query, and what it answers; --json gives their texts for both engines. */
function listNamedQueries(json: boolean): number {
  if (json) {
    process.stdout.write(toJson(NAMED_QUERIES));
    return 0;
  }
  const width = Math.max(...NAMED_QUERIES.map((q) => q.name.length));
  const lines = NAMED_QUERIES.map((q) => `  ${padColumns(q.name, width)}  ${q.description}`);
  print(`Named queries (npm run calls -- sql --named NAME runs one; --named --json prints their SQL for each engine):\n${lines.join('\n')}\n`);
  return 0;
}

/** Why reading the rows or reaching Athena failed, for a person; the query's own errors are said apart. */
function explainSqlError(error: unknown, where: string, local: boolean, athena: boolean): string {
  const { name, message } = error as { name?: string; message?: string };
  if (!local && /AccessDenied|Forbidden/.test(name ?? '')) {
    const profile = process.env.AWS_PROFILE ? ` (AWS_PROFILE=${process.env.AWS_PROFILE})` : '';
    const needs = athena
      ? 'Running SQL on Athena takes the managed policy the stack outputs as SqlReaderPolicyArn (README: SQL over every call).'
      : 'Reading the rows takes s3:ListBucket on the bucket (prefix analytics/calls/) and s3:GetObject on analytics/calls/*.';
    return `Not allowed to query ${where}${profile}: ${String(message ?? error).replace(/\.$/, '')}.\n${needs}`;
  }
  return explainReadError(error, where, local);
}

/**
 * `sql "<query>"` and `sql --named [NAME]`: on DuckDB over the analytics rows of the local bucket
 * (or of --bucket), or with --stack on Athena in the stack's workgroup. The engines are loaded only
 * here: the other commands start without them.
 */
async function sql(values: { named?: boolean; json?: boolean; csv?: boolean; stack?: string; table?: string; bucket?: string }, args: string[]): Promise<number> {
  if (values.json && values.csv) throw new UsageError('sql prints --json or --csv, not both.');
  if (args.length > 1) throw new UsageError('sql takes the query as one argument: put it in quotes (npm run calls -- sql "SELECT count(*) AS calls FROM calls").');
  if (values.named && args.length === 0) return listNamedQueries(values.json ?? false);
  let named: NamedQuery | undefined;
  if (values.named) {
    named = namedQuery(args[0]);
    if (!named) throw new UsageError(`No named query '${args[0]}': ${NAMED_QUERIES.map((q) => q.name).join(', ')}.`);
  }
  if (args.length === 0) throw new UsageError('sql needs a query, in quotes (npm run calls -- sql "SELECT count(*) AS calls FROM calls"), or --named to list the named queries.');
  if (values.table && !values.bucket && !values.stack) throw new UsageError('sql reads the rows in the bucket: pass --bucket with --table (or --stack to run on Athena).');
  const athena = values.stack !== undefined;
  const local = !athena && values.bucket === undefined;
  let where = athena ? `stack ${values.stack}` : local ? describeTargetOptions({}) : `bucket ${values.bucket}`;
  let engine = athena ? 'Athena' : 'DuckDB';
  const clients: { destroy(): void }[] = [];
  try {
    let result: SqlResult;
    if (athena) {
      const athenaSession = await openAthena(values.stack!, clients);
      ({ engine, where } = athenaSession);
      result = await athenaSession.run(named?.athena ?? args[0]);
    } else {
      let s3: S3Client;
      let bucket: string;
      if (local) {
        const target = await resolveTarget({});
        clients.push(target.dynamodb);
        [s3, bucket] = [target.s3, target.bucketName!];
      } else {
        [s3, bucket] = [new S3Client({}), values.bucket!];
      }
      clients.push(s3);
      const db = await openDuckDb(s3, bucket, 'the table calls is empty');
      try {
        result = await db.query(named?.duckdb ?? args[0]);
      } finally {
        db.close();
      }
    }
    terminalProgress.end();
    if (values.json) process.stdout.write(resultJson(result));
    else if (values.csv) process.stdout.write(resultCsv(result));
    else print(formatTable(result));
    return 0;
  } catch (error) {
    terminalProgress.end();
    if (error instanceof SqlQueryError) console.error(terminalText(`Query failed on ${engine}: ${error.message}`));
    else if ((error as Error).name === 'AthenaSetupError') console.error(terminalText((error as Error).message));
    else console.error(terminalText(explainSqlError(error, where, local, athena), 'keep'));
    return 1;
  } finally {
    for (const client of clients) client.destroy();
  }
}

type StatsGroup = { group: string; agent_id: string | undefined; stats: CallStats };

/** The name of the one block stats prints without --by-agent. */
const allGroup = (batch: string | undefined) => (batch === undefined ? 'all agents' : `campaign ${batch}`);

/** The blocks of --by-agent, each named by its agent's name and id (the id alone without a name). */
const agentGroups = (agents: readonly AgentStats[]): StatsGroup[] =>
  agents.map((g) => ({ group: g.agent_name ? `${g.agent_name} (${g.agent_id})` : g.agent_id, agent_id: g.agent_id, stats: g.stats }));

/** The stats as text, --json or --csv: the same whichever engine computed them. */
function printStats(groups: StatsGroup[], values: { json?: boolean; csv?: boolean; 'by-agent'?: boolean }): void {
  if (values.json) process.stdout.write(toJson(groups.map(({ group, stats }) => ({ group, stats }))));
  else if (values.csv) process.stdout.write(toCsv(statsColumns(values['by-agent'] ?? false), groups.map((g) => toStatsRow(g.group, g.stats, g.agent_id))));
  else print(groups.length > 0 ? groups.map((g) => formatStats(g.group, g.stats)).join('\n') : 'No calls match.\n');
}

const ENGINES = ['athena', 'duckdb'];

/**
 * `stats --engine athena|duckdb`: the stats computed in SQL over the analytics rows (stats-sql.ts),
 * on Athena in the stack's workgroup, or on DuckDB over the rows in the bucket; printed as the
 * items' stats are.
 */
async function statsOnEngine(values: { engine?: string; stack?: string; table?: string; bucket?: string; batch?: string; json?: boolean; csv?: boolean; 'by-agent'?: boolean }, filter: CallFilter): Promise<number> {
  const engineName = values.engine!;
  if (!ENGINES.includes(engineName)) throw new UsageError(`--engine takes athena (with --stack) or duckdb, not '${engineName}'; without --engine stats reads the items from the table.`);
  if (engineName === 'athena' && values.stack === undefined) throw new UsageError('--engine athena runs in a deployed stack\'s workgroup: pass --stack NAME.');
  if (engineName === 'athena' && (values.table !== undefined || values.bucket !== undefined)) throw new UsageError('--engine athena reads the stack\'s own table of rows: pass --stack NAME only.');
  const { statsByAgentFromSql, statsFromSql } = await import('../lib/calls/sql/stats-sql');
  const options = { campaign: values.batch !== undefined };
  // Every agent in the same two queries: Athena scans the days once per query, not once per agent.
  const compute = async (run: RunSql): Promise<StatsGroup[]> =>
    values['by-agent'] ? agentGroups(await statsByAgentFromSql(run, filter, options)) : [{ group: allGroup(values.batch), agent_id: undefined, stats: await statsFromSql(run, filter, options) }];
  const athena = engineName === 'athena';
  let where = athena ? `stack ${values.stack}` : describeTargetOptions(values);
  let engine = athena ? 'Athena' : 'DuckDB';
  let local = false;
  const clients: { destroy(): void }[] = [];
  try {
    let groups: StatsGroup[];
    if (athena) {
      const athenaSession = await openAthena(values.stack!, clients);
      ({ engine, where } = athenaSession);
      let scanned = 0;
      groups = await compute(async (text) => {
        const result = await athenaSession.run(text);
        scanned += result.scannedBytes ?? 0;
        return result;
      });
      terminalProgress.end();
      if (!values.json && !values.csv) console.error(`Computed on ${engine}: ${formatBytes(scanned)} scanned.`);
    } else {
      const target = await resolveTarget(values);
      local = target.local;
      clients.push(target.dynamodb, target.s3);
      where = target.bucketName ? `bucket ${target.bucketName}` : target.description;
      if (!target.bucketName) throw new UsageError('--engine duckdb reads the rows in the bucket: pass --bucket with --table (or --stack).');
      const db = await openDuckDb(target.s3, target.bucketName, 'npm run calls -- export writes them');
      try {
        groups = await compute((text) => db.query(text));
      } finally {
        db.close();
      }
    }
    printStats(groups, values);
    return 0;
  } catch (error) {
    terminalProgress.end();
    if (error instanceof UsageError) throw error;
    if (error instanceof SqlQueryError) console.error(terminalText(`Stats query failed on ${engine}: ${error.message}`));
    else if ((error as Error).name === 'AthenaSetupError') console.error(terminalText((error as Error).message));
    else console.error(terminalText(explainSqlError(error, where, local, athena), 'keep'));
    return 1;
  } finally {
    for (const client of clients) client.destroy();
  }
}

/**
 * Athena for --stack: the stack's workgroup and database, and a runner showing progress; Ctrl-C
 * stops the query on Athena rather than leaving it scanning. What it opens is added to `clients`,
 * whose destroy() also stops listening for Ctrl-C.
 */
async function openAthena(stack: string, clients: { destroy(): void }[]) {
  const [{ AthenaClient }, { athenaContextOf, runAthenaSql }] = await Promise.all([import('@aws-sdk/client-athena'), import('../lib/calls/sql/athena-engine')]);
  const context = await athenaContextOf(stack);
  const client = new AthenaClient({});
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  clients.push({ destroy: () => (process.off('SIGINT', onInterrupt), client.destroy()) });
  return {
    engine: `Athena (workgroup ${context.workGroup})`,
    where: `stack ${stack} (workgroup ${context.workGroup}, database ${context.database})`,
    run: (text: string) => runAthenaSql(client, context, text, {
      signal: interrupt.signal,
      onState: (state, ms) => terminalProgress.update(`${state.toLowerCase()} on Athena, ${Math.round(ms / 1000)}s… (Ctrl-C stops it)`),
    }),
  };
}

/** DuckDB over the call rows in a bucket, with progress, and a note (`whenEmpty`) when there are none. */
async function openDuckDb(s3: S3Client, bucket: string, whenEmpty: string) {
  const { openCallsDuckDb } = await import('../lib/calls/sql/duckdb-engine');
  const db = await openCallsDuckDb(s3, bucket, (rows) => terminalProgress.update(`reading rows: ${rows}…`));
  terminalProgress.end();
  if (db.rowCount === 0) console.error(`No call rows under analytics/calls/ in bucket ${terminalText(bucket)} yet: ${whenEmpty}.`);
  return db;
}

async function main(): Promise<number> {
  const { values, positionals } = parseCommandLine({
    allowPositionals: true,
    options: {
      agent: { type: 'string' },
      batch: { type: 'string' },
      number: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      failed: { type: 'boolean' },
      limit: { type: 'string' },
      'by-agent': { type: 'boolean' },
      engine: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'keys-only': { type: 'boolean' },
      prune: { type: 'boolean' },
      named: { type: 'boolean' },
      'retention-days': { type: 'string' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
      stack: { type: 'string' },
      table: { type: 'string' },
      bucket: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, conversationId] = positionals;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!['list', 'show', 'stats', 'rebuild', 'sql', 'export'].includes(command ?? '')) throw new UsageError(command ? `Unknown command '${command}': list, show, stats, rebuild, sql or export.` : 'Which command: list, show, stats, rebuild, sql or export?');
  if (command === 'show' && !conversationId) throw new UsageError('show needs the id of a call (the short id list prints, or the whole conversation id).');
  checkOptions(command, values);
  if (command === 'sql') return sql(values, positionals.slice(1));
  // Everything typed is checked before anything is read.
  const filter: CallFilter = { agentId: values.agent, batchId: values.batch, number: values.number, failedOnly: values.failed, ...parseTimeRange(values.since, values.until, new Date()) };
  if (command === 'stats' && values.engine !== undefined) return statsOnEngine(values, filter);
  const limit = command === 'list' && values.limit !== undefined ? Number(values.limit) : undefined;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError('--limit takes a whole number above 0.');
  const retentionDays = values['retention-days'] !== undefined ? Number(values['retention-days']) : undefined;
  if (retentionDays !== undefined && !(Number.isInteger(retentionDays) && retentionDays > 0)) throw new UsageError('--retention-days takes a whole number of days above 0.');
  let target: CallsTarget | undefined;
  try {
    target = await resolveTarget(values);
    if (command === 'rebuild' && values['keys-only']) return await fillKeys(target, values['dry-run'] ?? false);
    if (command === 'export') return await exportCalls(target, values['dry-run'] ?? false, values.prune ?? false);
    if (command === 'rebuild') return await rebuild(target, { sinceUnixSecs: filter.since, untilUnixSecs: filter.until, dryRun: values['dry-run'], retentionDays });
    if (command === 'show') return await show(target, conversationId, filter, values.json ?? false);
    const items = await findCalls(target, filter, progress, limit);
    terminalProgress.end();
    if (command === 'list') {
      if (values.json) process.stdout.write(toJson(items.map(withFailureKind)));
      else if (values.csv) process.stdout.write(toCsv(LIST_COLUMNS, items.map(toListRow)));
      else print(formatList(items, Math.max(LIST_WIDTH_COLUMNS, (process.stdout.isTTY && process.stdout.columns) || 0)));
      return 0;
    }
    const options = { campaign: values.batch !== undefined };
    const groups = values['by-agent'] ? agentGroups(statsByAgent(items, options)) : [{ group: allGroup(values.batch), agent_id: undefined, stats: computeStats(items, options) }];
    printStats(groups, values);
    return 0;
  } catch (error) {
    terminalProgress.end();
    console.error(terminalText(explainReadError(error, target?.description ?? describeTargetOptions(values), target?.local ?? !(values.stack || values.table)), 'keep'));
    return 1;
  } finally {
    target?.dynamodb.destroy();
    target?.s3.destroy();
  }
}

runCli(main, USAGE);
