import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { deleteObjectVersions } from '../storage';
import type { CallEvent, ChangeActions } from './call-changes';
import { EVENT_SOURCE } from './event-names';
import { rowLine } from './call-row';

/*
 * Carrying out what a change of a call means (call-changes.ts): the analytics row written, moved
 * or removed in S3, and the events published. The adapters are passed in: EventBridge and S3 in
 * the stream function, a file and the local S3 under npm start.
 */

export interface RowStore {
  put(key: string, body: string): Promise<void>;
  /** Removes these rows, every version of them: a row is derived data, and its versions may hold what a deletion removed. */
  purge(keys: readonly string[]): Promise<void>;
}

export interface EventPublisher {
  publish(events: readonly CallEvent[]): Promise<void>;
}

export interface Outflow {
  /** Absent: no analytics rows (the `analytics` prop off). */
  readonly rows?: RowStore;
  /** Absent: no events (the `callEvents` prop off). */
  readonly events?: EventPublisher;
}

/**
 * Does what the actions say, in an order a retry can repeat: old versions purged before the
 * scrubbed row is written, the row written before its old day's copy is removed (a failure in
 * between leaves two copies, never none), events last (at least once: a retry may repeat them).
 */
export async function carryOut(actions: ChangeActions, outflow: Outflow): Promise<void> {
  const { rows, events } = outflow;
  if (rows) {
    if (actions.purgeVersions && actions.put) await rows.purge([actions.put.key]);
    if (actions.put) await rows.put(actions.put.key, rowLine(actions.put.row));
    if (actions.remove.length > 0) await rows.purge(actions.remove);
  }
  if (events && actions.events.length > 0) await events.publish(actions.events);
}

/** The rows in the calls bucket. */
export function s3RowStore(s3: S3Client, bucket: string): RowStore {
  return {
    async put(key, body) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }));
    },
    async purge(keys) {
      await deleteObjectVersions(s3, bucket, keys, []);
    },
  };
}

/** PutEvents takes at most 10 entries, and 256 KB in all, a request (kept under with room for the envelope). */
const PUT_EVENTS_MAX = 10;
const PUT_EVENTS_MAX_BYTES = 240 * 1024;

type Entry = { EventBusName: string; Source: string; DetailType: string; Detail: string };
const entryBytes = (e: Entry) => Buffer.byteLength(e.Source) + Buffer.byteLength(e.DetailType) + Buffer.byteLength(e.Detail);

/** Entries in requests of at most 10 and 240 KB (each detail is under 200 KB: see eventDetail). */
export function putEventsRequests(entries: readonly Entry[]): Entry[][] {
  const requests: Entry[][] = [];
  let current: Entry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (current.length === PUT_EVENTS_MAX || (current.length > 0 && bytes + entryBytes(entry) > PUT_EVENTS_MAX_BYTES)) {
      requests.push(current);
      [current, bytes] = [[], 0];
    }
    current.push(entry);
    bytes += entryBytes(entry);
  }
  if (current.length) requests.push(current);
  return requests;
}

/** The events on an EventBridge bus; any entry refused fails the whole change, so it is retried. */
export function eventBridgePublisher(client: EventBridgeClient, busName: string): EventPublisher {
  return {
    async publish(events) {
      const entries = events.map((event) => ({ EventBusName: busName, Source: EVENT_SOURCE, DetailType: event.detailType, Detail: JSON.stringify(event.detail) }));
      for (const Entries of putEventsRequests(entries)) {
        const { FailedEntryCount, Entries: results } = await client.send(new PutEventsCommand({ Entries }));
        if (FailedEntryCount) {
          const failed = results?.find((r) => r.ErrorCode);
          throw Object.assign(new Error(`${FailedEntryCount} of ${Entries.length} events refused (${failed?.ErrorCode ?? 'unknown'})`), { name: 'PutEventsFailed' });
        }
      }
    },
  };
}
