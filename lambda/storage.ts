import { DynamoDBClient, GetItemCommand, paginateQuery, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client, type ObjectIdentifier } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Transform, type Readable } from 'node:stream';
import { fromDynamoDBItem, toDynamoDB, toDynamoDBValues, type DynamoDBItem, type WritableValue } from './attribute-values';
import { requiredEnv } from './config';
import { StorageError } from './errors';
import { BY_DELETION_DUE_INDEX, DELETION_QUEUE_DUE, EXPIRY_ATTRIBUTE } from '../lib/calls-table-schema';
import type { DeletionStore, ItemScrub } from './deletion';
import { DELETION_DUE_ATTRIBUTE, DELETION_QUEUE_ATTRIBUTE, EVENT_TIMESTAMP_ATTRIBUTE, STORE_ERROR_ATTRIBUTE, isoTime, storeErrorDetailAttribute, storeErrorType, type CallObject, type CallUpdate, type StoreErrorRecord } from './records';

export interface UpdateOptions {
  readonly now: Date;
  readonly retentionDays?: number;
  /**
   * Written once the update applied (never for a stale one); if it cannot be written, the update
   * is undone, so the item never points at an object that is not there.
   */
  readonly object?: CallObject;
}

/** What the webhook flow needs from storage; the one place that talks to the AWS SDK. */
export interface CallStore {
  /** Writes an object under the bucket. */
  putObject(key: string, body: Buffer | string, contentType: string): Promise<void>;
  /**
   * Applies an event's attributes to its call's item, creating it if needed, then writes its object.
   * @returns `created` when the item held nothing of this kind before (the first delivery),
   *   `applied` when it replaced an older one, `stale` when it held the same or a newer one
   * @throws StorageError; `permanent` when DynamoDB refused the update as invalid (retrying cannot help)
   */
  applyUpdate(update: CallUpdate, options: UpdateOptions): Promise<'created' | 'applied' | 'stale'>;
  /**
   * The last line of defence: an event whose update DynamoDB refuses leaves a minimal item (ids,
   * event, where the raw body is, the error), so the call is listed and can be rebuilt. A later
   * full write of the same event type clears it.
   */
  recordStoreError(record: StoreErrorRecord, options: { now: Date; retentionDays?: number }): Promise<void>;
}

/** What reconciliation needs beyond the webhook's writes: read an item, stream a large object. */
export interface ReconciliationStore extends CallStore {
  getCall(conversationId: string): Promise<Record<string, unknown> | undefined>;
  /**
   * Streams a body of unknown length into S3 with a multipart upload, holding one part in memory.
   * @returns the bytes written
   */
  uploadStream(key: string, body: Readable, contentType: string): Promise<number>;
}

/** Multipart part size: S3's minimum, so memory stays flat whatever the recording's length. */
const UPLOAD_PART_BYTES = 5 * 1024 * 1024;

export interface StorageConfig {
  readonly tableName: string;
  readonly bucketName: string;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  /**
   * The deletion sweep runs: a redelivery for a call whose data it deleted puts the call back in its
   * queue (one more conditional write per duplicate, only then).
   */
  readonly deletionSweep?: boolean;
}

/** The DynamoDB and S3 clients of the receiver's functions; endpoints follow AWS_ENDPOINT_URL_* as usual. */
/**
 * Slow storage must end in an answer ElevenLabs retries (500), not in API Gateway's 30 s timeout:
 * each attempt gets this long, and the SDK's three attempts fit in the function's 25 s.
 */
export const STORAGE_HTTP_OPTIONS = { connectionTimeout: 2_000, requestTimeout: 6_000, throwOnRequestTimeout: true } as const;

export function createStorageClients(env: NodeJS.ProcessEnv) {
  return {
    dynamodb: new DynamoDBClient({ requestHandler: STORAGE_HTTP_OPTIONS }),
    // CRC checksums on multi-megabyte audio cost CPU for no gain over TLS; emulators need path style.
    s3: new S3Client({
      requestHandler: STORAGE_HTTP_OPTIONS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL),
    }),
  };
}

/** The table, bucket and clients of a function the stack configures (CALLS_TABLE_NAME, CALLS_BUCKET_NAME). */
export function storageConfigFromEnv(env: NodeJS.ProcessEnv): StorageConfig {
  return { tableName: requiredEnv(env, 'CALLS_TABLE_NAME'), bucketName: requiredEnv(env, 'CALLS_BUCKET_NAME'), ...createStorageClients(env) };
}

function sdkFailure(reason: StorageError['reason'], what: string, error: unknown): StorageError {
  // Name and HTTP status only: SDK messages can quote keys and values.
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return new StorageError(reason, `${what} failed: ${e?.name ?? 'Error'} (HTTP ${e?.$metadata?.httpStatusCode ?? '-'})`, {
    cause: error,
    // DynamoDB refusing the request itself: the same request will be refused again.
    permanent: e?.name === 'ValidationException',
  });
}

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

/**
 * Builds the UpdateItem request: owned attributes, if_not_exists for the others, the ordering
 * guard, and the store error of this event type cleared (a full write repairs it).
 */
export function buildUpdateRequest(tableName: string, update: CallUpdate, now: Date, retentionDays?: number) {
  const { names, values, name, value, assignment } = placeholders();
  const assignments = Object.entries(update.set).map(([attribute, v]) => assignment(attribute, v));
  for (const [attribute, v] of Object.entries(update.setIfMissing)) {
    if (!(attribute in update.set)) assignments.push(assignment(attribute, v, true));
  }
  assignments.push(assignment(EVENT_TIMESTAMP_ATTRIBUTE[update.eventType], update.eventTimestamp));
  assignments.push(assignment('updated_at', now.toISOString()));
  if (retentionDays !== undefined) {
    assignments.push(assignment(EXPIRY_ATTRIBUTE, Math.floor(now.getTime() / 1000) + retentionDays * 86_400));
  }
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
  return {
    TableName: tableName,
    Key: { conversation_id: update.conversationId },
    UpdateExpression: clauses.join(' '),
    // A redelivery (same timestamp) or an older event changes nothing.
    ConditionExpression: 'attribute_not_exists(#ts) OR #ts < :ts',
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

async function send(config: StorageConfig, request: UpdateItemCommandInput, what = 'DynamoDB UpdateItem') {
  try {
    return await config.dynamodb.send(new UpdateItemCommand(request));
  } catch (error) {
    if ((error as Error)?.name === 'ConditionalCheckFailedException') return undefined;
    throw sdkFailure('item', what, error);
  }
}

async function getItem(config: StorageConfig, conversationId: string) {
  try {
    const { Item } = await config.dynamodb.send(new GetItemCommand({ TableName: config.tableName, Key: { conversation_id: toDynamoDB(conversationId) }, ConsistentRead: true }));
    return Item && fromDynamoDBItem(Item);
  } catch (error) {
    throw sdkFailure('item', 'DynamoDB GetItem', error);
  }
}

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

/** The deletion sweep's adapter: the due index, permanent deletion of object versions, the item scrub. */
export function createDeletionStore(config: StorageConfig): DeletionStore {
  const Bucket = config.bucketName;
  /** Every version and delete marker whose key starts with the prefix (and equals it, when exact). */
  async function versionsOf(prefix: string, exact: boolean, keep: readonly string[]): Promise<ObjectIdentifier[]> {
    const found: ObjectIdentifier[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      const page = await config.s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: prefix, KeyMarker, VersionIdMarker }));
      for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        const key = v.Key;
        if (key !== undefined && (!exact || key === prefix) && !keep.some((folder) => key.startsWith(folder))) found.push({ Key: key, VersionId: v.VersionId });
      }
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (KeyMarker !== undefined);
    return found;
  }
  return {
    async *dueDeletions(nowUnixSecs) {
      const pages = paginateQuery(
        { client: config.dynamodb },
        {
          TableName: config.tableName,
          IndexName: BY_DELETION_DUE_INDEX.indexName,
          KeyConditionExpression: '#queue = :due AND #at <= :now',
          ExpressionAttributeNames: { '#queue': BY_DELETION_DUE_INDEX.partitionKey.name, '#at': BY_DELETION_DUE_INDEX.sortKey.name },
          ExpressionAttributeValues: toDynamoDBValues({ ':due': DELETION_QUEUE_DUE, ':now': nowUnixSecs }),
        },
      );
      try {
        for await (const page of pages) {
          for (const item of page.Items ?? []) yield fromDynamoDBItem(item).conversation_id as string;
        }
      } catch (error) {
        throw sdkFailure('item', 'DynamoDB Query', error);
      }
    },
    getCall: (conversationId) => getItem(config, conversationId),
    async deleteObjectVersions(keys, folders, keep = []) {
      try {
        const listed = await Promise.all([...keys.map((key) => versionsOf(key, true, keep)), ...folders.map((folder) => versionsOf(folder, false, keep))]);
        const versions = listed.flat();
        for (let i = 0; i < versions.length; i += DELETE_BATCH) {
          const { Errors } = await config.s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: versions.slice(i, i + DELETE_BATCH), Quiet: true } }));
          if (Errors?.length) throw Object.assign(new Error(`${Errors.length} objects not deleted (${Errors[0].Code})`), { name: 'DeleteObjectsError' });
        }
        return versions.length;
      } catch (error) {
        throw sdkFailure('object', 'S3 object deletion', error);
      }
    },
    async scrubCall(scrub) {
      return (await send(config, toWire(buildScrubRequest(config.tableName, scrub)))) !== undefined;
    },
  };
}

/**
 * Puts an item back as it was before an update, from the attributes that update returned as they
 * were (UPDATED_OLD), unless a newer event has written since. A value the update only filled where
 * missing stays (it is identity, true either way); the event stays in `events_received`.
 */
export function buildUndoRequest(tableName: string, update: CallUpdate, before: DynamoDBItem): UpdateItemCommandInput {
  const guard = EVENT_TIMESTAMP_ATTRIBUTE[update.eventType];
  const repaired = storeErrorType(update.eventType);
  const touched = new Set([...Object.keys(update.set), ...(update.remove ?? []), guard, 'updated_at']);
  for (const attribute of [...Object.keys(update.setIfMissing), EXPIRY_ATTRIBUTE, STORE_ERROR_ATTRIBUTE, repaired && storeErrorDetailAttribute(repaired)]) {
    if (attribute && before[attribute] !== undefined) touched.add(attribute);
  }
  const names: Record<string, string> = { '#ts': guard };
  const values: DynamoDBItem = { ':ts': toDynamoDB(update.eventTimestamp) };
  const restore: string[] = [];
  const removals: string[] = [];
  [...touched].forEach((attribute, i) => {
    names[`#a${i}`] = attribute;
    if (before[attribute] === undefined) removals.push(`#a${i}`);
    else {
      values[`:v${i}`] = before[attribute];
      restore.push(`#a${i} = :v${i}`);
    }
  });
  return {
    TableName: tableName,
    Key: { conversation_id: toDynamoDB(update.conversationId) },
    UpdateExpression: [restore.length ? `SET ${restore.join(', ')}` : '', removals.length ? `REMOVE ${removals.join(', ')}` : ''].filter(Boolean).join(' '),
    ConditionExpression: '#ts = :ts',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
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
  ];
  if (record.agentId !== undefined) assignments.push(assignment('agent_id', record.agentId, true));
  if (retentionDays !== undefined) assignments.push(assignment(EXPIRY_ATTRIBUTE, Math.floor(now.getTime() / 1000) + retentionDays * 86_400));
  return {
    TableName: tableName,
    Key: { conversation_id: record.conversationId },
    UpdateExpression: `SET ${assignments.join(', ')} ADD ${name(STORE_ERROR_ATTRIBUTE)} ${value(new Set([record.eventType]))}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The DynamoDB and S3 adapter. */
export function createCallStore(config: StorageConfig): ReconciliationStore {
  async function putObject(key: string, body: Buffer | string, contentType: string) {
    try {
      // An empty text body as bytes: the SDK takes an empty string for a stream of unknown length.
      await config.s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: body === '' ? Buffer.alloc(0) : body, ContentType: contentType }));
    } catch (error) {
      throw sdkFailure('object', 'S3 PutObject', error);
    }
  }
  return {
    putObject,
    getCall: (conversationId) => getItem(config, conversationId),
    async uploadStream(key, body, contentType) {
      let bytes = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      body.on('error', (error) => counted.destroy(error));
      try {
        const upload = new Upload({
          client: config.s3,
          params: { Bucket: config.bucketName, Key: key, Body: body.pipe(counted), ContentType: contentType },
          partSize: UPLOAD_PART_BYTES,
          queueSize: 1,
        });
        await upload.done();
        return bytes;
      } catch (error) {
        // The download may still be open: free its socket (the upload itself was aborted by the SDK).
        body.destroy();
        if ((error as Error)?.name === 'ElevenLabsApiError') throw error;
        throw sdkFailure('object', 'S3 multipart upload', error);
      }
    },
    async applyUpdate(update, { now, retentionDays, object }) {
      const applied = await send(config, { ...toWire(buildUpdateRequest(config.tableName, update, now, retentionDays)), ReturnValues: 'UPDATED_OLD' });
      if (applied) {
        const before = applied.Attributes ?? {};
        if (object) await putObjectOrUndo(object, update, before);
        return before[EVENT_TIMESTAMP_ATTRIBUTE[update.eventType]] === undefined ? 'created' : 'applied';
      }
      if (config.deletionSweep) await requeueDeletedCall(update.conversationId, now);
      return 'stale';
    },
    async recordStoreError(record, { now, retentionDays }) {
      await send(config, toWire(buildStoreErrorRequest(config.tableName, record, now, retentionDays)));
    },
  };

  /** The object of an update that applied; when it cannot be written, the update is undone. */
  async function putObjectOrUndo(object: CallObject, update: CallUpdate, before: DynamoDBItem) {
    try {
      await putObject(object.key, object.body, object.contentType);
    } catch (error) {
      // If the undo fails too, the item points at a missing object until the event comes again.
      await send(config, buildUndoRequest(config.tableName, update, before)).catch(() => undefined);
      throw error;
    }
  }

  /**
   * A stale delivery changed nothing; but if the call's data was deleted already, what this
   * delivery archived (its raw body) is deleted by the next sweep.
   */
  async function requeueDeletedCall(conversationId: string, now: Date) {
    await send(config, {
      TableName: config.tableName,
      Key: { conversation_id: toDynamoDB(conversationId) },
      UpdateExpression: 'SET #queue = :due, #dueAt = :now',
      ConditionExpression: 'attribute_exists(transcript_deleted_at) OR attribute_exists(audio_deleted_at)',
      ExpressionAttributeNames: { '#queue': DELETION_QUEUE_ATTRIBUTE, '#dueAt': DELETION_DUE_ATTRIBUTE },
      ExpressionAttributeValues: toDynamoDBValues({ ':due': DELETION_QUEUE_DUE, ':now': Math.floor(now.getTime() / 1000) }),
    });
  }
}
