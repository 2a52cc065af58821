import { appendFile } from 'node:fs/promises';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { fromDynamoDBItem } from '../../lambda/attribute-values';
import { changeActions } from '../../lambda/analytics/call-changes';
import { carryOut, s3RowStore, type EventPublisher, type Outflow } from '../../lambda/analytics/outflow';
import { describeError } from '../../lambda/errors';
import type { Emulators } from './emulators';

/*
 * The calls table's stream, locally. dynalite has none, so every store npm start writes through
 * is observed: the item is read before and after each write, and the pair goes through the same
 * decisions and outflow as the deployed stream function. Rows land in the local bucket; events in
 * a JSON-lines file, with one log line each (detail-type and conversation id only).
 */

/** The store methods that write a call's item; their first argument names the call. */
const ITEM_WRITES = new Set(['applyUpdate', 'recordStoreError', 'scrubCall']);

/** Events appended to a file, one JSON object a line, as EventBridge would deliver them. */
export function fileEventPublisher(file: string, log: (line: string) => void): EventPublisher {
  return {
    async publish(events) {
      const lines = events.map((event) => JSON.stringify({ source: 'elevenlabs-webhook-receiver', 'detail-type': event.detailType, time: new Date().toISOString(), detail: event.detail }));
      await appendFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
      for (const event of events) log(`event: ${event.detailType} ${String(event.detail.conversation_id)}`);
    },
  };
}

export interface LocalOutflow {
  /** The store, its item writes followed by their rows and events. */
  observe<T extends object>(store: T): T;
  /** Resolves once every change so far has been carried out. */
  settled(): Promise<void>;
}

export function startLocalOutflow(emulators: Emulators, eventsFile: string, log: (line: string) => void): LocalOutflow {
  const outflow: Outflow = { rows: s3RowStore(emulators.s3, emulators.bucketName), events: fileEventPublisher(eventsFile, log) };
  const read = async (conversationId: string) => {
    const { Item } = await emulators.dynamodb.send(new GetItemCommand({ TableName: emulators.tableName, Key: { conversation_id: { S: conversationId } }, ConsistentRead: true }));
    return Item && fromDynamoDBItem(Item);
  };
  // One change at a time, in the order written, as a stream delivers a call's changes.
  let queue = Promise.resolve();
  // Writes to one call one at a time, so each before and after belong to that write alone.
  const calls = new Map<string, Promise<unknown>>();
  const oneAtATime = <T>(id: string, work: () => Promise<T>): Promise<T> => {
    const done = (calls.get(id) ?? Promise.resolve()).then(work, work);
    const settled = done.catch(() => undefined);
    calls.set(id, settled);
    void settled.then(() => calls.get(id) === settled && calls.delete(id));
    return done;
  };
  // A read that fails costs the call its row and events here, never the write.
  const readOrSkip = (id: string) => read(id).then((item) => ({ item }), (error) => (log(`analytics: ${id}: ${describeError(error)}`), undefined));
  return {
    observe(store) {
      return new Proxy(store, {
        get(target, name, receiver) {
          const method = Reflect.get(target, name, receiver);
          if (typeof method !== 'function' || !ITEM_WRITES.has(String(name))) return method;
          return (...args: unknown[]) => {
            const id = (args[0] as { conversationId?: unknown } | undefined)?.conversationId;
            if (typeof id !== 'string') return method.apply(target, args);
            return oneAtATime(id, async () => {
              const before = await readOrSkip(id);
              const result = await method.apply(target, args);
              const after = before && (await readOrSkip(id));
              if (before && after) queue = queue.then(() => carryOut(changeActions(before.item, after.item), outflow)).catch((error) => log(`analytics: ${id}: ${describeError(error)}`));
              return result;
            });
          };
        },
      });
    },
    settled: () => queue,
  };
}
