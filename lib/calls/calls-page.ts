import { BATCH_GET_MAX_KEYS, buildCallsRequests, findCalls, readPage, type CallFilter, type CallItem, type CallsRequest, type WireItem } from './calls-query';
import type { CallsTarget } from './calls-target';
import { callOutcome, failureKind, type CallOutcome } from './failure-kind';

/*
 * The calls list a page at a time, newest first, for the console (and anything that pages):
 * each page reads only as far as it needs, and hands back a cursor where the next one starts.
 */

export interface ListFilter extends CallFilter {
  /** Only calls with this outcome (see callOutcome). */
  readonly outcome?: CallOutcome;
  /** Only calls whose title or summary contains this text, in any case. */
  readonly text?: string;
}

export interface CallsPage {
  readonly items: CallItem[];
  /** Where the next page starts, opaque; absent on the last page. */
  readonly next?: string;
}

/** A cursor this reader did not make, or made for other filters. */
export class CursorError extends Error {}

/** Whether an item passes the filters no index holds: --failed, the outcome, the text. */
export function listKeeper(filter: ListFilter): (item: CallItem) => boolean {
  const text = filter.text?.trim().toLowerCase();
  return (item) =>
    (!filter.failedOnly || failureKind(item) !== undefined)
    && (filter.outcome === undefined || callOutcome(item) === filter.outcome)
    && (!text || [item.call_summary_title, item.transcript_summary].some((value) => typeof value === 'string' && value.toLowerCase().includes(text)));
}

/**
 * Where the next page starts: the partition it reads (a month, an agent, a campaign) and the key
 * it starts after; or, for merged reads, how many calls were already given. The partition is
 * named, not numbered, so a cursor still points at the same calls when the list of months moves on.
 */
type Position = { partition: string; after?: WireItem } | { offset: number };

const encode = (position: Position) => Buffer.from(JSON.stringify(position)).toString('base64url');
const partitionOf = (request: CallsRequest) => request.input.ExpressionAttributeValues[':pk'] as string;

/** The request a cursor continues, and where, checked against these filters' requests (the cursor came from a URL). */
function decode(cursor: string, requests: readonly CallsRequest[]): { request: number; after?: WireItem; exhausted?: boolean } | { offset: number } {
  const stale = new CursorError('This page link is out of date (the filters or the period changed): start from the first page.');
  let position: any;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CursorError('This page link is not one the console made: start from the first page.');
  }
  if (Number.isSafeInteger(position?.offset) && position.offset >= 0) {
    if (!merged(requests)) throw stale;
    return { offset: position.offset };
  }
  const request = requests.findIndex((r) => partitionOf(r) === position?.partition);
  if (request < 0) throw stale;
  const { keyAttributes, input } = requests[request];
  const after = position.after;
  if (after === undefined) return { request };
  const keyFits = typeof after === 'object' && after !== null && Object.keys(after).sort().join() === [...keyAttributes].sort().join()
    && Object.values(after).every((value: any) => typeof value === 'object' && value !== null && Object.keys(value).length === 1 && (typeof value.S === 'string' || typeof value.N === 'string'));
  // The key must lie in the partition and the period read, or DynamoDB refuses to start there.
  const [, partitionKey, sortKey] = keyAttributes;
  const start = keyFits ? Number(after[sortKey]?.N) : NaN;
  const { ':since': since = -Infinity, ':until': until = Infinity } = input.ExpressionAttributeValues as Record<string, number>;
  if (!keyFits || after[partitionKey]?.S !== partitionOf(requests[request]) || !(start <= until)) throw stale;
  // A period counted back from now has moved on past the last call shown: nothing older is in it.
  if (start < since) return { request, exhausted: true };
  return { request, after };
}

/** Reads that must be merged (a number stored in two forms): read whole and paged by position. */
const merged = (requests: readonly CallsRequest[]) => requests.length > 1 && requests[0].ordered === false;

const keyOf = (item: WireItem, names: readonly string[]) => Object.fromEntries(names.map((name) => [name, item[name]]));

/**
 * One page of the calls matching the filter, newest first, starting where `cursor` says. Index
 * queries are read a page at a time and stop once the page is full; the reads that must be merged
 * (a number stored in two forms) are read whole, as `calls list` reads them, and cut into pages.
 * @throws CursorError for a cursor that does not fit these filters
 */
export async function findCallsPage(target: CallsTarget, filter: ListFilter, options: { cursor?: string; pageSize: number }): Promise<CallsPage> {
  const { pageSize } = options;
  const requests = buildCallsRequests(target.tableName, filter);
  const keep = listKeeper(filter);
  const position = options.cursor ? decode(options.cursor, requests) : merged(requests) ? { offset: 0 } : { request: 0 };
  if ('exhausted' in position && position.exhausted) return { items: [] };
  if ('offset' in position) {
    const all = (await findCalls(target, filter)).filter(keep);
    const end = position.offset + pageSize;
    return { items: all.slice(position.offset, end), next: end < all.length ? encode({ offset: end }) : undefined };
  }
  const items: CallItem[] = [];
  // A filter no index holds may leave out most of what is read: then read in pages of a whole BatchGetItem.
  const sparse = filter.failedOnly || filter.outcome !== undefined || Boolean(filter.text?.trim());
  const readSize = sparse ? Math.max(pageSize, BATCH_GET_MAX_KEYS) : pageSize;
  let { request, after } = position;
  while (request < requests.length) {
    const page = await readPage(target, requests[request], after, readSize);
    for (const [i, item] of page.items.entries()) {
      if (!keep(item)) continue;
      items.push(item);
      if (items.length < pageSize) continue;
      const more = i < page.items.length - 1 || page.lastKey !== undefined || request < requests.length - 1;
      return { items, next: more ? encode({ partition: partitionOf(requests[request]), after: keyOf(page.keys[i], requests[request].keyAttributes) }) : undefined };
    }
    if (page.lastKey) after = page.lastKey;
    else [request, after] = [request + 1, undefined];
  }
  return { items };
}
