import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { processWebhook, type ProcessDependencies } from '../lambda/process';
import type { CallUpdate } from '../lambda/records';
import { buildUpdateRequest, type CallStore } from '../lambda/storage';
import { signPayload } from '../lambda/signature';
import { exampleNames, loadExample, TEST_SECRET } from './support/webhooks';

/*
 * Property-based: thousands of generated requests. Bad input never crashes the handler or gets a
 * 5xx; nothing is stored without a valid signature; a validly signed body gets 200 or 400, and a
 * 200 always leaves an item DynamoDB would take (marshals, keys within limits, under 400 KB).
 */
const NOW = new Date('2026-01-01T00:00:00Z');
const NOW_SECS = NOW.getTime() / 1000;
const DYNAMODB_ITEM_LIMIT = 400 * 1024;

/** Accepts what DynamoDB would accept, and fails the run on anything it would refuse. */
function checkingStore() {
  const stored = { objects: 0, updates: [] as CallUpdate[] };
  const store: CallStore = {
    async putObject(key) {
      if (Buffer.byteLength(key) > 1024) throw new Error(`S3 key over 1024 bytes: ${key.length}`);
      stored.objects += 1;
    },
    async applyUpdate(update, { now }) {
      const request = buildUpdateRequest('calls', update, now);
      assertWellFormed({ key: update.conversationId, values: request.ExpressionAttributeValues });
      const item = marshall(request.ExpressionAttributeValues, { removeUndefinedValues: true, convertTopLevelContainer: true });
      if (Buffer.byteLength(JSON.stringify(item)) > DYNAMODB_ITEM_LIMIT) throw new Error('item over 400 KB');
      if (Buffer.byteLength(update.conversationId) > 2048) throw new Error('key over 2048 bytes');
      for (const index of ['agent_id', 'external_number']) {
        const value = update.set[index] ?? update.setIfMissing[index];
        if (value !== undefined && (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > 2048)) throw new Error(`bad index key ${index}`);
      }
      stored.updates.push(update);
      return 'created';
    },
  };
  return { store, stored };
}

const deps = (store: CallStore): ProcessDependencies => ({ getSecret: async () => TEST_SECRET, store, now: () => NOW });

/** Any JSON value, including deep nesting, huge strings and numbers JavaScript cannot hold exactly. */
const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }),
  fc.string({ minLength: 10_000, maxLength: 50_000 }),
  fc.constantFrom(9007199254740993, 1e308, -1e-300, 0, '', null, [], {}, '1739537297', '2025-02-14T12:48:17Z', 1739537297123, '__proto__', JSON.parse('{"__proto__":{"result":"success","criteria_id":"__proto__"}}')),
  // Half a surrogate pair, as a sender that cuts an emoji in two writes it (JSON escapes).
  fc.string({ unit: fc.constantFrom('\ud83d', '\ude00', 'a', '"'), maxLength: 8 }),
);

/** DynamoDB holds UTF-8: no string, map key included, may carry half a surrogate pair. */
function assertWellFormed(value: unknown): void {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw new Error('a string that is not well-formed UTF-16 would reach DynamoDB');
  } else if (value instanceof Set || Array.isArray(value)) {
    for (const v of value) assertWellFormed(v);
  } else if (value && typeof value === 'object') {
    if (Object.getPrototypeOf(value) !== Object.prototype) throw new Error('a map whose prototype was replaced (a "__proto__" key)');
    for (const [k, v] of Object.entries(value)) {
      assertWellFormed(k);
      assertWellFormed(v);
    }
  }
}

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
        expect(stored).toEqual({ objects: 0, updates: [] });
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
        const rawBody = Buffer.from(text);
        const { store, stored } = checkingStore();
        const { response } = await processWebhook({ rawBody, signatureHeader: signPayload(TEST_SECRET, rawBody, NOW_SECS + skew) }, deps(store));
        expect([200, 400]).toContain(response.statusCode);
        expect(stored.objects).toBeGreaterThanOrEqual(1); // archived, whatever the answer
        if (response.statusCode === 200 && response.body.status === 'stored') expect(stored.updates).toHaveLength(1);
      }),
      { numRuns: 1500 },
    );
  });
});
