import fc from 'fast-check';
import { StorageError } from '../lambda/errors';
import { processWebhook, type ProcessDependencies } from '../lambda/process';
import type { StoreErrorRecord } from '../lambda/call-item';
import { signPayload } from '../lambda/signature';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { escapeMapKey, MAP_KEY_ESCAPE, wellFormed } from '../lambda/storable';
import type { CallStore } from '../lambda/storage';
import { buildUpdateRequest, toWire } from '../lambda/update-requests';
import { simulatedTable } from './support/item-simulator';
import { exampleNames, loadExample, TEST_SECRET } from './support/webhooks';

/*
 * Property-based: thousands of generated requests. Bad input never crashes the handler or gets a
 * 5xx; nothing is stored without a valid signature; a validly signed body gets 200 or 400. Every
 * update is applied to an in-memory DynamoDB that refuses what DynamoDB refuses (item over 400 KB,
 * nesting over 32, empty or oversized map keys, malformed numbers, half surrogate pairs), so a 200
 * means the call's full item is stored, and never a store error (the fallback must not hide a bug).
 * The properties over large values end on their first failure (endOnFailure): shrinking
 * megabytes of JSON would outlast any CI run.
 */
const NOW = new Date('2026-01-01T00:00:00Z');
const NOW_SECS = NOW.getTime() / 1000;

/** A store over the simulated table, checking what S3 and DynamoDB would refuse; store errors are recorded, not expected. */
function checkingStore() {
  const table = simulatedTable();
  const stored = { objects: 0, updates: 0, storeErrors: [] as StoreErrorRecord[] };
  const putObject = async (key: string) => {
    if (Buffer.byteLength(key) > 1024) throw new Error(`S3 key over 1024 bytes: ${key.length}`);
    stored.objects += 1;
  };
  const store: CallStore = {
    putObject,
    async applyUpdate(update, { now }) {
      let before;
      try {
        before = table.update(toWire(buildUpdateRequest('calls', update, now)));
      } catch (error) {
        // As the real store reports DynamoDB's refusal: permanent, so the flow falls back to a minimal item.
        if ((error as Error).name === 'ValidationException') throw new StorageError('item', (error as Error).message, { cause: error, permanent: true });
        throw error;
      }
      if (!before) return 'stale';
      const item = table.items.get(update.conversationId)!;
      for (const [index, type] of [['agent_id', 'S'], ['external_number', 'S'], ['start_time_unix_secs', 'N'], ['deletion_queue', 'S'], ['deletion_due_unix_secs', 'N']]) {
        const value = item[index] as unknown as Record<string, string> | undefined;
        if (value && (value[type] === undefined || value[type] === '' || Buffer.byteLength(value[type]) > 2048)) throw new Error(`bad index key ${index}`);
      }
      stored.updates += 1;
      return Object.keys(before).length === 0 ? 'created' : 'applied';
    },
    async recordStoreError(record) {
      stored.storeErrors.push(record);
    },
  };
  return { store, stored, table };
}

const deps = (store: CallStore): ProcessDependencies => ({ getSecret: async () => TEST_SECRET, store, now: () => NOW });

/** Any JSON value, including huge strings and numbers JavaScript cannot hold exactly. */
const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }),
  fc.string({ minLength: 10_000, maxLength: 50_000 }),
  fc.constantFrom(9007199254740993, 1e308, -1e-300, 0, '', null, [], {}, '1739537297', '2025-02-14T12:48:17Z', 1739537297123, '__proto__', JSON.parse('{"__proto__":{"result":"success","criteria_id":"__proto__"}}')),
  // Half a surrogate pair, as a sender that cuts an emoji in two writes it (JSON escapes).
  fc.string({ unit: fc.constantFrom('\ud83d', '\ude00', 'a', '"'), maxLength: 8 }),
);

/** Keys that trip marshallers and prototypes, and escapes, beside ordinary ones. */
const hostileKey = fc.oneof(
  fc.constantFrom('constructor', '__proto__', '', 'toString', 'hasOwnProperty', 'valueOf', MAP_KEY_ESCAPE, `${MAP_KEY_ESCAPE}x`, 'name', 'Set', '\ud83d'),
  fc.string({ maxLength: 6 }),
);

/**
 * JSON text of a map-valued field an attacker or a buggy sender could write: hostile keys (a
 * `constructor` whose value is `{"name": "Set"}` included), nesting 20,000 levels deep, or too
 * large for an item. Text, not objects: JSON.parse keeps every key as its own property, and deep
 * nesting cannot be built by JSON.stringify.
 */
const hostileMapText = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(hostileKey, fc.oneof(anyJson, fc.constant({ name: 'Set' }), fc.constant({ name: 'Map' }), fc.constant({ constructor: { name: 'String' } }))), { maxLength: 8 }).map((entries) => ({ text: `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`, keysKept: true })) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 17, max: 20_000 }), fc.constantFrom('[', '{"k":', '{"constructor":')).map(([depth, open]) => ({ text: `{"deep":${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}}`, keysKept: false })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => ({ text: `{"big":"${'x'.repeat(n * 200_000)}"}`, keysKept: false })) },
  { weight: 1, arbitrary: fc.integer({ min: 5_000, max: 40_000 }).map((n) => ({ text: `{${Array.from({ length: n }, (_, i) => `"key_${i}_${'k'.repeat(8)}":{"criteria_id":"c${i}","result":"success","score":${i},"value":"v${i}"}`).join(',')}}`, keysKept: false })) },
);

interface MapField {
  /** Where the map goes in the event. */
  readonly path: string[];
  /** The item attribute (and key within it) that holds it. */
  readonly stored: string[];
  /** Maps of results keep the entries that are results (objects). */
  readonly results?: boolean;
}

/** Every map-valued field of the events (and a collected value, which may be anything). */
const MAP_FIELDS: Record<string, MapField[]> = {
  'post_call_transcription.phone': [
    { path: ['data', 'conversation_initiation_client_data', 'dynamic_variables'], stored: ['dynamic_variables'] },
    { path: ['data', 'metadata', 'feedback'], stored: ['feedback'] },
    { path: ['data', 'analysis', 'data_collection_results'], stored: ['data_collection'], results: true },
    { path: ['data', 'analysis', 'data_collection_results', 'order_id', 'value'], stored: ['data_collection', 'order_id'] },
    { path: ['data', 'analysis', 'evaluation_criteria_results'], stored: ['evaluation'], results: true },
  ],
  'call_initiation_failure.sip': [{ path: ['data', 'metadata', 'body'], stored: ['failure_metadata'] }],
  'call_initiation_failure.twilio': [{ path: ['data', 'metadata', 'body'], stored: ['failure_metadata'] }],
};

/** The keys a map must be stored with: every key as sent (the empty key and its escape escaped), results only for maps of results. */
function expectedKeys(mapText: string, field: MapField): string[] {
  const map = JSON.parse(mapText) as Record<string, unknown>;
  const kept = Object.keys(map).filter((k) => !field.results || (typeof map[k] === 'object' && map[k] !== null && !Array.isArray(map[k])));
  return [...new Set(kept.map((k) => escapeMapKey(wellFormed(k))))];
}

/** The keys of a map attribute as the (simulated) table holds it. */
function storedKeys(table: ReturnType<typeof simulatedTable>, conversationId: string, stored: string[]): string[] | undefined {
  let value: AttributeValue | undefined = table.items.get(conversationId)?.[stored[0]];
  for (const key of stored.slice(1)) value = value?.M?.[escapeMapKey(key)];
  return value?.M && Object.keys(value.M);
}

/** An example (of the call given, or its own) with one map-valued field replaced by a hostile map (as text). */
const hostileExample = (conversationId?: string) => fc.record({ name: fc.constantFrom(...Object.keys(MAP_FIELDS)), pick: fc.nat(), map: hostileMapText, timestamp: fc.integer({ min: NOW_SECS - 86_400, max: NOW_SECS }) }).map(({ name, pick, map, timestamp }) => {
  const body = loadExample(name);
  body.event_timestamp = timestamp;
  if (conversationId) body.data.conversation_id = conversationId;
  const field = MAP_FIELDS[name][pick % MAP_FIELDS[name].length];
  let parent = body;
  for (const key of field.path.slice(0, -1)) parent = parent[key];
  parent[field.path[field.path.length - 1]] = '__HOSTILE_MAP__';
  const text = JSON.stringify(body).replace('"__HOSTILE_MAP__"', () => map.text);
  return { text, conversationId: body.data.conversation_id as string, field, keys: map.keysKept ? expectedKeys(map.text, field) : undefined };
});

/** A shared example with one field, anywhere in it, replaced by an arbitrary value (or removed). */
function mutatedExample() {
  return fc.record({ name: fc.constantFrom(...exampleNames()), pick: fc.nat(), value: anyJson, remove: fc.boolean() }).map(({ name, pick, value, remove }) => {
    const body = loadExample(name);
    const paths: { parent: any; key: string | number }[] = [];
    const walk = (node: any) => {
      if (node && typeof node === 'object') {
        for (const key of Object.keys(node)) {
          if (key === 'full_audio') continue; // keep audio small enough for thousands of runs
          paths.push({ parent: node, key });
          walk(node[key]);
        }
      }
    };
    walk(body);
    const { parent, key } = paths[pick % paths.length];
    if (remove) delete parent[key];
    else parent[key] = value;
    return JSON.stringify(body);
  });
}

async function deliver(text: string, store: CallStore, signedAt = NOW_SECS) {
  const rawBody = Buffer.from(text);
  return processWebhook({ rawBody, signatureHeader: signPayload(TEST_SECRET, rawBody, signedAt) }, deps(store));
}

describe('properties of the webhook flow', () => {
  it('never answers 5xx or stores anything for unsigned, forged or malformed requests', async () => {
    const header = fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.string().map((s) => `t=${NOW_SECS},v0=${s}`),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }).map((hex) => `t=${NOW_SECS},v0=${hex}`),
      fc.integer().map((t) => `t=${t},v0=${'a'.repeat(64)}`),
      fc.constantFrom('t=,v0=', ',,,', 'v0=abc,t=1,t=2', `T=${NOW_SECS},V0=${'A'.repeat(64)}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)), mutatedExample().map((s) => Buffer.from(s))), header, async (rawBody, signatureHeader) => {
        const { store, stored } = checkingStore();
        const { response } = await processWebhook({ rawBody, signatureHeader }, deps(store));
        expect(response.statusCode).toBe(401);
        expect(stored).toEqual({ objects: 0, updates: 0, storeErrors: [] });
      }),
      { numRuns: 1500 },
    );
  });

  it('answers every validly signed body 200 or 400, never 5xx, and a 200 leaves an item DynamoDB takes', async () => {
    const body = fc.oneof(
      { weight: 6, arbitrary: mutatedExample() },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 500 }).map((b) => Buffer.from(b).toString('latin1')) },
      { weight: 1, arbitrary: anyJson.map((data) => JSON.stringify({ type: 'post_call_transcription', event_timestamp: NOW_SECS, data })) },
      { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    );
    await fc.assert(
      fc.asyncProperty(body, fc.integer({ min: -29 * 60, max: 4 * 60 }), async (text, skew) => {
        const { store, stored } = checkingStore();
        const { response } = await deliver(text, store, NOW_SECS + skew);
        expect([200, 400]).toContain(response.statusCode);
        expect(stored.objects).toBeGreaterThanOrEqual(1); // archived, whatever the answer
        expect(stored.storeErrors).toEqual([]);
        if (response.statusCode === 200 && response.body.status === 'stored') expect(stored.updates).toBe(1);
      }),
      { numRuns: 1500 },
    );
  });

  it('stores the full item of any event whose maps hold hostile keys, deep nesting or too much', async () => {
    await fc.assert(
      fc.asyncProperty(hostileExample(), async ({ text, conversationId, field, keys }) => {
        const { store, stored, table } = checkingStore();
        const { response } = await deliver(text, store);
        expect(response).toMatchObject({ statusCode: 200, body: { status: 'stored' } });
        expect(stored.storeErrors).toEqual([]);
        // Every key arrives in DynamoDB, as sent or under the documented escape, unless the map was
        // left out to fit the item (its values can be large), which the item then says.
        const truncated = ['truncated_fields', 'failure_truncated_fields'].flatMap((name) => (table.items.get(conversationId)?.[name]?.L ?? []).map((v) => v.S));
        // An empty map at the top of the item says nothing, so it is left out.
        const expected = keys?.length === 0 && field.stored.length === 1 ? undefined : keys;
        if (keys && !truncated.includes(field.stored[0])) expect(storedKeys(table, conversationId, field.stored)).toEqual(expected);
      }),
      { numRuns: 300, endOnFailure: true },
    );
  });

  it('keeps a call within 400 KB whatever its events carry and in whatever order they arrive', async () => {
    const audio = loadExample('post_call_audio');
    const event = fc.oneof(
      hostileExample('conv_one').map(({ text }) => text),
      fc.integer({ min: NOW_SECS - 86_400, max: NOW_SECS }).map((t) => JSON.stringify({ ...audio, event_timestamp: t, data: { ...audio.data, conversation_id: 'conv_one' } })),
      fc.integer({ min: NOW_SECS - 86_400, max: NOW_SECS }).map((t) => JSON.stringify({ type: 'post_call_transcription_otel', event_timestamp: t, data: { conversation_id: 'conv_one', agent_id: 'a'.repeat(512), otlp_traces: {} } })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 2, maxLength: 6 }), async (events) => {
        const { store, stored, table } = checkingStore();
        for (const e of events) {
          const { response } = await deliver(e, store);
          expect(response.statusCode).toBe(200);
        }
        expect(stored.storeErrors).toEqual([]);
        expect(table.items.size).toBe(1);
      }),
      { numRuns: 150, endOnFailure: true },
    );
  });
});
