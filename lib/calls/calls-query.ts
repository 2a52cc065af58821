import { BatchGetItemCommand, GetItemCommand, type BatchGetItemCommandOutput, QueryCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { fromDynamoDBItem, toDynamoDB, toDynamoDBValues } from '../../lambda/attribute-values';
import { LAST_UNIX_SECOND } from '../../lambda/events';
import { storedNumberForms } from '../../lambda/phone-numbers';
import { startMonth } from '../../lambda/call-item';
import { BY_AGENT_INDEX, BY_BATCH_INDEX, BY_MONTH_INDEX, BY_NUMBER_INDEX, CALLS_PARTITION_KEY, type CallsIndex } from '../calls-table-schema';
import { isShortIdOf } from './call-list';
import type { CallsTarget } from './calls-target';
import { failureKind } from './failure-kind';

/** A call item as stored (see the README's record table). */
export type CallItem = Record<string, any>;

export interface CallFilter {
  readonly agentId?: string;
  /** ElevenLabs' batch call id: one outbound campaign's calls. */
  readonly batchId?: string;
  /** A number as typed: a full number is found stored with or without `+` (see storedNumberForms). */
  readonly number?: string;
  /** Unix seconds, inclusive. */
  readonly since?: number;
  /** Unix seconds, inclusive. */
  readonly until?: number;
  /** Only calls that failed: never connected, or a failed conversation (see failureKind). */
  readonly failedOnly?: boolean;
}

/** Called after each page read, so long reads can show progress. */
export type ProgressListener = (pages: number, items: number) => void;

type KeyFilter = 'batchId' | 'agentId' | 'number';

/** The index each key filter reads, in the order one is chosen: a campaign is the smallest set. */
const KEY_FILTER_INDEXES: [KeyFilter, CallsIndex][] = [['batchId', BY_BATCH_INDEX], ['agentId', BY_AGENT_INDEX], ['number', BY_NUMBER_INDEX]];

/** The values a key filter matches: every stored form of a number, the value itself otherwise. */
function keyValues(filter: CallFilter, key: KeyFilter): string[] {
  const value = filter[key] as string;
  return key === 'number' ? storedNumberForms(value) : [value];
}

/**
 * What DynamoDB can leave out for --failed: items with neither a failure nor a failed status or
 * error. A superset of both kinds (a failure followed by a transcription passes); findCalls keeps
 * exactly the items failureKind names.
 */
const FAILED_PREFILTER = '(attribute_exists(#failure) OR attribute_exists(#failure_at) OR #status = :failed OR attribute_exists(#error_code) OR attribute_exists(#error_reason))';

/**
 * The first month the calls list walks back to when no `since` is given (nor before it when one
 * is): ElevenLabs' agents platform and its webhooks came later, so no real call starts earlier.
 * A stored start time before it (a test's, or garbage) is still found by id, agent or number.
 */
export const FIRST_LISTED_MONTH = '2023-01';

/** Months from `until`'s (or now's, plus a day for clocks ahead) back to `since`'s, or the first listed month: newest first. */
export function monthsNewestFirst(since: number | undefined, until: number | undefined, now: Date): string[] {
  const last = startMonth(Math.min(until ?? LAST_UNIX_SECOND, Math.floor(now.getTime() / 1000) + 86_400)) as string;
  const sinceMonth = since === undefined ? FIRST_LISTED_MONTH : (startMonth(since) as string);
  const first = sinceMonth > FIRST_LISTED_MONTH ? sinceMonth : FIRST_LISTED_MONTH;
  const months: string[] = [];
  let [year, month] = last.split('-').map(Number);
  for (let name = last; name >= first; name = `${year}-${String(month).padStart(2, '0')}`) {
    months.push(name);
    [year, month] = month === 1 ? [year - 1, 12] : [year, month - 1];
  }
  return months;
}

/**
 * Builds the reads for a filter, all of them Queries, newest first: on the campaign, agent or
 * number index when one is given (one per stored form of a number); otherwise on the month index,
 * one per month from the newest back (`ordered`: each month's calls all come after the previous
 * month's, so a reader wanting the newest N stops early). The other filters given become filter
 * expressions, where the index holds them; the month index holds keys only, so --failed is then
 * judged on the items read afresh (see findCalls).
 */
export function buildCallsRequests(tableName: string, filter: CallFilter, now = new Date()) {
  const names: Record<string, string> = {};
  const values: Record<string, string | number> = {};
  const filters: string[] = [];
  const [indexKey, keyIndex] = KEY_FILTER_INDEXES.find(([key]) => filter[key] !== undefined) ?? [];
  const index = keyIndex ?? BY_MONTH_INDEX;
  const timeRange = filter.since !== undefined || filter.until !== undefined;
  if (timeRange) {
    names['#start'] = 'start_time_unix_secs';
    values[':since'] = filter.since ?? 0;
    values[':until'] = filter.until ?? LAST_UNIX_SECOND;
  }
  for (const [key, otherIndex] of KEY_FILTER_INDEXES) {
    if (filter[key] === undefined || key === indexKey) continue;
    const placeholders = keyValues(filter, key).map((value, i) => {
      values[`:${key}${i}`] = value;
      return `:${key}${i}`;
    });
    names[`#${key}`] = otherIndex.partitionKey.name;
    filters.push(placeholders.length === 1 ? `#${key} = ${placeholders[0]}` : `#${key} IN (${placeholders.join(', ')})`);
  }
  if (filter.failedOnly && index.projection !== 'KEYS_ONLY') {
    Object.assign(names, { '#failure': 'failure_reason', '#failure_at': 'failure_event_timestamp', '#status': 'status', '#error_code': 'error_code', '#error_reason': 'error_reason' });
    values[':failed'] = 'failed';
    filters.push(FAILED_PREFILTER);
  }
  names['#pk'] = index.partitionKey.name;
  const partitions = indexKey ? keyValues(filter, indexKey) : monthsNewestFirst(filter.since, filter.until, now);
  return partitions.map((pk) => ({
    keysOnly: index.projection === 'KEYS_ONLY',
    /** The attributes of a key this index's pages start after (a cursor). */
    keyAttributes: [CALLS_PARTITION_KEY.name, index.partitionKey.name, index.sortKey.name],
    ordered: !indexKey,
    input: {
      TableName: tableName,
      IndexName: index.indexName,
      KeyConditionExpression: timeRange ? '#pk = :pk AND #start BETWEEN :since AND :until' : '#pk = :pk',
      FilterExpression: filters.join(' AND ') || undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...values, ':pk': pk } as Record<string, string | number>,
      ScanIndexForward: false,
    },
  }));
}

/** Newest first; calls with no start time (audio only, so far) last. */
export function byNewestFirst(a: CallItem, b: CallItem): number {
  return (b.start_time_unix_secs ?? -1) - (a.start_time_unix_secs ?? -1);
}

export type CallsRequest = ReturnType<typeof buildCallsRequests>[number];
export type WireItem = Record<string, AttributeValue>;

/** BatchGetItem's limit per request. */
export const BATCH_GET_MAX_KEYS = 100;

/**
 * The items the keys name, read afresh, in the keys' order; an item removed since its key was read
 * is left out. Keys DynamoDB leaves unprocessed (throttling) are asked again.
 */
export async function readItems(target: CallsTarget, keys: readonly WireItem[]): Promise<CallItem[]> {
  const byId = new Map<string, CallItem>();
  for (let start = 0; start < keys.length; start += BATCH_GET_MAX_KEYS) {
    let pending: WireItem[] | undefined = keys.slice(start, start + BATCH_GET_MAX_KEYS).map((key) => ({ conversation_id: key.conversation_id }));
    for (let attempt = 0; pending?.length; attempt++) {
      if (attempt === 10) throw new Error(`DynamoDB kept ${pending.length} keys unprocessed after 10 BatchGetItem attempts (throttled): try again in a moment.`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      const answer: BatchGetItemCommandOutput = await target.dynamodb.send(new BatchGetItemCommand({ RequestItems: { [target.tableName]: { Keys: pending } } }));
      for (const item of answer.Responses?.[target.tableName] ?? []) byId.set(item.conversation_id.S as string, fromDynamoDBItem(item));
      pending = answer.UnprocessedKeys?.[target.tableName]?.Keys;
    }
  }
  return keys.map((key) => byId.get(key.conversation_id.S as string)).filter((item): item is CallItem => item !== undefined);
}

/** One page of a request: the keys as the index gave them (for a cursor), and the items they name, side by side. */
export async function readPage(target: CallsTarget, request: CallsRequest, startKey: WireItem | undefined, limit?: number) {
  // Read with the receiver's own item codec: every map key comes back as sent.
  const values = request.input.ExpressionAttributeValues && toDynamoDBValues(request.input.ExpressionAttributeValues);
  const page = await target.dynamodb.send(new QueryCommand({ ...request.input, ExpressionAttributeValues: values, ExclusiveStartKey: startKey, Limit: limit }));
  const keys = page.Items ?? [];
  const items = request.keysOnly ? await readItems(target, keys) : keys.map(fromDynamoDBItem);
  // Keys and items side by side: an item removed since its key was read drops out of both.
  const found = new Set(items.map((item) => item.conversation_id));
  return { keys: keys.filter((key) => found.has(key.conversation_id.S)), items, lastKey: page.LastEvaluatedKey };
}

/** One request's matching items, page after page; stops once it has `limit` of them. */
async function readRequest(target: CallsTarget, request: CallsRequest, keep: (item: CallItem) => boolean, onPage: (items: number) => void, limit?: number): Promise<CallItem[]> {
  const items: CallItem[] = [];
  let startKey: WireItem | undefined;
  do {
    const page = await readPage(target, request, startKey);
    items.push(...page.items.filter(keep));
    onPage(items.length);
    startKey = page.lastKey;
  } while (startKey && !(limit !== undefined && items.length >= limit));
  return items;
}

/** What findCalls keeps of the items it reads: those --failed asks for (the month index cannot filter them). */
function keeper(filter: CallFilter): (item: CallItem) => boolean {
  return filter.failedOnly ? (item) => failureKind(item) !== undefined : () => true;
}

/**
 * The calls matching the filter, newest first, reading page after page (the queries for a
 * number's forms one after the other, merged without duplicates). With `limit`, reading stops
 * once the newest `limit` are known: an index query is already newest first, and the months are
 * read newest first.
 */
export async function findCalls(target: CallsTarget, filter: CallFilter, onProgress?: ProgressListener, limit?: number): Promise<CallItem[]> {
  const keep = keeper(filter);
  const found = new Map<string, CallItem>();
  let pages = 0;
  for (const request of buildCallsRequests(target.tableName, filter)) {
    if (request.ordered && limit !== undefined && found.size >= limit) break;
    const before = found.size;
    const items = await readRequest(target, request, keep, (read) => onProgress?.(++pages, before + read), limit === undefined ? undefined : limit - (request.ordered ? before : 0));
    for (const item of items) found.set(item.conversation_id, item);
  }
  const sorted = [...found.values()].sort(byNewestFirst);
  return limit === undefined ? sorted : sorted.slice(0, limit);
}

export async function getCall(target: CallsTarget, conversationId: string): Promise<CallItem | undefined> {
  const { Item } = await target.dynamodb.send(new GetItemCommand({ TableName: target.tableName, Key: { conversation_id: toDynamoDB(conversationId) } }));
  return Item && fromDynamoDBItem(Item);
}

/** The full transcription event the item points at: its text as stored, and parsed. */
export async function readTranscriptEvent(target: CallsTarget, key: string): Promise<{ text: string; event: any }> {
  if (!target.bucketName) throw new Error('No bucket known: pass --bucket or --stack to read transcripts.');
  const object = await target.s3.send(new GetObjectCommand({ Bucket: target.bucketName, Key: key }));
  const text = await object.Body!.transformToString();
  return { text, event: JSON.parse(text) };
}

/**
 * The conversation ids `matches` accepts, reading the ids alone. A Scan reads (and bills) every
 * item however little it returns, so this is the fallback when an exact read misses.
 */
export async function findConversationIds(target: CallsTarget, matches: (id: string) => boolean): Promise<string[]> {
  const ids: string[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await target.dynamodb.send(new ScanCommand({ TableName: target.tableName, ProjectionExpression: '#id', ExpressionAttributeNames: { '#id': 'conversation_id' }, ExclusiveStartKey }));
    for (const item of page.Items ?? []) if (item.conversation_id?.S !== undefined && matches(item.conversation_id.S)) ids.push(item.conversation_id.S);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return ids.sort();
}

/** Whether the filter narrows the calls at all (a campaign, agent, number, time range or --failed). */
export function narrows(filter: CallFilter | undefined): filter is CallFilter {
  return filter !== undefined && Object.values(filter).some((value) => value !== undefined && value !== false);
}

/**
 * The call with this conversation id or, failing that, the one call whose id ends with it (the
 * short id `calls list` prints). With a filter (the one `calls list` was given), the ending is
 * looked for among the calls it matches only, as list made its short ids unique among them; without
 * one, among every id in the table. No call, or several (their ids, to choose from), otherwise.
 */
export async function findCall(target: CallsTarget, idOrEnding: string, filter?: CallFilter): Promise<{ item: CallItem } | { candidates: string[] }> {
  const item = await getCall(target, idOrEnding);
  if (item) return { item };
  if (!idOrEnding) return { candidates: [] };
  if (narrows(filter)) {
    const matching = (await findCalls(target, filter)).filter((call) => isShortIdOf(idOrEnding, call.conversation_id));
    return matching.length === 1 ? { item: matching[0] } : { candidates: matching.map((call) => call.conversation_id).sort() };
  }
  const candidates = await findConversationIds(target, (id) => isShortIdOf(idOrEnding, id));
  const only = candidates.length === 1 ? await getCall(target, candidates[0]) : undefined;
  return only ? { item: only } : { candidates };
}
