import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { fromDynamoDBItem } from '../../lambda/attribute-values';
import { changeActions } from '../../lambda/analytics/call-changes';
import { CALL_ROWS_PREFIX, rowLine } from '../../lambda/analytics/call-row';
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
  /** With `prune`: rows found that no item has (a day its call has left, an item gone), removed with every version. */
  pruned: number;
}

/** Every row key in the bucket. */
async function rowKeys(target: CallsTarget & { bucketName: string }): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await target.s3.send(new ListObjectsV2Command({ Bucket: target.bucketName, Prefix: CALL_ROWS_PREFIX, ContinuationToken }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key as string));
    ContinuationToken = page.NextContinuationToken;
  } while (ContinuationToken);
  return keys;
}

/**
 * Writes every stored call's row; with `prune`, then removes the rows no item has (the keys of the
 * rows written are kept in memory meanwhile: about 100 bytes a call).
 */
export async function exportRows(target: CallsTarget, options: { dryRun?: boolean; prune?: boolean; onProgress?: (report: ExportReport) => void } = {}): Promise<ExportReport> {
  const { bucketName } = target;
  if (!bucketName) throw new Error('No bucket known: pass --bucket with --table (or --stack).');
  const rows = s3RowStore(target.s3, bucketName);
  const report: ExportReport = { items: 0, rows: 0, pruned: 0 };
  const written = new Set<string>();
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await target.dynamodb.send(new ScanCommand({ TableName: target.tableName, ExclusiveStartKey }));
    for (const item of page.Items ?? []) {
      report.items += 1;
      const { put } = changeActions(undefined, fromDynamoDBItem(item));
      if (!put) continue;
      if (!options.dryRun) await rows.put(put.key, rowLine(put.row));
      if (options.prune) written.add(put.key);
      report.rows += 1;
    }
    options.onProgress?.(report);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  if (options.prune) {
    const stale = (await rowKeys({ ...target, bucketName })).filter((key) => !written.has(key));
    report.pruned = stale.length;
    if (!options.dryRun && stale.length > 0) await rows.purge(stale);
  }
  return report;
}
