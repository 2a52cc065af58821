import { GetItemCommand, QueryCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { fromDynamoDBItem, toDynamoDB, toDynamoDBValues } from '../../lambda/attribute-values';
import { LAST_UNIX_SECOND } from '../../lambda/events';
import { storedNumberForms } from '../../lambda/phone-numbers';
import { BY_AGENT_INDEX, BY_BATCH_INDEX, BY_NUMBER_INDEX, type CallsIndex } from '../calls-table-schema';
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
 * Builds the reads for a filter: a Query on the campaign, agent or number index when one is given
 * (never a scan then), one per stored form of a number when the number index is read; otherwise a
 * Scan. The other filters given become filter expressions. Newest first where the index can sort.
 */
export function buildCallsRequests(tableName: string, filter: CallFilter) {
  const names: Record<string, string> = {};
  const values: Record<string, string | number> = {};
  const filters: string[] = [];
  const [indexKey, index] = KEY_FILTER_INDEXES.find(([key]) => filter[key] !== undefined) ?? [];
  const timeRange = filter.since !== undefined || filter.until !== undefined;
  if (timeRange) {
    names['#start'] = 'start_time_unix_secs';
    values[':since'] = filter.since ?? 0;
    values[':until'] = filter.until ?? LAST_UNIX_SECOND;
  }
  for (const [key, keyIndex] of KEY_FILTER_INDEXES) {
    if (filter[key] === undefined || key === indexKey) continue;
    const placeholders = keyValues(filter, key).map((value, i) => {
      values[`:${key}${i}`] = value;
      return `:${key}${i}`;
    });
    names[`#${key}`] = keyIndex.partitionKey.name;
    filters.push(placeholders.length === 1 ? `#${key} = ${placeholders[0]}` : `#${key} IN (${placeholders.join(', ')})`);
  }
  if (filter.failedOnly) {
    Object.assign(names, { '#failure': 'failure_reason', '#failure_at': 'failure_event_timestamp', '#status': 'status', '#error_code': 'error_code', '#error_reason': 'error_reason' });
    values[':failed'] = 'failed';
    filters.push(FAILED_PREFILTER);
  }
  if (!indexKey || !index) {
    if (timeRange) filters.push('#start BETWEEN :since AND :until');
    return [{
      kind: 'scan' as const,
      input: { TableName: tableName, FilterExpression: filters.join(' AND ') || undefined, ExpressionAttributeNames: Object.keys(names).length ? names : undefined, ExpressionAttributeValues: Object.keys(values).length ? values : undefined },
    }];
  }
  names['#pk'] = index.partitionKey.name;
  return keyValues(filter, indexKey).map((pk) => ({
    kind: 'query' as const,
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

type CallsRequest = ReturnType<typeof buildCallsRequests>[number];

/** One request's matching items, page after page; a query stops once it has `limit` of them. */
async function readRequest(target: CallsTarget, request: CallsRequest, keep: (item: CallItem) => boolean, onPage: (items: number) => void, limit?: number): Promise<CallItem[]> {
  // Read with the receiver's own item codec: every map key comes back as sent.
  const values = request.input.ExpressionAttributeValues && toDynamoDBValues(request.input.ExpressionAttributeValues);
  const items: CallItem[] = [];
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = request.kind === 'query'
      ? await target.dynamodb.send(new QueryCommand({ ...request.input, ExpressionAttributeValues: values, ExclusiveStartKey }))
      : await target.dynamodb.send(new ScanCommand({ ...request.input, ExpressionAttributeValues: values, ExclusiveStartKey }));
    items.push(...(page.Items ?? []).map(fromDynamoDBItem).filter(keep));
    onPage(items.length);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && !(request.kind === 'query' && limit !== undefined && items.length >= limit));
  return items;
}

/**
 * The calls matching the filter, newest first, reading page after page (the queries for a
 * number's forms one after the other, merged without duplicates). With `limit`, an index query
 * (already newest first) stops reading once it has that many; a scan must read everything to sort it.
 */
export async function findCalls(target: CallsTarget, filter: CallFilter, onProgress?: ProgressListener, limit?: number): Promise<CallItem[]> {
  const keep = filter.failedOnly ? (item: CallItem) => failureKind(item) !== undefined : () => true;
  const found = new Map<string, CallItem>();
  let pages = 0;
  for (const request of buildCallsRequests(target.tableName, filter)) {
    const before = found.size;
    const items = await readRequest(target, request, keep, (read) => onProgress?.(++pages, before + read), limit);
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
