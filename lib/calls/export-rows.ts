import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { fromDynamoDBItem } from '../../lambda/attribute-values';
import { changeActions } from '../../lambda/analytics/call-changes';
import { rowLine } from '../../lambda/analytics/call-row';
import { s3RowStore } from '../../lambda/analytics/outflow';
import type { CallsTarget } from './calls-target';

/*
 * `npm run calls -- export`: the analytics row of every call already stored, so turning the
 * analytics on later (or restoring the rows) loses nothing. The same mapping as the stream
 * function, no events (the calls are not new). A scan: it reads (and bills) the whole table once.
 */

export interface ExportReport {
  /** Items read. */
  items: number;
  /** Rows written (calls with a start time). */
  rows: number;
}

export async function exportRows(target: CallsTarget, options: { dryRun?: boolean; onProgress?: (report: ExportReport) => void } = {}): Promise<ExportReport> {
  if (!target.bucketName) throw new Error('No bucket known: pass --bucket with --table (or --stack).');
  const rows = s3RowStore(target.s3, target.bucketName);
  const report: ExportReport = { items: 0, rows: 0 };
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await target.dynamodb.send(new ScanCommand({ TableName: target.tableName, ExclusiveStartKey }));
    for (const item of page.Items ?? []) {
      report.items += 1;
      const { put } = changeActions(undefined, fromDynamoDBItem(item));
      if (!put) continue;
      if (!options.dryRun) await rows.put(put.key, rowLine(put.row));
      report.rows += 1;
    }
    options.onProgress?.(report);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return report;
}
