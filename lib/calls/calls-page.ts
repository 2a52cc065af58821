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

/** A request and the key its next page starts after; or, for merged reads, how many calls were already given. */
type Position = { request: number; after?: WireItem } | { offset: number };

const encode = (position: Position) => Buffer.from(JSON.stringify(position)).toString('base64url');

/** The position a cursor names, checked against the requests it must fit (it came from a URL). */
function decode(cursor: string, requests: readonly CallsRequest[]): Position {
  let position: any;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CursorError('This page link is not one the console made: start from the first page.');
  }
  if (Number.isSafeInteger(position?.offset) && position.offset >= 0) return { offset: position.offset };
  const request = requests[position?.request];
  const keyFits = (key: unknown) => typeof key === 'object' && key !== null && Object.keys(key).sort().join() === [...request.keyAttributes].sort().join()
    && Object.values(key).every((value) => typeof value === 'object' && value !== null && Object.keys(value).length === 1 && (typeof value.S === 'string' || typeof value.N === 'string'));
  if (!Number.isSafeInteger(position?.request) || !request || (position.after !== undefined && !keyFits(position.after))) {
    throw new CursorError('This page link is out of date (the filters changed): start from the first page.');
  }
  return { request: position.request, after: position.after };
}

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
  const position: Position = options.cursor ? decode(options.cursor, requests) : requests[0]?.ordered === false && requests.length > 1 ? { offset: 0 } : { request: 0 };
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
      return { items, next: more ? encode({ request, after: keyOf(page.keys[i], requests[request].keyAttributes) }) : undefined };
    }
    if (page.lastKey) after = page.lastKey;
    else [request, after] = [request + 1, undefined];
  }
  return { items };
}
