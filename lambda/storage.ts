import { DynamoDBClient, type DynamoDBClientConfig, GetItemCommand, paginateQuery, UpdateItemCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client, type ObjectIdentifier } from '@aws-sdk/client-s3';
import { fromDynamoDBItem, toDynamoDB, toDynamoDBValues } from './attribute-values';
import { requiredEnv } from './config';
import { StorageError } from './errors';
import { BY_DELETION_DUE_INDEX, DELETION_QUEUE_DUE } from '../lib/calls-table-schema';
import type { DeletionStore } from './deletion';
import { EVENT_TIMESTAMP_ATTRIBUTE, type CallUpdate, type StoreErrorRecord } from './call-item';
import { buildRequeueRequest, buildScrubRequest, buildStoreErrorRequest, buildUpdateRequest, toWire } from './update-requests';

export interface UpdateOptions {
  readonly now: Date;
  readonly retentionDays?: number;
  /** Applies an event as new as the one the item holds too: a rebuild from S3 replaying the archive. */
  readonly replay?: boolean;
}

/** What the webhook flow needs from storage; the one place that talks to the AWS SDK. */
export interface CallStore {
  /** Writes an object under the bucket. */
  putObject(key: string, body: Buffer | string, contentType: string): Promise<void>;
  /**
   * Applies an event's attributes to its call's item, creating it if needed.
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

/** The webhook's writes, and reading an item and checking an object (reconciliation, rebuild). */
export interface CallStoreWithReads extends CallStore {
  getCall(conversationId: string): Promise<Record<string, unknown> | undefined>;
  /** Whether an object is there (an envelope's MP3 whose write failed; an item of an earlier version pointing at an MP3 never written). */
  objectExists(key: string): Promise<boolean>;
}

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

/**
 * Slow storage must end in an answer ElevenLabs retries (500), not in API Gateway's 30 s timeout:
 * each attempt gets this long, and the SDK's three attempts fit in the function's 25 s.
 */
export const STORAGE_HTTP_OPTIONS = { connectionTimeout: 2_000, requestTimeout: 6_000, throwOnRequestTimeout: true } as const;

/**
 * The SDK logs nothing by default, yet its logger middleware builds a copy of every request and
 * response with sensitive members masked for `logger.info` whenever the logger has an `info`: on
 * an UpdateItem of a call's item that walk is the SDK's largest cost on the first webhooks, and
 * the JIT compiles it. A logger without `info` and `error` (the middleware calls them as
 * `logger?.info?.()`) skips it; what the SDK calls unconditionally (debug, warn) does nothing, as
 * its default logger does.
 */
export const SILENT_SDK_LOGGER = { trace() {}, debug() {}, warn() {} } as unknown as NonNullable<DynamoDBClientConfig['logger']>;

/** The DynamoDB and S3 clients of the receiver's functions; endpoints follow AWS_ENDPOINT_URL_* as usual. */
export function createStorageClients(env: NodeJS.ProcessEnv) {
  return {
    dynamodb: new DynamoDBClient({ requestHandler: STORAGE_HTTP_OPTIONS, logger: SILENT_SDK_LOGGER }),
    // CRC checksums on multi-megabyte audio cost CPU for no gain over TLS; emulators need path style.
    s3: new S3Client({
      logger: SILENT_SDK_LOGGER,
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

export function sdkFailure(reason: StorageError['reason'], what: string, error: unknown): StorageError {
  // Name and HTTP status only: SDK messages can quote keys and values.
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return new StorageError(reason, `${what} failed: ${e?.name ?? 'Error'} (HTTP ${e?.$metadata?.httpStatusCode ?? '-'})`, {
    cause: error,
    // DynamoDB refusing the request itself: the same request will be refused again.
    permanent: e?.name === 'ValidationException',
  });
}

/** An UpdateItem; undefined when its condition did not hold. */
async function send(config: StorageConfig, request: UpdateItemCommandInput) {
  try {
    return await config.dynamodb.send(new UpdateItemCommand(request));
  } catch (error) {
    if ((error as Error)?.name === 'ConditionalCheckFailedException') return undefined;
    throw sdkFailure('item', 'DynamoDB UpdateItem', error);
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

/**
 * Deletes every version and delete marker of the keys given (exactly) and under the folders given,
 * but those under `keep`: what a versioned bucket would otherwise hold on to. Returns how many.
 */
export async function deleteObjectVersions(s3: S3Client, Bucket: string, keys: readonly string[], folders: readonly string[], keep: readonly string[] = []): Promise<number> {
  /** Every version and delete marker whose key starts with the prefix (and equals it, when exact). */
  async function versionsOf(prefix: string, exact: boolean): Promise<ObjectIdentifier[]> {
    const found: ObjectIdentifier[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: prefix, KeyMarker, VersionIdMarker }));
      for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        const key = v.Key;
        if (key !== undefined && (!exact || key === prefix) && !keep.some((folder) => key.startsWith(folder))) found.push({ Key: key, VersionId: v.VersionId });
      }
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (KeyMarker !== undefined);
    return found;
  }
  const listed = await Promise.all([...keys.map((key) => versionsOf(key, true)), ...folders.map((folder) => versionsOf(folder, false))]);
  const versions = listed.flat();
  for (let i = 0; i < versions.length; i += DELETE_BATCH) {
    const { Errors } = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: versions.slice(i, i + DELETE_BATCH), Quiet: true } }));
    if (Errors?.length) throw Object.assign(new Error(`${Errors.length} objects not deleted (${Errors[0].Code})`), { name: 'DeleteObjectsError' });
  }
  return versions.length;
}

/** The deletion sweep's adapter: the due index, permanent deletion of object versions, the item scrub. */
export function createDeletionStore(config: StorageConfig): DeletionStore {
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
        return await deleteObjectVersions(config.s3, config.bucketName, keys, folders, keep);
      } catch (error) {
        throw sdkFailure('object', 'S3 object deletion', error);
      }
    },
    async scrubCall(scrub) {
      return (await send(config, toWire(buildScrubRequest(config.tableName, scrub)))) !== undefined;
    },
  };
}

/** The DynamoDB and S3 adapter. */
export function createCallStore(config: StorageConfig): CallStoreWithReads {
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
    async objectExists(key) {
      try {
        await config.s3.send(new HeadObjectCommand({ Bucket: config.bucketName, Key: key }));
        return true;
      } catch (error) {
        // Without s3:ListBucket (the reconciler has none), S3 answers 403, not 404, for a missing key.
        const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
        if (status === 404 || status === 403) return false;
        throw sdkFailure('object', 'S3 HeadObject', error);
      }
    },
    async applyUpdate(update, { now, retentionDays, replay }) {
      const applied = await send(config, { ...toWire(buildUpdateRequest(config.tableName, update, now, retentionDays, replay)), ReturnValues: 'UPDATED_OLD' });
      if (applied) return applied.Attributes?.[EVENT_TIMESTAMP_ATTRIBUTE[update.eventType]] === undefined ? 'created' : 'applied';
      // Stale, so nothing changed; but if the call's data was deleted already, what this delivery
      // archived (its raw body, or its MP3 and envelope) is deleted by the next sweep.
      if (config.deletionSweep) await send(config, toWire(buildRequeueRequest(config.tableName, update.conversationId, now)));
      return 'stale';
    },
    async recordStoreError(record, { now, retentionDays }) {
      await send(config, toWire(buildStoreErrorRequest(config.tableName, record, now, retentionDays)));
    },
  };

}
