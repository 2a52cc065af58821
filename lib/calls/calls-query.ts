import { GetItemCommand, QueryCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { fromDynamoDBItem, toDynamoDB, toDynamoDBValues } from '../../lambda/attribute-values';
import { LAST_UNIX_SECOND } from '../../lambda/events';
import { BY_AGENT_INDEX, BY_NUMBER_INDEX } from '../calls-table-schema';
import { isShortIdOf } from './call-list';
import type { CallsTarget } from './calls-target';

/** A call item as stored (see the README's record table). */
export type CallItem = Record<string, any>;

export interface CallFilter {
  readonly agentId?: string;
  readonly number?: string;
  /** Unix seconds, inclusive. */
  readonly since?: number;
  /** Unix seconds, inclusive. */
  readonly until?: number;
  /** Only calls that never connected (call_initiation_failure). */
  readonly failedOnly?: boolean;
}

/** Called after each page read, so long reads can show progress. */
export type ProgressListener = (pages: number, items: number) => void;

/**
 * Builds the read for a filter: a Query on the agent or number index when either is given (never
 * a scan then), otherwise a Scan. Newest first where the index can sort.
 */
export function buildCallsRequest(tableName: string, filter: CallFilter) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const filters: string[] = [];
  const index = filter.agentId !== undefined ? BY_AGENT_INDEX : filter.number !== undefined ? BY_NUMBER_INDEX : undefined;
  const timeRange = filter.since !== undefined || filter.until !== undefined;
  if (timeRange) {
    names['#start'] = 'start_time_unix_secs';
    values[':since'] = filter.since ?? 0;
    values[':until'] = filter.until ?? LAST_UNIX_SECOND;
  }
  if (filter.number !== undefined && index !== BY_NUMBER_INDEX) {
    names['#number'] = BY_NUMBER_INDEX.partitionKey.name;
    values[':number'] = filter.number;
    filters.push('#number = :number');
  }
  if (filter.failedOnly) {
    names['#failure'] = 'failure_reason';
    filters.push('attribute_exists(#failure)');
  }
  if (!index) {
    if (timeRange) filters.push('#start BETWEEN :since AND :until');
    return {
      kind: 'scan' as const,
      input: { TableName: tableName, FilterExpression: filters.join(' AND ') || undefined, ExpressionAttributeNames: Object.keys(names).length ? names : undefined, ExpressionAttributeValues: Object.keys(values).length ? values : undefined },
    };
  }
  names['#pk'] = index.partitionKey.name;
  values[':pk'] = index === BY_AGENT_INDEX ? filter.agentId : filter.number;
  return {
    kind: 'query' as const,
    input: {
      TableName: tableName,
      IndexName: index.indexName,
      KeyConditionExpression: timeRange ? '#pk = :pk AND #start BETWEEN :since AND :until' : '#pk = :pk',
      FilterExpression: filters.join(' AND ') || undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
    },
  };
}

/** Newest first; calls with no start time (audio only, so far) last. */
export function byNewestFirst(a: CallItem, b: CallItem): number {
  return (b.start_time_unix_secs ?? -1) - (a.start_time_unix_secs ?? -1);
}

/**
 * The calls matching the filter, newest first, reading page after page. With `limit`, an index
 * query (already newest first) stops reading once it has that many; a scan must read everything
 * to sort it.
 */
export async function findCalls(target: CallsTarget, filter: CallFilter, onProgress?: ProgressListener, limit?: number): Promise<CallItem[]> {
  const request = buildCallsRequest(target.tableName, filter);
  // Read with the receiver's own item codec: every map key comes back as sent.
  const values = request.input.ExpressionAttributeValues && toDynamoDBValues(request.input.ExpressionAttributeValues as Record<string, string | number>);
  const items: CallItem[] = [];
  let pages = 0;
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = request.kind === 'query'
      ? await target.dynamodb.send(new QueryCommand({ ...request.input, ExpressionAttributeValues: values, ExclusiveStartKey }))
      : await target.dynamodb.send(new ScanCommand({ ...request.input, ExpressionAttributeValues: values, ExclusiveStartKey }));
    items.push(...(page.Items ?? []).map(fromDynamoDBItem));
    pages += 1;
    onProgress?.(pages, items.length);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && !(request.kind === 'query' && limit !== undefined && items.length >= limit));
  const sorted = items.sort(byNewestFirst);
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

/**
 * The call with this conversation id or, failing that, the one call whose id ends with it (the
 * short id `calls list` prints). No call, or several (their ids, to choose from), otherwise.
 */
export async function findCall(target: CallsTarget, idOrEnding: string): Promise<{ item: CallItem } | { candidates: string[] }> {
  const item = await getCall(target, idOrEnding);
  if (item) return { item };
  const candidates = idOrEnding ? await findConversationIds(target, (id) => isShortIdOf(idOrEnding, id)) : [];
  const only = candidates.length === 1 ? await getCall(target, candidates[0]) : undefined;
  return only ? { item: only } : { candidates };
}
