import { columnWidth, fitColumns, padColumns, terminalText } from '../terminal-text';
import { channelOf, clip, formatCredits, formatDuration, formatUsd, toListRow, type ListRow } from './calls-format';
import type { CallItem } from './calls-query';
import { conversationError, FAILURE_OUTCOME, failureKind } from './failure-kind';

/*
 * `calls list` for a person: one line per call within a terminal's width, each call named by a
 * short id that `calls show` accepts. The whole id and the columns left out are in --json and --csv.
 */

/** How wide `calls list` is: this many columns, or a wider terminal's (more of each title); --json, --csv and show give the rest. */
export const LIST_WIDTH_COLUMNS = 120;
/** A short id is the end of the conversation id: ElevenLabs ids end in random characters. */
export const SHORT_ID_MIN_CHARS = 8;
export const SHORT_ID_MAX_CHARS = 16;

/** An id's last `count` characters, fewer if they would take over SHORT_ID_MAX_CHARS columns. */
function tail(id: string, count: number): string {
  const chars = [...id];
  let start = chars.length;
  while (start > 0 && chars.length - start < count && columnWidth(chars.slice(start - 1).join('')) <= SHORT_ID_MAX_CHARS) start -= 1;
  return chars.slice(start).join('');
}

/**
 * Each conversation id's last characters, as few as keep the listed ids apart (at least
 * SHORT_ID_MIN_CHARS, the whole id when shorter, at most SHORT_ID_MAX_CHARS); `calls show`
 * finds a call by them, and says so when another call's id ends the same way.
 */
export function shortIds(ids: readonly string[]): string[] {
  const tails = (n: number) => ids.map((id) => tail(id, n));
  for (let n = SHORT_ID_MIN_CHARS; n < SHORT_ID_MAX_CHARS; n++) {
    if (new Set(tails(n)).size === new Set(ids).size) return tails(n);
  }
  return tails(SHORT_ID_MAX_CHARS);
}

/** Whether `text` is `id`'s short id: its last characters as printed (control characters removed). */
export function isShortIdOf(text: string, id: string): boolean {
  return terminalText(id).endsWith(text);
}

const DIRECTIONS = new Map<unknown, string>([['inbound', 'in'], ['outbound', 'out']]);
/** The channel in a word of at most 3 letters, so the widest number fits: `wa out +123456789012345`. */
const CHANNEL_LABELS = new Map<unknown, string>([['phone', 'tel'], ['whatsapp', 'wa'], ['sms', 'sms'], ['web', 'web']]);
/** The call column: room for `tel out ` and an E.164 number at its longest (15 digits and a +). */
export const CALL_COLUMNS = 24;

/**
 * How the call came: its channel (`tel`, `wa`, `sms`, `web`), its direction (`in`, `out`) and the
 * other party's number; `-` when nothing says (only audio so far, or an OpenTelemetry transcription).
 * The number is never cut when it fits the column with at least 2 columns before it: a channel or
 * direction stored as something unexpected is cut first.
 */
export function callCell(item: CallItem, row: ListRow = toListRow(item)): string {
  const channel = channelOf(item);
  const how = [CHANNEL_LABELS.get(channel) ?? channel, DIRECTIONS.get(item.direction) ?? item.direction].filter((v) => v !== undefined && v !== null && v !== '').map((v) => clip(v, CALL_COLUMNS)).join(' ');
  const number = clip(row.number, CALL_COLUMNS);
  if (!number) return how || '-';
  if (!how) return number;
  const room = CALL_COLUMNS - 1 - columnWidth(number);
  return room >= 2 ? `${fitColumns(how, room)} ${number}` : fitColumns(`${how} ${number}`, CALL_COLUMNS);
}

/** US dollars when the item has them (`$0.12`, `$0.0004`), else ElevenLabs credits as before (`438 cr`); both are in show, --json and --csv. */
function costCell(item: CallItem): string {
  return formatUsd(item.cost_fiat) || formatCredits(item.cost) || (item.cost === undefined ? '-' : clip(item.cost, 10));
}

/** Which kind of failure, or else ElevenLabs' verdict. */
function outcomeCell(item: CallItem): string {
  const kind = failureKind(item);
  return kind ? FAILURE_OUTCOME[kind] : item.call_successful || '-';
}

/** The agent column at its widest, and as narrow as it gets when the title would have fewer than TITLE_MIN_COLUMNS. */
const AGENT_MAX_COLUMNS = 14;
const AGENT_MIN_COLUMNS = 8;
const TITLE_MIN_COLUMNS = 20;

/** The text list's columns: a heading, the most columns a cell takes, and the cell. */
const LIST_LAYOUT: [string, number, (item: CallItem, row: ListRow) => string][] = [
  ['time (UTC)', 17, (_item, row) => String(row.start_time).replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z') || '-'],
  ['agent', AGENT_MAX_COLUMNS, (_item, row) => String(row.agent) || '-'],
  ['call', CALL_COLUMNS, callCell],
  ['duration', 8, (item) => formatDuration(item.call_duration_secs)],
  ['cost', 10, costCell],
  ['outcome', 13, outcomeCell],
];

/** Where the title would be: why a call did not connect, or the failed conversation's error, or the title. */
function titleCell(item: CallItem, row: ListRow): string {
  if (failureKind(item) === 'not_connected') return `${item.failure_reason ?? 'call_initiation_failure'}${item.failure_provider ? ` (${item.failure_provider})` : ''}`;
  const error = conversationError(item);
  return error && row.title ? `${error} · ${row.title}` : (error ?? String(row.title));
}

/**
 * The calls as a table that fits LIST_WIDTH_COLUMNS: short id, time, agent, channel, direction and
 * number (never cut), duration, cost (USD, or credits), outcome (or which kind of failure), and as
 * much of the title (or summary, or why it did not connect) as fits; the agent's name is cut
 * further when the title would have fewer than TITLE_MIN_COLUMNS.
 */
export function formatList(items: readonly CallItem[], widthColumns = LIST_WIDTH_COLUMNS): string {
  if (items.length === 0) return 'No calls match.\n';
  const ids = shortIds(items.map((item) => terminalText(item.conversation_id)));
  const rows = items.map((item, i) => {
    const row = toListRow(item);
    return [ids[i], ...LIST_LAYOUT.map(([, max, cell]) => clip(cell(item, row), max)), clip(titleCell(item, row), widthColumns)];
  });
  const header = ['id', ...LIST_LAYOUT.map(([heading]) => heading), 'title or summary'];
  const widths = header.slice(0, -1).map((h, i) => Math.max(columnWidth(h), ...rows.map((r) => columnWidth(r[i]))));
  // The agent's name gives way to the title (down to AGENT_MIN_COLUMNS); padColumns cuts it to its width.
  const agent = header.indexOf('agent');
  const over = widths.reduce((sum, w) => sum + w + 2, 0) + TITLE_MIN_COLUMNS - widthColumns;
  if (over > 0) widths[agent] = Math.max(Math.min(AGENT_MIN_COLUMNS, widths[agent]), widths[agent] - over);
  const titleWidth = widthColumns - widths.reduce((sum, w) => sum + w + 2, 0);
  const line = (cells: string[]) => [...cells.slice(0, -1).map((c, i) => padColumns(c, widths[i])), fitColumns(cells.at(-1)!, titleWidth)].join('  ').trimEnd();
  const count = `${items.length} call${items.length === 1 ? '' : 's'}; npm run calls -- show <id> shows one`;
  return [line(header), ...rows.map(line), count].join('\n') + '\n';
}
