import { ScanCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startMonth } from '../../lambda/call-item';
import { BY_MONTH_INDEX } from '../calls-table-schema';

/*
 * The calls list's index key for items stored before the month index existed. The webhook writes
 * `start_month` beside every start time; an older item has the start time alone, and shows in the
 * list once it has its month. `calls rebuild` fills it (after re-deriving what the archive holds),
 * and npm start does while upgrading its local table.
 */

const MONTH = BY_MONTH_INDEX.partitionKey.name;
const START = BY_MONTH_INDEX.sortKey.name;

/** The item with its month added when it has a start time and no month yet (as DynamoDB items, unchanged otherwise). */
export function withStartMonth(item: Record<string, AttributeValue>): Record<string, AttributeValue> {
  const start = item[START]?.N;
  if (start === undefined || item[MONTH] !== undefined) return item;
  return { ...item, [MONTH]: { S: startMonth(Number(start)) as string } };
}

/**
 * Gives every item with a start time the month of that start time, where it has none or another
 * (an event that set the month only where missing, on an item from before the index, filed it
 * under its own month), reading ids, start times and months only. Each write is conditional on
 * what it was computed from, so a call updated meanwhile is left to the webhook, which writes
 * both. Returns how many items lacked it or had another.
 */
export async function fillMonthKeys(target: { tableName: string; dynamodb: DynamoDBClient }, options: { dryRun?: boolean } = {}): Promise<number> {
  let lacking = 0;
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await target.dynamodb.send(new ScanCommand({
      TableName: target.tableName,
      ProjectionExpression: 'conversation_id, #start, #month',
      FilterExpression: 'attribute_exists(#start)',
      ExpressionAttributeNames: { '#start': START, '#month': MONTH },
      ExclusiveStartKey,
    }));
    for (const item of page.Items ?? []) {
      const held = item[MONTH]?.S;
      const month = startMonth(Number(item[START].N)) as string;
      if (held === month) continue;
      lacking += 1;
      if (options.dryRun) continue;
      await target.dynamodb.send(new UpdateItemCommand({
        TableName: target.tableName,
        Key: { conversation_id: item.conversation_id },
        UpdateExpression: 'SET #month = :month',
        ConditionExpression: held === undefined ? '#start = :start AND attribute_not_exists(#month)' : '#start = :start AND #month = :held',
        ExpressionAttributeNames: { '#start': START, '#month': MONTH },
        ExpressionAttributeValues: { ':start': item[START], ':month': { S: month }, ...(held === undefined ? {} : { ':held': { S: held } }) },
      })).catch((error: Error) => {
        if (error.name !== 'ConditionalCheckFailedException') throw error;
      });
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return lacking;
}
