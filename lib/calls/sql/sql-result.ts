import { toCsv, toJson } from '../calls-format';
import { columnWidth, padColumns, terminalText } from '../../terminal-text';

/*
 * What a query gives back, the same from both engines: column names in order and rows of plain
 * JSON values (BigInt counts as numbers while exact, as text beyond), and the three ways to print it.
 */

export type SqlValue = string | number | boolean | null | SqlValue[] | { [key: string]: SqlValue };

export interface SqlResult {
  /** The result's column names in order, made unique (`calls`, `calls_2`) so rows can be objects. */
  readonly columns: string[];
  readonly rows: Record<string, SqlValue>[];
  /** Athena: the bytes the query scanned (what it is billed on). */
  readonly scannedBytes?: number;
}

/** A query the engine refused or failed: `message` is the engine's reason, on one line. */
export class SqlQueryError extends Error {
  override readonly name = 'SqlQueryError';
  constructor(reason: string) {
    super(oneLine(reason));
  }
}

/** The first line of an engine's message that says something (DuckDB adds the query, pointed at, below). */
export function oneLine(text: string): string {
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '') ?? 'no reason given';
  return line;
}

/** A 64-bit (or wider) integer as a number when exact, else as its decimal text. */
export function fromBigInt(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/** A double as JSON can hold it: NaN and the infinities as text. */
export function fromDouble(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/** Column names made unique, in order: a second `calls` becomes `calls_2`. */
export function uniqueNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    let unique = name;
    for (let n = 2; used.has(unique); n += 1) unique = `${name}_${n}`;
    used.add(unique);
    return unique;
  });
}

/** The widest a cell prints in the text table; --json and --csv keep whole values. */
export const MAX_CELL_COLUMNS = 48;

/** A number for a person: at most 6 decimals (0.666667), small ones with 6 significant digits. */
function formatNumber(value: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return String(Math.abs(value) >= 1e-4 ? Number(value.toFixed(6)) : Number(value.toPrecision(6)));
}

function cellText(value: SqlValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return formatNumber(value);
  return terminalText(value);
}

/**
 * An aligned table for a person: a header, a rule, one line per row (numbers to the right, every
 * stored value through terminalText: it may hold control characters), and how many rows.
 */
export function formatTable(result: SqlResult): string {
  const { columns, rows } = result;
  const cells = rows.map((row) => columns.map((column) => cellText(row[column] ?? null)));
  const header = columns.map((column) => terminalText(column));
  const widths = header.map((name, i) => Math.min(MAX_CELL_COLUMNS, Math.max(columnWidth(name), ...cells.map((line) => columnWidth(line[i])))));
  const numeric = columns.map((column) => rows.some((row) => typeof row[column] === 'number') && rows.every((row) => row[column] === null || typeof row[column] === 'number'));
  const line = (values: string[]) =>
    values
      .map((value, i) => {
        const padded = padColumns(value, widths[i]);
        return numeric[i] && columnWidth(value) < widths[i] ? `${' '.repeat(widths[i] - columnWidth(value))}${value}` : padded;
      })
      .join('  ')
      .trimEnd();
  const count = `${rows.length} ${rows.length === 1 ? 'row' : 'rows'}`;
  const scanned = result.scannedBytes === undefined ? '' : `, ${formatBytes(result.scannedBytes)} scanned`;
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), `(${count}${scanned})`].join('\n') + '\n';
}

/** 1.2 MB, 340 KB, 12 bytes. */
export function formatBytes(bytes: number): string {
  const units = ['KB', 'MB', 'GB', 'TB'];
  if (bytes < 1000) return `${bytes} bytes`;
  let size = bytes;
  let unit = '';
  for (const u of units) {
    size /= 1000;
    unit = u;
    if (size < 1000) break;
  }
  return `${size < 10 ? size.toFixed(1) : Math.round(size)} ${unit}`;
}

/** An array of row objects, safe to print (see toJson). */
export function resultJson(result: SqlResult): string {
  return toJson(result.rows);
}

/** RFC 4180 CSV with a header row; arrays and maps as their JSON. */
export function resultCsv(result: SqlResult): string {
  const flat = result.rows.map((row) =>
    Object.fromEntries(result.columns.map((column) => {
      const value = row[column] ?? null;
      return [column, value !== null && typeof value === 'object' ? JSON.stringify(value) : value];
    })),
  );
  return toCsv(result.columns, flat);
}
