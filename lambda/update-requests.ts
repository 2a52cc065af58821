import { toDynamoDBValues, type WritableValue } from './attribute-values';
import { DELETION_QUEUE_DUE, EXPIRY_ATTRIBUTE } from '../lib/calls-table-schema';
import type { ItemScrub } from './deletion';
import { DELETED_MARKER, DELETION_DUE_ATTRIBUTE, DELETION_QUEUE_ATTRIBUTE, EVENT_TIMESTAMP_ATTRIBUTE, isoTime, startMonth, STORE_ERROR_ATTRIBUTE, storeErrorDetailAttribute, storeErrorType, type CallUpdate, type StoreErrorRecord } from './call-item';

/*
 * The UpdateItem requests the receiver sends, built as plain data (no SDK, so each is tested
 * alone): an event's update with its ordering guard, the deletion sweep's scrub and re-queue, and
 * the minimal item of a store error.
 */

/** An update expression's placeholders: every attribute name and value gets its own, so any name is safe. */
function placeholders() {
  const names: Record<string, string> = {};
  const values: Record<string, WritableValue> = {};
  let n = 0;
  const name = (attribute: string) => {
    names[`#a${n}`] = attribute;
    return `#a${n++}`;
  };
  const value = (v: WritableValue) => {
    values[`:v${n}`] = v;
    return `:v${n++}`;
  };
  /** `a = v`, or `a = if_not_exists(a, v)` to keep a value already there. */
  const assignment = (attribute: string, v: WritableValue, onlyIfMissing = false) => {
    const a = name(attribute);
    return onlyIfMissing ? `${a} = if_not_exists(${a}, ${value(v)})` : `${a} = ${value(v)}`;
  };
  return { names, values, name, value, assignment };
}

/** When an item written now expires, in unix seconds (DynamoDB TTL). */
const expiresAt = (now: Date, retentionDays: number) => Math.floor(now.getTime() / 1000) + retentionDays * 86_400;

/**
 * Builds the UpdateItem request: owned attributes, if_not_exists for the others, the ordering
 * guard, and the store error of this event type cleared (a full write repairs it).
 * @param replay applies an event as new as the one the item holds too (rebuilding from S3)
 */
export function buildUpdateRequest(tableName: string, update: CallUpdate, now: Date, retentionDays?: number, replay = false) {
  const { names, values, name, value, assignment } = placeholders();
  const assignments = Object.entries(update.set).map(([attribute, v]) => assignment(attribute, v));
  for (const [attribute, v] of Object.entries(update.setIfMissing)) {
    if (!(attribute in update.set)) assignments.push(assignment(attribute, v, true));
  }
  assignments.push(assignment(EVENT_TIMESTAMP_ATTRIBUTE[update.eventType], update.eventTimestamp));
  assignments.push(assignment('updated_at', now.toISOString()));
  if (retentionDays !== undefined) assignments.push(assignment(EXPIRY_ATTRIBUTE, expiresAt(now, retentionDays)));
  const removals = (update.remove ?? []).map(name);
  const repaired = storeErrorType(update.eventType);
  if (repaired) removals.push(name(storeErrorDetailAttribute(repaired)));
  const clauses = [`SET ${assignments.join(', ')}`];
  if (removals.length) clauses.push(`REMOVE ${removals.join(', ')}`);
  clauses.push(`ADD ${name('events_received')} ${value(new Set([update.eventType]))}`);
  // Deleting from a set that is not there changes nothing.
  if (repaired) clauses.push(`DELETE ${name(STORE_ERROR_ATTRIBUTE)} ${value(new Set([repaired]))}`);
  names['#ts'] = EVENT_TIMESTAMP_ATTRIBUTE[update.eventType];
  values[':ts'] = update.eventTimestamp;
  const deleted = replay ? DELETED_MARKER[update.eventType] : undefined;
  if (deleted) names['#deleted'] = deleted;
  return {
    TableName: tableName,
    Key: { conversation_id: update.conversationId },
    UpdateExpression: clauses.join(' '),
    // A redelivery (same timestamp) or an older event changes nothing. A replay from the archive (a
    // rebuild) applies the same timestamp again, so today's mapping fills what an older one left
    // out, but never where the deletion sweep deleted what this kind writes.
    ConditionExpression: !replay
      ? 'attribute_not_exists(#ts) OR #ts < :ts'
      : `(attribute_not_exists(#ts) OR #ts <= :ts)${deleted ? ' AND attribute_not_exists(#deleted)' : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** Builds the sweep's UpdateItem: set, set where missing, remove, only if nothing changed meanwhile. */
export function buildScrubRequest(tableName: string, scrub: ItemScrub) {
  const { names, values, name, value, assignment } = placeholders();
  const assignments = [
    ...Object.entries(scrub.set).map(([a, v]) => assignment(a, v)),
    ...Object.entries(scrub.setIfMissing).map(([a, v]) => assignment(a, v, true)),
  ];
  const clauses = [
    ['SET', assignments],
    ['REMOVE', scrub.remove.map(name)],
  ] as const;
  const conditions = Object.entries(scrub.unchanged).map(([a, v]) => (v === undefined ? `attribute_not_exists(${name(a)})` : `${name(a)} = ${value(v)}`));
  return {
    TableName: tableName,
    Key: { conversation_id: scrub.conversationId },
    UpdateExpression: clauses.filter(([, parts]) => parts.length > 0).map(([verb, parts]) => `${verb} ${parts.join(', ')}`).join(' '),
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** A request built with plain values (readable in tests), in DynamoDB's format for the wire. */
type PlainRequest = { Key: Record<string, WritableValue>; ExpressionAttributeValues: Record<string, WritableValue> };

export function toWire<T extends PlainRequest>(request: T) {
  return { ...request, Key: toDynamoDBValues(request.Key), ExpressionAttributeValues: toDynamoDBValues(request.ExpressionAttributeValues) };
}

/**
 * The minimal item of an event whose update DynamoDB refused: enough to list the call and rebuild
 * it from the raw body. It sets no ordering guard, so the repaired delivery of the same event
 * still applies (and clears the error).
 */
export function buildStoreErrorRequest(tableName: string, record: StoreErrorRecord, now: Date, retentionDays?: number) {
  const { names, values, name, value, assignment } = placeholders();
  const assignments = [
    assignment(storeErrorDetailAttribute(record.eventType), {
      error: record.error,
      event_timestamp: record.eventTimestamp,
      raw_s3_key: record.rawKey,
      at: now.toISOString(),
    }),
    assignment('updated_at', now.toISOString()),
    // Listed by time like any call until its real start time arrives.
    assignment('start_time_unix_secs', record.eventTimestamp, true),
    assignment('start_time', isoTime(record.eventTimestamp) as string, true),
    assignment('start_month', startMonth(record.eventTimestamp) as string, true),
  ];
  if (record.agentId !== undefined) assignments.push(assignment('agent_id', record.agentId, true));
  if (retentionDays !== undefined) assignments.push(assignment(EXPIRY_ATTRIBUTE, expiresAt(now, retentionDays)));
  return {
    TableName: tableName,
    Key: { conversation_id: record.conversationId },
    UpdateExpression: `SET ${assignments.join(', ')} ADD ${name(STORE_ERROR_ATTRIBUTE)} ${value(new Set([record.eventType]))}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** Puts a call whose data was deleted back in the deletion queue, due now (nothing happens to any other call). */
export function buildRequeueRequest(tableName: string, conversationId: string, now: Date) {
  return {
    TableName: tableName,
    Key: { conversation_id: conversationId },
    UpdateExpression: 'SET #queue = :due, #dueAt = :now',
    ConditionExpression: 'attribute_exists(transcript_deleted_at) OR attribute_exists(audio_deleted_at)',
    ExpressionAttributeNames: { '#queue': DELETION_QUEUE_ATTRIBUTE, '#dueAt': DELETION_DUE_ATTRIBUTE },
    ExpressionAttributeValues: { ':due': DELETION_QUEUE_DUE, ':now': Math.floor(now.getTime() / 1000) },
  };
}
