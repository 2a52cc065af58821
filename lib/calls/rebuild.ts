import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EVENT_TIMESTAMP_ATTRIBUTE } from '../../lambda/call-item';
import { describeError } from '../../lambda/errors';
import { archiveEntry, REBUILD_PREFIXES, rebuildWrite, type ArchivedObject } from '../../lambda/rebuild';
import { createCallStore } from '../../lambda/storage';
import { fillMonthKeys } from './month-keys';

/*
 * `npm run calls -- rebuild`: every call's item re-derived from what S3 keeps, through the same
 * mapping and ordering guards as the webhook. An archived event as new as the item's is applied
 * again (so today's mapping fills attributes and index keys an older version left out); an older
 * one changes nothing; what a deletion removed is no longer in S3 to come back. Items whose
 * archive is gone get the calls list's month key from their start time.
 */

export interface RebuildTarget {
  readonly tableName: string;
  readonly bucketName: string;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
}

export interface RebuildOptions {
  /** Only deliveries signed (or API answers fetched) at or after this, unix seconds. */
  readonly sinceUnixSecs?: number;
  readonly untilUnixSecs?: number;
  /** Read and map everything, write nothing: say what would change. */
  readonly dryRun?: boolean;
  /** The stack's retentionDays, so rebuilt items expire as the webhook's would. */
  readonly retentionDays?: number;
  readonly now?: () => Date;
  /** Called after each object, for progress on a terminal. */
  readonly onProgress?: (report: RebuildReport) => void;
}

export interface RebuildReport {
  /** Archived objects in the period. */
  objects: number;
  /** Objects that stand for an update (the others: unknown types, bodies never valid). */
  updates: number;
  /** Updates applied (or, with --dry-run, that would apply). */
  applied: number;
  /** Updates older than what the item holds: nothing changed. */
  unchanged: number;
  /** MP3s of earlier versions' whole audio bodies written where the item now points. */
  mp3Written: number;
  /** Audio envelopes whose MP3 is not there (its write failed): nothing to point at. */
  missingMp3: number;
  /** Conversations touched. */
  calls: number;
  /** Items stored before the month index that got (or, with --dry-run, lack) its key: see fillMonthKeys. */
  monthKeys: number;
  /** `key: error`, never a message from a payload. */
  failures: string[];
}

async function* listArchive(target: RebuildTarget): AsyncGenerator<ArchivedObject> {
  for (const Prefix of REBUILD_PREFIXES) {
    let ContinuationToken: string | undefined;
    do {
      const page = await target.s3.send(new ListObjectsV2Command({ Bucket: target.bucketName, Prefix, ContinuationToken }));
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        yield { key: object.Key, bytes: object.Size ?? 0, lastModifiedUnixSecs: Math.floor((object.LastModified?.getTime() ?? 0) / 1000) };
      }
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
  }
}

async function readObject(target: RebuildTarget, key: string): Promise<Buffer> {
  const out = await target.s3.send(new GetObjectCommand({ Bucket: target.bucketName, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** Rebuilds every call's item from the archive in S3 (within the period, when given). */
export async function rebuildCalls(target: RebuildTarget, options: RebuildOptions = {}): Promise<RebuildReport> {
  const report: RebuildReport = { objects: 0, updates: 0, applied: 0, unchanged: 0, mp3Written: 0, missingMp3: 0, calls: 0, monthKeys: 0, failures: [] };
  // A replay refused for a call whose data was deleted puts it back in the deletion queue, as a
  // redelivery does: the sweep then deletes whatever the archive still held of it.
  const store = createCallStore({ ...target, deletionSweep: true });
  const now = options.now ?? (() => new Date());
  const calls = new Set<string>();
  for await (const object of listArchive(target)) {
    const entry = archiveEntry(object);
    if (!entry) continue;
    if ((options.sinceUnixSecs !== undefined && entry.at < options.sinceUnixSecs) || (options.untilUnixSecs !== undefined && entry.at > options.untilUnixSecs)) continue;
    report.objects += 1;
    try {
      const write = await rebuildWrite(object, entry, () => readObject(target, object.key));
      if (!write) continue;
      if (write.requires && !(await store.objectExists(write.requires))) {
        report.missingMp3 += 1;
        continue;
      }
      report.updates += 1;
      calls.add(write.update.conversationId);
      if (options.dryRun) {
        const held = (await store.getCall(write.update.conversationId))?.[EVENT_TIMESTAMP_ATTRIBUTE[write.update.eventType]];
        if (typeof held === 'number' && held > write.update.eventTimestamp) report.unchanged += 1;
        else report.applied += 1;
        continue;
      }
      if (write.mp3 && !(await store.objectExists(write.mp3.key))) {
        await store.putObject(write.mp3.key, write.mp3.body, write.mp3.contentType);
        report.mp3Written += 1;
      }
      // Dated when delivered: a rebuilt item expires (with --retention-days) as the webhook's would have.
      const at = new Date(Math.min(now().getTime(), entry.at * 1000));
      const result = await store.applyUpdate(write.update, { now: at, retentionDays: options.retentionDays, replay: true });
      if (result === 'stale') report.unchanged += 1;
      else report.applied += 1;
    } catch (error) {
      report.failures.push(`${object.key}: ${describeError(error)}`);
    } finally {
      report.calls = calls.size;
      options.onProgress?.(report);
    }
  }
  // Last, for what the archive no longer holds (expired, or from before it kept everything).
  report.monthKeys = await fillMonthKeys(target, { dryRun: options.dryRun });
  return report;
}
