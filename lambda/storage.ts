import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { StorageError } from './errors';
import { EXPIRY_ATTRIBUTE } from '../lib/calls-table-schema';
import { EVENT_TIMESTAMP_ATTRIBUTE, type CallUpdate } from './records';

/** What the webhook flow needs from storage; the one place that talks to the AWS SDK. */
export interface CallStore {
  /** Writes an object under the bucket. */
  putObject(key: string, body: Buffer, contentType: string): Promise<void>;
  /**
   * Applies an event's attributes to its call's item, creating it if needed.
   * @returns `stale` when the item already holds this event type at the same or a newer timestamp
   */
  applyUpdate(update: CallUpdate, options: { now: Date; retentionDays?: number }): Promise<'applied' | 'stale'>;
}

export interface StorageConfig {
  readonly tableName: string;
  readonly bucketName: string;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
}

function sdkFailure(reason: StorageError['reason'], what: string, error: unknown): StorageError {
  // Name and HTTP status only: SDK messages can quote keys and values.
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return new StorageError(reason, `${what} failed: ${e?.name ?? 'Error'} (HTTP ${e?.$metadata?.httpStatusCode ?? '-'})`, { cause: error });
}

/** Builds the UpdateItem request: owned attributes, if_not_exists for the others, and the ordering guard. */
export function buildUpdateRequest(tableName: string, update: CallUpdate, now: Date, retentionDays?: number) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const assignments: string[] = [];
  let n = 0;
  const assign = (attribute: string, value: unknown, onlyIfMissing: boolean) => {
    const name = `#a${n}`;
    const placeholder = `:v${n}`;
    n += 1;
    names[name] = attribute;
    values[placeholder] = value;
    assignments.push(onlyIfMissing ? `${name} = if_not_exists(${name}, ${placeholder})` : `${name} = ${placeholder}`);
  };
  for (const [attribute, value] of Object.entries(update.set)) assign(attribute, value, false);
  for (const [attribute, value] of Object.entries(update.setIfMissing)) {
    if (!(attribute in update.set)) assign(attribute, value, true);
  }
  assign(EVENT_TIMESTAMP_ATTRIBUTE[update.eventType], update.eventTimestamp, false);
  assign('updated_at', now.toISOString(), false);
  if (retentionDays !== undefined) {
    assign(EXPIRY_ATTRIBUTE, Math.floor(now.getTime() / 1000) + retentionDays * 86_400, false);
  }
  names['#events'] = 'events_received';
  values[':event'] = new Set([update.eventType]);
  names['#ts'] = EVENT_TIMESTAMP_ATTRIBUTE[update.eventType];
  values[':ts'] = update.eventTimestamp;
  const removals = (update.remove ?? []).map((attribute, i) => {
    names[`#r${i}`] = attribute;
    return `#r${i}`;
  });
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

/** The DynamoDB and S3 adapter. */
export function createCallStore(config: StorageConfig): CallStore {
  const documents = DynamoDBDocumentClient.from(config.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    async putObject(key, body, contentType) {
      try {
        await config.s3.send(new PutObjectCommand({ Bucket: config.bucketName, Key: key, Body: body, ContentType: contentType }));
      } catch (error) {
        throw sdkFailure('object', 'S3 PutObject', error);
      }
    },
    async applyUpdate(update, { now, retentionDays }) {
      try {
        await documents.send(new UpdateCommand(buildUpdateRequest(config.tableName, update, now, retentionDays)));
        return 'applied';
      } catch (error) {
        if ((error as Error)?.name === 'ConditionalCheckFailedException') return 'stale';
        throw sdkFailure('item', 'DynamoDB UpdateItem', error);
      }
    },
  };
}
