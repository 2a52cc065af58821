import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client, type ObjectIdentifier } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import { Transform, type Readable } from 'node:stream';
import { requiredEnv } from './config';
import { StorageError } from './errors';
import { BY_DELETION_DUE_INDEX, DELETION_QUEUE_DUE, EXPIRY_ATTRIBUTE } from '../lib/calls-table-schema';
import type { DeletionStore, ItemScrub } from './deletion';
import { DELETION_DUE_ATTRIBUTE, DELETION_QUEUE_ATTRIBUTE, EVENT_TIMESTAMP_ATTRIBUTE, type CallUpdate } from './records';

/** What the webhook flow needs from storage; the one place that talks to the AWS SDK. */
export interface CallStore {
  /** Writes an object under the bucket. */
  putObject(key: string, body: Buffer | string, contentType: string): Promise<void>;
  /**
   * Applies an event's attributes to its call's item, creating it if needed.
   * @returns `created` when the item held nothing of this kind before (the first delivery),
   *   `applied` when it replaced an older one, `stale` when it held the same or a newer one
   */
  applyUpdate(update: CallUpdate, options: { now: Date; retentionDays?: number }): Promise<'created' | 'applied' | 'stale'>;
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
  return new StorageError(reason, `${what} failed: ${e?.name ?? 'Error'} (HTTP ${e?.$metadata?.httpStatusCode ?? '-'})`, { cause: error });
}

/** An update expression's placeholders: every attribute name and value gets its own, so any name is safe. */
function placeholders() {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  let n = 0;
  const name = (attribute: string) => {
    names[`#a${n}`] = attribute;
    return `#a${n++}`;
  };
  const value = (v: unknown) => {
    values[`:v${n}`] = v;
    return `:v${n++}`;
  };
  /** `a = v`, or `a = if_not_exists(a, v)` to keep a value already there. */
  const assignment = (attribute: string, v: unknown, onlyIfMissing = false) => {
    const a = name(attribute);
    return onlyIfMissing ? `${a} = if_not_exists(${a}, ${value(v)})` : `${a} = ${value(v)}`;
  };
  return { names, values, name, value, assignment };
}

/** Builds the UpdateItem request: owned attributes, if_not_exists for the others, and the ordering guard. */
export function buildUpdateRequest(tableName: string, update: CallUpdate, now: Date, retentionDays?: number) {
  const { names, values, name, assignment } = placeholders();
  const assignments = Object.entries(update.set).map(([attribute, value]) => assignment(attribute, value));
  for (const [attribute, value] of Object.entries(update.setIfMissing)) {
    if (!(attribute in update.set)) assignments.push(assignment(attribute, value, true));
  }
  assignments.push(assignment(EVENT_TIMESTAMP_ATTRIBUTE[update.eventType], update.eventTimestamp));
  assignments.push(assignment('updated_at', now.toISOString()));
  if (retentionDays !== undefined) {
    assignments.push(assignment(EXPIRY_ATTRIBUTE, Math.floor(now.getTime() / 1000) + retentionDays * 86_400));
  }
  names['#events'] = 'events_received';
  values[':event'] = new Set([update.eventType]);
  names['#ts'] = EVENT_TIMESTAMP_ATTRIBUTE[update.eventType];
  values[':ts'] = update.eventTimestamp;
  const removals = (update.remove ?? []).map(name);
  return {
    TableName: tableName,
    Key: { conversation_id: update.conversationId },
    UpdateExpression: `SET ${assignments.join(', ')}${removals.length ? ` REMOVE ${removals.join(', ')}` : ''} ADD #events :event`,
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

function documentClient(config: StorageConfig) {
  return DynamoDBDocumentClient.from(config.dynamodb, { marshallOptions: { removeUndefinedValues: true } });
}

async function getItem(documents: DynamoDBDocumentClient, tableName: string, conversationId: string) {
  try {
    const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { conversation_id: conversationId }, ConsistentRead: true }));
    return Item;
  } catch (error) {
    throw sdkFailure('item', 'DynamoDB GetItem', error);
  }
}

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

/** The deletion sweep's adapter: the due index, permanent deletion of object versions, the item scrub. */
export function createDeletionStore(config: StorageConfig): DeletionStore {
  const documents = documentClient(config);
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
        { client: documents },
        {
          TableName: config.tableName,
          IndexName: BY_DELETION_DUE_INDEX.indexName,
          KeyConditionExpression: '#queue = :due AND #at <= :now',
          ExpressionAttributeNames: { '#queue': BY_DELETION_DUE_INDEX.partitionKey.name, '#at': BY_DELETION_DUE_INDEX.sortKey.name },
          ExpressionAttributeValues: { ':due': DELETION_QUEUE_DUE, ':now': nowUnixSecs },
        },
      );
      try {
        for await (const page of pages) {
          for (const item of page.Items ?? []) yield item.conversation_id as string;
        }
      } catch (error) {
        throw sdkFailure('item', 'DynamoDB Query', error);
      }
    },
    getCall: (conversationId) => getItem(documents, config.tableName, conversationId),
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
      try {
        await documents.send(new UpdateCommand(buildScrubRequest(config.tableName, scrub)));
        return true;
      } catch (error) {
        if ((error as Error)?.name === 'ConditionalCheckFailedException') return false;
        throw sdkFailure('item', 'DynamoDB UpdateItem', error);
      }
    },
  };
}

/** The DynamoDB and S3 adapter. */
export function createCallStore(config: StorageConfig): ReconciliationStore {
  const documents = documentClient(config);
  return {
    async putObject(key, body, contentType) {
      try {
        await config.s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: body, ContentType: contentType }));
      } catch (error) {
        throw sdkFailure('object', 'S3 PutObject', error);
      }
    },
    getCall: (conversationId) => getItem(documents, config.tableName, conversationId),
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
    async applyUpdate(update, { now, retentionDays }) {
      try {
        const { Attributes: before } = await documents.send(new UpdateCommand({ ...buildUpdateRequest(config.tableName, update, now, retentionDays), ReturnValues: 'UPDATED_OLD' }));
        return before?.[EVENT_TIMESTAMP_ATTRIBUTE[update.eventType]] === undefined ? 'created' : 'applied';
      } catch (error) {
        if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw sdkFailure('item', 'DynamoDB UpdateItem', error);
      }
      if (!config.deletionSweep) return 'stale';
      // Stale, so nothing changed; but if the call's data was deleted already, what this delivery
      // wrote (its raw body, a transcript) is deleted by the next sweep.
      try {
        await documents.send(
          new UpdateCommand({
            TableName: config.tableName,
            Key: { conversation_id: update.conversationId },
            UpdateExpression: 'SET #queue = :due, #dueAt = :now',
            ConditionExpression: 'attribute_exists(transcript_deleted_at) OR attribute_exists(audio_deleted_at)',
            ExpressionAttributeNames: { '#queue': DELETION_QUEUE_ATTRIBUTE, '#dueAt': DELETION_DUE_ATTRIBUTE },
            ExpressionAttributeValues: { ':due': DELETION_QUEUE_DUE, ':now': Math.floor(now.getTime() / 1000) },
          }),
        );
      } catch (error) {
        if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw sdkFailure('item', 'DynamoDB UpdateItem', error);
      }
      return 'stale';
    },
  };
}
