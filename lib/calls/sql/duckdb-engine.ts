import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  DuckDBArrayValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampValue,
  type DuckDBConnection,
  type DuckDBValue,
} from '@duckdb/node-api';
import { CALL_COLUMNS, CALL_ROWS_PREFIX, PARTITION_COLUMN, sqlTimestamp, type ColumnType } from '../../../lambda/analytics/call-row';
import { fromBigInt, fromDouble, SqlQueryError, uniqueNames, type SqlResult, type SqlValue } from './sql-result';

/*
 * SQL on DuckDB (embedded, in this process) over the analytics rows of the local bucket, or of a
 * bucket named with --bucket: the same JSON lines Athena reads in AWS. DuckDB's httpfs is not
 * bundled (and nothing is downloaded), so the rows are fetched with the S3 API into a temporary
 * folder laid out as in the bucket (`start_date=YYYY-MM-DD/…json`), read into a table `calls` whose
 * columns are typed from CALL_COLUMNS (nothing auto-detected), and the folder is removed.
 */

/** DuckDB's type for each column type of the schema. */
export const DUCKDB_TYPES: Record<ColumnType, string> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  'array<string>': 'VARCHAR[]',
  'map<string,string>': 'MAP(VARCHAR, VARCHAR)',
  json: 'VARCHAR',
};

/** The local table's columns: every column of the schema, then the partition (from the object's key). */
export const DUCKDB_COLUMNS: readonly { name: string; type: string }[] = [
  ...CALL_COLUMNS.map((column) => ({ name: column.name, type: DUCKDB_TYPES[column.type] })),
  { name: PARTITION_COLUMN.name, type: 'VARCHAR' },
];

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** A row's key as the stream function writes it: its day and its file. Anything else under the prefix is not a row. */
const ROW_KEY = new RegExp(`^${CALL_ROWS_PREFIX}${PARTITION_COLUMN.name}=(\\d{4}-\\d{2}-\\d{2})/[^/]+\\.json$`);

/** How many objects are fetched at once. */
const CONCURRENCY = 16;

/**
 * Copies every row object under `analytics/calls/` of `bucket` into `dir`, as
 * `start_date=DAY/N.json` (the object's own name is not needed, and not trusted as a file name).
 * @returns how many rows were copied
 */
export async function downloadCallRows(s3: S3Client, bucket: string, dir: string, onProgress?: (rows: number) => void): Promise<number> {
  const keys: { key: string; day: string }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: CALL_ROWS_PREFIX, ContinuationToken: token }));
    for (const { Key } of page.Contents ?? []) {
      const day = Key && ROW_KEY.exec(Key)?.[1];
      if (Key && day) keys.push({ key: Key, day });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const days = new Set(keys.map((k) => k.day));
  for (const day of days) await mkdir(join(dir, `${PARTITION_COLUMN.name}=${day}`), { recursive: true });
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < keys.length) {
      const index = next++;
      const { key, day } = keys[index];
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = await object.Body!.transformToByteArray();
      await writeFile(join(dir, `${PARTITION_COLUMN.name}=${day}`, `${index}.json`), body);
      onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, keys.length) }, worker));
  return keys.length;
}

/** A DuckDB value as plain JSON: counts as numbers while exact, timestamps as Athena prints them, maps as objects. */
export function fromDuckDb(value: DuckDBValue): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return fromDouble(value);
  if (typeof value === 'bigint') return fromBigInt(value);
  if (value instanceof DuckDBDecimalValue) return fromDouble(value.toDouble());
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(fromDuckDb);
  // Object.fromEntries defines each key, so a stored key such as __proto__ is a key like any other.
  if (value instanceof DuckDBMapValue) return Object.fromEntries(value.entries.map((e) => [String(fromDuckDb(e.key)), fromDuckDb(e.value)]));
  if (value instanceof DuckDBStructValue) return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, fromDuckDb(v)]));
  if (value instanceof DuckDBTimestampValue && value.isFinite && value.micros % 1000n === 0n) {
    const millis = Number(value.micros / 1000n);
    if (Math.abs(millis) <= 8.64e15) return sqlTimestamp(millis);
  }
  return String(value);
}

/** The `calls` table, empty, with the columns typed from the schema. */
function createTable(): string {
  return `CREATE TABLE calls (${DUCKDB_COLUMNS.map((c) => `${quoted(c.name)} ${c.type}`).join(', ')})`;
}

/** Reads the rows in `dir` (as downloadCallRows lays them out) into `calls`: each column parsed as its declared type. */
function insertRows(dir: string): string {
  const columns = CALL_COLUMNS.map((c) => `${literal(c.name)}: ${literal(DUCKDB_TYPES[c.type])}`).join(', ');
  const files = literal(join(dir, `${PARTITION_COLUMN.name}=*`, '*.json'));
  return `INSERT INTO calls BY NAME SELECT * FROM read_json(${files}, format = 'newline_delimited', columns = {${columns}}, hive_partitioning = true, hive_types = {${literal(PARTITION_COLUMN.name)}: 'VARCHAR'}, hive_types_autocast = false)`;
}

/** Runs `sql` (one statement or several: the last one's rows) and gives plain rows. */
async function query(connection: DuckDBConnection, sql: string): Promise<SqlResult> {
  const none = new SqlQueryError('no SQL statement given');
  if (sql.trim() === '') throw none;
  try {
    // Text with no statement (a comment, a lone `;`) fails here with no message of DuckDB's own.
    const statements = await connection.extractStatements(sql).catch((error: Error) => {
      throw error.message === 'Error in native callback' ? none : error;
    });
    if (statements.count === 0) throw none;
    let reader;
    for (let i = 0; i < statements.count; i += 1) reader = await (await statements.prepare(i)).runAndReadAll();
    const columns = uniqueNames(reader!.columnNames());
    const rows = reader!.getRows().map((values) => Object.fromEntries(values.map((value, i) => [columns[i], fromDuckDb(value)])));
    return { columns, rows };
  } catch (error) {
    if (error instanceof SqlQueryError) throw error;
    throw new SqlQueryError((error as Error).message.replace(/^Failed to extract statements: /, ''));
  }
}

/** DuckDB, in memory, holding `calls`; close() when done. */
export class CallsDuckDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** How many rows `calls` holds. */
    readonly rowCount: number,
  ) {}

  /** A database with `calls` read from the row files in `dir` (none when undefined: an empty table). */
  static async open(dir?: string, rowCount = 0): Promise<CallsDuckDb> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2', autoinstall_known_extensions: 'false' });
    const connection = await instance.connect();
    try {
      await connection.run(createTable());
      if (dir !== undefined && rowCount > 0) {
        try {
          await connection.run(insertRows(dir));
        } catch (error) {
          throw new SqlQueryError(`Could not read the analytics rows: ${(error as Error).message}`);
        }
      }
      return new CallsDuckDb(instance, connection, rowCount);
    } catch (error) {
      connection.closeSync();
      instance.closeSync();
      throw error;
    }
  }

  /** @throws SqlQueryError saying in one line why DuckDB did not run it */
  query(sql: string): Promise<SqlResult> {
    return query(this.connection, sql);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * DuckDB over the rows of `bucketName` (the local bucket by default): fetched, read into `calls`,
 * the temporary copy removed before it answers. Errors of S3 (nothing running, no access) are
 * thrown as they are; the query's own as SqlQueryError.
 */
export async function openCallsDuckDb(s3: S3Client, bucketName: string, onProgress?: (rows: number) => void): Promise<CallsDuckDb> {
  const dir = await mkdtemp(join(tmpdir(), 'calls-sql-'));
  try {
    const rows = await downloadCallRows(s3, bucketName, dir, onProgress);
    return await CallsDuckDb.open(dir, rows);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
