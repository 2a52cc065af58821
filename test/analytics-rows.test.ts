import { parseEvent } from '../lambda/events';
import { toCallWrite } from '../lambda/records';
import { CALL_COLUMNS, callRowKey, NOT_COLUMNS, PARTITION_COLUMN, sqlTimestamp, toCallRow, type ColumnType } from '../lambda/analytics/call-row';
import { changeActions, eventDetail, MAX_DETAIL_BYTES } from '../lambda/analytics/call-changes';
import { DETAIL_TYPES } from '../lambda/analytics/event-names';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { exampleNames, FIXTURES_DIR, loadExample } from './support/webhooks';

/*
 * Issue 14's pure core: every call as one row of declared types, and what each change of an item
 * means downstream (the row to write or remove, the events to publish). Items come from the
 * receiver's own mapping of every example payload.
 */

/** An item as the webhook stores it from one body (set and set-if-missing together). */
function stored(body: Record<string, any>): Record<string, unknown> {
  const write = toCallWrite(parseEvent(Buffer.from(JSON.stringify(body)), 1_900_000_000), 'raw/key.json');
  if (!write) throw new Error('expected a stored event type');
  return { conversation_id: body.data.conversation_id, ...write.update.setIfMissing, ...write.update.set, [`${write.update.eventType === 'post_call_transcription' ? 'transcription' : write.update.eventType === 'call_initiation_failure' ? 'failure' : 'audio'}_event_timestamp`]: body.event_timestamp };
}

/** Every example payload, the SDK-shaped ones with every field set included. */
const storable = [...exampleNames(), ...readdirSync(join(FIXTURES_DIR, 'sdk')).filter((f) => f.endsWith('.json')).map((f) => `sdk/${f.replace(/\.json$/, '')}`)];

/** Whether a row value is of its column's declared type. */
function ofType(type: ColumnType, value: unknown): boolean {
  if (value === null) return true;
  switch (type) {
    case 'string': case 'json': return typeof value === 'string';
    case 'bigint': return Number.isSafeInteger(value);
    case 'double': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'timestamp': return typeof value === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/.test(value);
    case 'array<string>': return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'map<string,string>': return typeof value === 'object' && !Array.isArray(value) && Object.values(value as object).every((v) => typeof v === 'string');
  }
}

describe('the row schema', () => {
  it('names each column once, the partition apart, with a type and a comment', () => {
    const names = CALL_COLUMNS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).not.toContain(PARTITION_COLUMN.name);
    for (const column of CALL_COLUMNS) expect(column.comment.length).toBeGreaterThan(3);
  });

  it.each(storable)('has a column, or a stated reason for none, for every attribute %s gives the item', (name) => {
    const columns = new Set(CALL_COLUMNS.map((c) => c.from ?? c.name));
    const excluded = (attribute: string) => Object.keys(NOT_COLUMNS).some((n) => (n.startsWith('*') ? attribute.endsWith(n.slice(1)) : n.endsWith('*') ? attribute.startsWith(n.slice(0, -1)) : attribute === n));
    const item = stored(loadExample(name));
    expect(Object.keys(item).filter((attribute) => !columns.has(attribute) && !excluded(attribute) && attribute !== 'conversation_id')).toEqual([]);
    // And nothing is both.
    expect([...columns].filter((column) => excluded(column))).toEqual([]);
  });

  it.each(storable)('maps every attribute of %s to a column of the declared type, and JSON parses back the same', (name) => {
    const row = toCallRow(stored(loadExample(name)), 'success');
    expect(Object.keys(row)).toEqual(CALL_COLUMNS.map((c) => c.name));
    for (const column of CALL_COLUMNS) expect([column.name, ofType(column.type, row[column.name])]).toEqual([column.name, true]);
    expect(JSON.parse(JSON.stringify(row))).toEqual(row);
  });

  it('keeps the values a report needs from a full SDK-shaped call', () => {
    const item = stored(loadExample('sdk/phone.twilio'));
    const row = toCallRow(item, 'success');
    expect(row).toMatchObject({ channel: 'phone', direction: 'inbound', external_number: '+17735550143', outcome: 'success', start_time: sqlTimestamp((item.start_time_unix_secs as number) * 1000) });
    expect(typeof row.cost).toBe('number');
    expect(row.evaluation).toEqual(item.evaluation);
    expect(Array.isArray(row.tools_used)).toBe(true);
    expect(JSON.parse(row.charging as string)).toEqual(item.charging);
  });

  it('writes nothing of the wrong type, whatever an attribute holds', () => {
    const row = toCallRow({ conversation_id: 'c', cost: '12', error_code: 1002.7, has_audio: 'yes', evaluation: ['x'], data_collection: { n: 3, o: { a: 1 }, s: 'text' }, tools_used: new Set(['b', 'a']), start_time_unix_secs: 'soon' }, undefined);
    expect(row).toMatchObject({ cost: null, error_code: 1002, has_audio: null, evaluation: null, data_collection: { n: '3', o: '{"a":1}', s: 'text' }, tools_used: ['a', 'b'], start_time: null, outcome: null });
  });
});

describe('what a change means', () => {
  const at = (iso: string) => Date.parse(iso) / 1000;
  const base = { conversation_id: 'conv_1', agent_id: 'a' };

  it('writes the row under the start day, and moves it when the start moves', () => {
    const failure = { ...base, start_time_unix_secs: at('2025-11-30T23:59:00Z'), failure_reason: 'busy', failure_event_timestamp: 1 };
    const first = changeActions(undefined, failure);
    expect(first.put?.key).toBe('analytics/calls/start_date=2025-11-30/conv_1.json');
    expect(first.remove).toEqual([]);
    expect(first.events.map((e) => e.detailType)).toEqual([DETAIL_TYPES.notConnected]);
    // The transcription brings the real start, on the next day: the row moves, no copy stays behind.
    const transcribed = { ...failure, start_time_unix_secs: at('2025-12-01T00:00:10Z'), transcription_event_timestamp: 2, user_turns: 3 };
    const moved = changeActions(failure, transcribed);
    expect(moved.put?.key).toBe(callRowKey('conv_1', '2025-12-01'));
    expect(moved.remove).toEqual([callRowKey('conv_1', '2025-11-30')]);
    expect(moved.events.map((e) => e.detailType)).toEqual([DETAIL_TYPES.transcription]);
    expect(moved.events[0].detail).toMatchObject({ conversation_id: 'conv_1', replaced: false, call: { user_turns: 3 } });
  });

  it('removes the row of a removed item (TTL, or by hand), and publishes nothing for it', () => {
    const item = { ...base, start_time_unix_secs: at('2025-12-01T10:00:00Z'), transcription_event_timestamp: 2 };
    expect(changeActions(item, undefined)).toEqual({ remove: [callRowKey('conv_1', '2025-12-01')], purgeVersions: false, events: [] });
  });

  it('has no row for a call without a start yet (audio first), and says its audio was stored', () => {
    const actions = changeActions(undefined, { ...base, audio_s3_key: 'audio/calls/conv_1/1.mp3', has_audio: true });
    expect(actions.put).toBeUndefined();
    expect(actions.events.map((e) => e.detailType)).toEqual([DETAIL_TYPES.audio]);
  });

  it('publishes nothing for bookkeeping writes, once for each fact, and a replaced transcription as replaced', () => {
    const item = { ...base, start_time_unix_secs: 1_764_000_000, transcription_event_timestamp: 2, audio_s3_key: 'k' };
    expect(changeActions(item, { ...item, audio_missing_checked_at: 5, updated_at: 'x' }).events).toEqual([]);
    expect(changeActions(item, { ...item, deletion_queue: 'due' }).events).toEqual([]);
    const replaced = changeActions(item, { ...item, transcription_event_timestamp: 3 }).events;
    expect(replaced.map((e) => [e.detailType, e.detail.replaced])).toEqual([[DETAIL_TYPES.transcription, true]]);
    const failed = changeActions(item, { ...item, transcription_event_timestamp: 3, status: 'failed', error_code: 1002 }).events.map((e) => e.detailType);
    expect(failed).toEqual([DETAIL_TYPES.transcription, DETAIL_TYPES.conversationFailed]);
  });

  it('says what the deletion sweep deleted, and has every earlier version of the row purged before the scrubbed row is written', () => {
    const item = { ...base, start_time_unix_secs: 1_764_000_000, transcription_event_timestamp: 2, external_number: '+15550100123' };
    const scrubbed = { ...base, start_time_unix_secs: 1_764_000_000, transcription_event_timestamp: 2, transcript_deleted_at: 'now', audio_deleted_at: 'now' };
    const actions = changeActions(item, scrubbed);
    expect(actions.purgeVersions).toBe(true);
    expect(actions.put?.row.external_number).toBeNull();
    expect(actions.events.map((e) => [e.detailType, e.detail.deleted])).toEqual([[DETAIL_TYPES.dataDeleted, ['transcript', 'audio']]]);
    // A newer transcription brought personal data back; the sweep scrubs it again: purged again.
    expect(changeActions({ ...scrubbed, external_number: '+15550100123', transcription_event_timestamp: 3 }, { ...scrubbed, transcription_event_timestamp: 3 }).purgeVersions).toBe(true);
    // Later bookkeeping on the scrubbed call: nothing personal left to purge.
    expect(changeActions(scrubbed, { ...scrubbed, updated_at: 'later' }).purgeVersions).toBe(false);
  });

  it('keeps an event under EventBridge\'s limit, leaving out the largest parts and naming them', () => {
    const huge = { ...base, dynamic_variables: { a: 'x'.repeat(150_000) }, transcript_summary: 'y'.repeat(150_000), evaluation: { e: 'success' } };
    const detail = eventDetail(huge, { conversation_id: 'conv_1' });
    expect(Buffer.byteLength(JSON.stringify(detail))).toBeLessThanOrEqual(MAX_DETAIL_BYTES);
    expect(detail.truncated).toEqual(['dynamic_variables']);
    expect((detail.call as Record<string, unknown>).evaluation).toEqual({ e: 'success' });
    const enormous = eventDetail({ ...base, odd: 'z'.repeat(300_000) });
    expect(enormous.truncated).toEqual(['odd']);
  });
});
