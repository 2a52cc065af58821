import { callOutcome, failureKind } from '../../lib/calls/failure-kind';
import { PERSONAL_ATTRIBUTES } from '../deletion';
import { callRowKey, startDate, toCallRow } from './call-row';
import { DETAIL_TYPES } from './event-names';

/*
 * What one change of a call's item means downstream, decided from the item before and after (as
 * a DynamoDB stream hands them over, or npm start does after each write): the analytics row to
 * write or remove, and the events other systems hear. Pure: the stream function carries it out.
 */

type Item = Record<string, unknown>;

export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** EventBridge takes entries up to 256 KB: the detail stays under this, cut as needed. */
export const MAX_DETAIL_BYTES = 200 * 1024;
/** Left out first when a detail is too large, in this order (the rest of the record is small). */
const DROPPED_FIRST = ['dynamic_variables', 'evaluation_rationale', 'data_collection_rationale', 'failure_metadata', 'charging', 'transcript_summary', 'data_collection', 'evaluation', 'warnings', 'tools_used', 'tools_errored'];

export interface CallEvent {
  readonly detailType: DetailType;
  readonly detail: Record<string, unknown>;
}

export interface ChangeActions {
  /** The row to write, where. */
  readonly put?: { key: string; row: Record<string, unknown> };
  /**
   * Rows to remove, every version of them (a row is derived data, and the bucket keeps versions):
   * the call's old day, when it moved or the item went.
   */
  readonly remove: string[];
  /**
   * The deletion sweep has just scrubbed the item's personal data (the first time or again, after
   * a newer transcription brought some back): every earlier version of the row holds it too, and
   * goes before the scrubbed row is written.
   */
  readonly purgeVersions: boolean;
  readonly events: CallEvent[];
}

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Set ? [...v].sort() : v)));

/**
 * The detail of an event: the call's record as stored (sets as arrays), with what the event says
 * beside it. Too large for EventBridge, it leaves out its largest parts and names them in `truncated`.
 */
export function eventDetail(item: Item, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const record = plain(item) as Record<string, unknown>;
  const detail: Record<string, unknown> = { ...extra, call: record };
  const truncated: string[] = [];
  const size = () => Buffer.byteLength(JSON.stringify(detail));
  for (const name of DROPPED_FIRST) {
    if (size() <= MAX_DETAIL_BYTES) break;
    if (name in record) {
      delete record[name];
      truncated.push(name);
    }
  }
  // Whatever else is large (an item holds at most 400 KB): the biggest attributes go next.
  while (size() > MAX_DETAIL_BYTES) {
    const [largest] = Object.keys(record).filter((k) => k !== 'conversation_id').sort((a, b) => JSON.stringify(record[b]).length - JSON.stringify(record[a]).length);
    if (largest === undefined) break;
    delete record[largest];
    truncated.push(largest);
  }
  return truncated.length ? { ...detail, truncated } : detail;
}

const changed = (name: string, before: Item | undefined, after: Item) => after[name] !== undefined && after[name] !== before?.[name];

/** The events a change means: each when its fact first becomes true (bookkeeping writes change none of them). */
export function callEvents(before: Item | undefined, after: Item): CallEvent[] {
  const events: CallEvent[] = [];
  const id = after.conversation_id;
  if (changed('transcription_event_timestamp', before, after) || changed('otel_transcription_event_timestamp', before, after)) {
    const replaced = before?.transcription_event_timestamp !== undefined || before?.otel_transcription_event_timestamp !== undefined;
    events.push({ detailType: DETAIL_TYPES.transcription, detail: eventDetail(after, { conversation_id: id, replaced }) });
  }
  if (changed('audio_s3_key', before, after)) events.push({ detailType: DETAIL_TYPES.audio, detail: eventDetail(after, { conversation_id: id, audio_s3_key: after.audio_s3_key }) });
  const [kindBefore, kindAfter] = [before && failureKind(before), failureKind(after)];
  if (kindAfter === 'not_connected' && kindBefore !== kindAfter) events.push({ detailType: DETAIL_TYPES.notConnected, detail: eventDetail(after, { conversation_id: id }) });
  if (kindAfter === 'conversation_failed' && kindBefore !== kindAfter) events.push({ detailType: DETAIL_TYPES.conversationFailed, detail: eventDetail(after, { conversation_id: id }) });
  const deleted = ['transcript_deleted_at', 'audio_deleted_at'].filter((name) => changed(name, before, after));
  if (deleted.length) events.push({ detailType: DETAIL_TYPES.dataDeleted, detail: eventDetail(after, { conversation_id: id, deleted: deleted.map((name) => name.replace('_deleted_at', '')) }) });
  return events;
}

/**
 * The row and events for a call's item going from `before` to `after` (either absent: created,
 * or removed by TTL or by hand). A call is in the analytics once it has a start time; its row
 * lives under its start day, so a start that moves takes its row along.
 */
export function changeActions(before: Item | undefined, after: Item | undefined): ChangeActions {
  const id = (after ?? before)?.conversation_id;
  if (typeof id !== 'string') return { remove: [], purgeVersions: false, events: [] };
  const [dayBefore, dayAfter] = [before && startDate(before), after && startDate(after)];
  const remove = dayBefore !== undefined && dayBefore !== dayAfter ? [callRowKey(id, dayBefore)] : [];
  if (!after) return { remove, purgeVersions: false, events: [] };
  const put = dayAfter === undefined ? undefined : { key: callRowKey(id, dayAfter), row: toCallRow(after, callOutcome(after)) };
  const scrubbed = after.transcript_deleted_at !== undefined && PERSONAL_ATTRIBUTES.some((name) => before?.[name] !== undefined && after[name] === undefined);
  return { put, remove, purgeVersions: scrubbed, events: callEvents(before, after) };
}
