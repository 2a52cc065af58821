import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, HeadObjectCommand } from '@aws-sdk/client-s3';
import { fromDynamoDBItem, toDynamoDBValues } from '../../lambda/attribute-values';
import { startMonth } from '../../lambda/call-item';
import type { Emulators } from '../../lib/local/emulators';

/** Reads back what the receiver stored in the emulators, through the real SDK and the receiver's own item codec. */
export function storageReader(emulators: Emulators) {
  const Bucket = emulators.bucketName;
  return {
    async item(conversationId: string): Promise<Record<string, any> | undefined> {
      const { Item } = await emulators.dynamodb.send(new GetItemCommand({ TableName: emulators.tableName, Key: { conversation_id: { S: conversationId } }, ConsistentRead: true }));
      return Item && fromDynamoDBItem(Item);
    },
    /** The item as DynamoDB holds it, in its wire format. */
    async rawItem(conversationId: string) {
      const { Item } = await emulators.dynamodb.send(new GetItemCommand({ TableName: emulators.tableName, Key: { conversation_id: { S: conversationId } }, ConsistentRead: true }));
      return Item;
    },
    async object(key: string): Promise<{ body: Buffer; contentType?: string }> {
      const out = await emulators.s3.send(new GetObjectCommand({ Bucket, Key: key }));
      return { body: Buffer.from(await out.Body!.transformToByteArray()), contentType: out.ContentType };
    },
    async exists(key: string): Promise<boolean> {
      try {
        await emulators.s3.send(new HeadObjectCommand({ Bucket, Key: key }));
        return true;
      } catch {
        return false;
      }
    },
    async keys(prefix = ''): Promise<string[]> {
      const keys: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const page = await emulators.s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        ContinuationToken = page.NextContinuationToken;
      } while (ContinuationToken);
      return keys;
    },
  };
}

/**
 * A hand-made item as the receiver stores it: a call with a start time carries the month the
 * calls list's index reads (`start_month`), which the webhook's mapping always writes beside it.
 */
export function asStoredItem(item: Record<string, unknown>) {
  const withMonth = typeof item.start_time_unix_secs === 'number' && item.start_month === undefined ? { ...item, start_month: startMonth(item.start_time_unix_secs) } : item;
  return toDynamoDBValues(withMonth as Parameters<typeof toDynamoDBValues>[0]);
}
