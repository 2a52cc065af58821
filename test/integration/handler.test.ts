import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BY_AGENT_INDEX, BY_BATCH_INDEX, BY_NUMBER_INDEX } from '../../lib/calls-table-schema';
import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { createCallStore, STORAGE_HTTP_OPTIONS, type UpdateOptions } from '../../lambda/storage';
import { StorageError } from '../../lambda/errors';
import type { CallUpdate } from '../../lambda/call-item';
import { processWebhook } from '../../lambda/process';
import { exampleNames, loadExample, nowSecs, signedApiEvent, signedRequest, TEST_SECRET } from '../support/webhooks';
import { storageReader } from '../support/storage';

/*
 * The Lambda handler, unchanged, with the real AWS SDK v3 against dynalite and s3rver on loopback.
 * Each test uses its own conversation ids, so the order of tests does not matter.
 */
let emulators: Emulators;
let read: ReturnType<typeof storageReader>;
let handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

beforeAll(async () => {
  emulators = await startEmulators();
  Object.assign(process.env, emulators.environment, { WEBHOOK_SECRET: TEST_SECRET, POWERTOOLS_LOG_LEVEL: 'SILENT' });
  ({ handler } = await import('../../lambda/handler'));
  read = storageReader(emulators);
});

afterAll(async () => {
  await emulators?.close();
});

async function deliver(body: object | string, options: Parameters<typeof signedApiEvent>[1] = {}) {
  const result = await handler(signedApiEvent(body, options));
  return { status: result.statusCode, body: JSON.parse(result.body as string) };
}

/** An example with its ids replaced, so tests do not share items. */
function example(name: string, conversationId: string): Record<string, any> {
  const body = loadExample(name);
  body.data.conversation_id = conversationId;
  return body;
}

/** Event times in the past: an event dated after its signature is ordered as if sent at signing. */
const NEWER = nowSecs() - 1_000;
const OLDER = nowSecs() - 2_000;

describe('handler against DynamoDB and S3 emulators', () => {
  it.each(exampleNames())('stores the %s example and reads it back', async (name) => {
    const body = loadExample(name);
    const { status, body: answer } = await deliver(body);
    expect(status).toBe(200);
    expect(answer.status).toMatch(/stored|duplicate/);
    const item = await read.item(body.data.conversation_id);
    expect(item).toMatchObject({ conversation_id: body.data.conversation_id, agent_id: body.data.agent_id });
    expect(item!.events_received).toEqual(expect.any(Set));
    expect([...item!.events_received]).toContain(body.type);
  });

  it('stores every channel\'s SDK-shaped transcription whole, and the indexes find a campaign and a WhatsApp number', async () => {
    const fixtures = ['phone.twilio', 'phone.sip_trunking', 'phone.exotel', 'whatsapp.inbound', 'whatsapp.outbound', 'sms', 'widget', 'failed', 'analysis-lists-only'];
    for (const name of fixtures) expect((await deliver(loadExample(`sdk/${name}`))).status).toBe(200);
    const twilio = await read.item(loadExample('sdk/phone.twilio').data.conversation_id);
    expect(twilio).toMatchObject({ channel: 'phone', cost_fiat: 0.066251, tools_errored: new Set(['reschedule_appointment']), charging: { llm_tokens: { 'gpt-4o-mini': { input: 8445, output: 79 } } } });
    expect(twilio).not.toHaveProperty('truncated_fields');
    // Tool names and tags are string sets on the wire, as the DynamoDB console shows them.
    const wire = await read.rawItem(loadExample('sdk/phone.twilio').data.conversation_id);
    expect(wire!.tools_used.SS).toEqual(expect.arrayContaining(['lookup_appointment', 'reschedule_appointment', 'end_call']));
    expect(wire!.tag_ids.SS).toHaveLength(2);

    const query = async (index: typeof BY_BATCH_INDEX, key: string) => {
      const { Items } = await emulators.dynamodb.send(new QueryCommand({
        TableName: emulators.tableName,
        IndexName: index.indexName,
        KeyConditionExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': index.partitionKey.name },
        ExpressionAttributeValues: { ':k': { S: key } },
      }));
      return Items!.map((i) => i.conversation_id.S);
    };
    const sip = loadExample('sdk/phone.sip_trunking').data;
    expect(await query(BY_BATCH_INDEX, sip.metadata.batch_call.batch_call_id)).toEqual([sip.conversation_id]);
    // WhatsApp sends the user's number as digits: stored, and found, with its +.
    const whatsapp = loadExample('sdk/whatsapp.inbound').data;
    expect(await query(BY_NUMBER_INDEX, `+${whatsapp.metadata.whatsapp.whatsapp_user_id}`)).toEqual([whatsapp.conversation_id]);
  });

  it('stores the audio decoded, byte for byte, as audio/mpeg', async () => {
    const body = example('post_call_audio', 'conv_audio_bytes');
    expect((await deliver(body)).status).toBe(200);
    const item = await read.item('conv_audio_bytes');
    const expected = Buffer.from(body.data.full_audio, 'base64');
    expect(item).toMatchObject({ has_audio: true, audio_bytes: expected.length, audio_s3_key: `audio/calls/conv_audio_bytes/${body.event_timestamp}.mp3` });
    const stored = await read.object(item!.audio_s3_key);
    expect(stored.contentType).toBe('audio/mpeg');
    expect(stored.body.equals(expected)).toBe(true);
    expect(stored.body.subarray(0, 3).toString()).toBe('ID3');
  });

  it('merges audio that arrives before its transcription into one item', async () => {
    expect((await deliver(example('post_call_audio', 'conv_audio_first'))).status).toBe(200);
    expect((await deliver(example('post_call_transcription.phone', 'conv_audio_first'))).status).toBe(200);
    const item = await read.item('conv_audio_first');
    expect(item).toMatchObject({ has_audio: true, audio_s3_key: expect.any(String), call_successful: 'success', cost: 142, agent_id: 'agent_7901kdemo0support000000001' });
    expect([...item!.events_received].sort()).toEqual(['post_call_audio', 'post_call_transcription']);
  });

  it('keeps the full transcription event in S3, exactly as received', async () => {
    const body = example('post_call_transcription.phone', 'conv_transcript_object');
    const raw = JSON.stringify(body, null, 2);
    expect((await deliver(raw)).status).toBe(200);
    const item = await read.item('conv_transcript_object');
    const stored = await read.object(item!.transcript_s3_key);
    expect(stored.body.toString()).toBe(raw);
    expect(stored.contentType).toBe('application/json');
  });

  it('answers a redelivery as a duplicate and changes nothing, keeping its raw body beside the first', async () => {
    const body = example('post_call_transcription', 'conv_duplicate');
    const timestamp = nowSecs();
    expect((await deliver(body, { timestamp })).body.status).toBe('stored');
    const first = await read.item('conv_duplicate');
    const second = await deliver(body, { timestamp: timestamp + 30 });
    expect(second).toEqual({ status: 200, body: { status: 'duplicate', type: 'post_call_transcription', conversation_id: 'conv_duplicate' } });
    expect(await read.item('conv_duplicate')).toEqual(first);
    const raw = await read.keys('raw/calls/conv_duplicate/');
    expect(raw).toEqual([expect.stringMatching(new RegExp(`^raw/calls/conv_duplicate/post_call_transcription/${timestamp}-[0-9a-f]{32}\\.json$`)), expect.stringMatching(new RegExp(`/${timestamp + 30}-[0-9a-f]{32}\\.json$`))]);
    for (const key of raw) expect((await read.object(key)).body.toString()).toBe(JSON.stringify(body));
  });

  it('never lets an older transcription overwrite a newer one', async () => {
    const newer = example('post_call_transcription', 'conv_ordering');
    newer.event_timestamp = NEWER;
    newer.data.analysis.call_successful = 'failure';
    const older = example('post_call_transcription', 'conv_ordering');
    older.event_timestamp = OLDER;
    expect((await deliver(newer)).body.status).toBe('stored');
    expect((await deliver(older)).body.status).toBe('duplicate');
    expect(await read.item('conv_ordering')).toMatchObject({ call_successful: 'failure', transcription_event_timestamp: NEWER });
  });

  it('keeps the newest transcript object when an older event arrives late', async () => {
    const newer = example('post_call_transcription', 'conv_late_object');
    newer.event_timestamp = NEWER;
    const older = { ...example('post_call_transcription', 'conv_late_object'), event_timestamp: OLDER };
    await deliver(newer);
    await deliver(older);
    const item = await read.item('conv_late_object');
    expect(JSON.parse((await read.object(item!.transcript_s3_key)).body.toString()).event_timestamp).toBe(NEWER);
  });

  it('lets a newer transcription replace what an older one said, not merge with it', async () => {
    const older = example('post_call_transcription.phone', 'conv_replaced');
    older.event_timestamp = OLDER;
    const newer = example('post_call_transcription.phone', 'conv_replaced');
    newer.event_timestamp = NEWER;
    delete newer.data.analysis.call_summary_title;
    newer.data.analysis.data_collection_results = {};
    await deliver(older);
    await deliver(newer);
    const item = await read.item('conv_replaced');
    // Nothing collected this time: the older values are gone, and no empty map stands in for them.
    for (const replaced of ['call_summary_title', 'data_collection', 'data_collection_rationale']) expect(item).not.toHaveProperty(replaced);
    expect(item).toMatchObject({ external_number: '+15550100123', transcription_event_timestamp: NEWER });
  });

  it('keeps has_audio true when a transcription saying otherwise follows the audio', async () => {
    await deliver(example('post_call_audio', 'conv_has_audio'));
    const transcription = example('post_call_transcription.phone', 'conv_has_audio');
    transcription.data.has_audio = false;
    await deliver(transcription);
    expect(await read.item('conv_has_audio')).toMatchObject({ has_audio: true, audio_bytes: expect.any(Number) });
  });

  it('stores an OpenTelemetry-format transcript and where it is', async () => {
    const body = {
      type: 'post_call_transcription_otel',
      event_timestamp: 1764000030,
      data: { conversation_id: 'conv_otel', agent_id: 'agent_x', otlp_traces: { resourceSpans: [] } },
    };
    expect((await deliver(body)).body).toMatchObject({ status: 'stored', type: 'post_call_transcription_otel' });
    const item = await read.item('conv_otel');
    expect(item).toMatchObject({ transcript_format: 'opentelemetry', agent_id: 'agent_x' });
    expect(JSON.parse((await read.object(item!.transcript_s3_key)).body.toString())).toEqual(body);
  });

  it('stores numbers too large for DynamoDB as text instead of failing the call', async () => {
    const body = example('post_call_transcription.phone', 'conv_big_numbers');
    body.data.conversation_initiation_client_data.dynamic_variables.crm_id = 12345678901234567890;
    expect((await deliver(body)).status).toBe(200);
    expect((await read.item('conv_big_numbers'))!.dynamic_variables.crm_id).toBe('12345678901234567000');
  });

  it('lets a transcription own the phone fields whichever of it and a failure came first', async () => {
    const failure = example('call_initiation_failure.sip', 'conv_failure_then_call');
    const transcription = example('post_call_transcription.phone', 'conv_failure_then_call');
    await deliver(transcription);
    await deliver(failure);
    expect(await read.item('conv_failure_then_call')).toMatchObject({ external_number: '+15550100123', status: 'done', failure_reason: 'busy' });
  });

  it('finds calls through the agent and number indexes, without a scan', async () => {
    await deliver(example('post_call_transcription.phone', 'conv_indexed'));
    const byAgent = await emulators.dynamodb.send(new QueryCommand({
      TableName: emulators.tableName,
      IndexName: BY_AGENT_INDEX.indexName,
      KeyConditionExpression: 'agent_id = :a AND start_time_unix_secs BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':a': { S: 'agent_7901kdemo0support000000001' }, ':from': { N: '1763999999' }, ':to': { N: '1764000001' } },
    }));
    expect(byAgent.Items!.map((i) => i.conversation_id.S)).toContain('conv_indexed');
    const byNumber = await emulators.dynamodb.send(new QueryCommand({
      TableName: emulators.tableName,
      IndexName: BY_NUMBER_INDEX.indexName,
      KeyConditionExpression: 'external_number = :n',
      ExpressionAttributeValues: { ':n': { S: '+15550100123' } },
    }));
    expect(byNumber.Items!.map((i) => i.conversation_id.S)).toContain('conv_indexed');
  });

  it('stores a transcription over 1 MB: the item fits, the full event is in S3', async () => {
    const body = example('post_call_transcription.phone', 'conv_long_call');
    const turn = body.data.transcript[3];
    body.data.transcript = Array.from({ length: 3000 }, (_, i) => ({ ...turn, time_in_call_secs: i }));
    body.data.conversation_initiation_client_data.dynamic_variables.notes = 'n'.repeat(350_000);
    const raw = JSON.stringify(body);
    expect(raw.length).toBeGreaterThan(1_000_000);
    expect((await deliver(raw)).status).toBe(200);
    const item = await read.item('conv_long_call');
    expect(item).toMatchObject({ transcript_turns: 3000, agent_turns: 3000, truncated_fields: ['evaluation_rationale', 'data_collection_rationale', 'dynamic_variables'] });
    expect((await read.object(item!.transcript_s3_key)).body.length).toBe(Buffer.byteLength(raw));
  });

  it('verifies a base64-encoded body on its decoded bytes', async () => {
    expect((await deliver(example('call_initiation_failure.twilio', 'conv_base64'), { base64: true })).status).toBe(200);
    expect(await read.item('conv_base64')).toMatchObject({ failure_provider: 'twilio' });
  });

  it('stores nothing for a bad signature', async () => {
    const before = await read.keys();
    const result = await deliver(example('post_call_audio', 'conv_forged'), { secret: 'wsec_attacker' });
    expect(result).toMatchObject({ status: 401, body: { error: 'invalid_signature' } });
    expect(await read.item('conv_forged')).toBeUndefined();
    expect(await read.keys()).toEqual(before);
  });

  it('archives a signed but invalid body and answers 400', async () => {
    const raw = '{"type":"post_call_audio","data":{"conversation_id":"conv_no_audio"}}';
    const result = await deliver(raw);
    expect(result.status).toBe(400);
    const archived = await read.keys('raw/');
    const bodies = await Promise.all(archived.map(async (k) => (await read.object(k)).body.toString()));
    expect(bodies).toContain(raw);
  });

  it('stores a call exactly once when the item update failed, on redelivery', async () => {
    const real = createCallStore({ tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 });
    let failNext = true;
    const crashing = {
      ...real,
      async applyUpdate(...args: Parameters<typeof real.applyUpdate>) {
        if (failNext) {
          failNext = false;
          throw new StorageError('item', 'DynamoDB UpdateItem failed: simulated crash');
        }
        return real.applyUpdate(...args);
      },
    };
    const body = example('post_call_audio', 'conv_crash');
    const request = signedRequest(body);
    const deps = { getSecret: async () => TEST_SECRET, store: crashing, now: () => new Date() };
    expect((await processWebhook(request, deps)).response.statusCode).toBe(500);
    expect(await read.item('conv_crash')).toBeUndefined();
    // Archived before the item: the MP3 and its envelope are kept, so nothing is lost (a rebuild finds them).
    const key = `audio/calls/conv_crash/${body.event_timestamp}.mp3`;
    expect(await read.keys('audio/calls/conv_crash/')).toEqual([key]);
    expect(await read.keys('raw/calls/conv_crash/post_call_audio/')).toHaveLength(1);
    expect((await processWebhook(request, deps)).response.body.status).toBe('stored');
    expect(await read.keys('audio/calls/conv_crash/')).toEqual([key]);
    expect(await read.item('conv_crash')).toMatchObject({ audio_s3_key: key, audio_bytes: Buffer.from(body.data.full_audio, 'base64').length });
  });

  it('answers 500 and leaves the item as it was when the MP3 cannot be written, so it never points at a missing object', async () => {
    const real = createCallStore({ tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 });
    const first = { ...example('post_call_audio', 'conv_undo'), event_timestamp: OLDER };
    expect((await deliver(first)).status).toBe(200);
    const before = await read.item('conv_undo');
    const brokenS3 = new S3Client({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, forcePathStyle: true, maxAttempts: 1 });
    const failing = createCallStore({ tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: brokenS3 });
    const second = { ...example('post_call_audio', 'conv_undo'), event_timestamp: NEWER };
    const request = signedRequest(second);
    const deps = { getSecret: async () => TEST_SECRET, store: { ...real, putObject: failing.putObject }, now: () => new Date() };
    expect((await processWebhook(request, deps)).response.statusCode).toBe(500);
    const after = await read.item('conv_undo');
    expect(after).toEqual(before);
    expect((await read.object(after!.audio_s3_key)).body.length).toBe(after!.audio_bytes);
    // The same event, delivered again, is stored.
    expect((await processWebhook(request, { ...deps, store: real })).response.body.status).toBe('stored');
    expect(await read.item('conv_undo')).toMatchObject({ audio_s3_key: `audio/calls/conv_undo/${NEWER}.mp3`, audio_event_timestamp: NEWER });
  });

  it('keeps the MP3 and the item in agreement whatever order audio events arrive in, concurrently too', async () => {
    const audio = (conversationId: string, timestamp: number, bytes: number) => ({
      type: 'post_call_audio',
      event_timestamp: timestamp,
      data: { agent_id: 'agent_a', conversation_id: conversationId, full_audio: Buffer.alloc(bytes, timestamp % 251).toString('base64') },
    });
    // Sequential: a newer recording, then an older one arriving late.
    await deliver(audio('conv_audio_order', NEWER, 5_000));
    expect((await deliver(audio('conv_audio_order', OLDER, 3_000))).body.status).toBe('duplicate');
    const item = await read.item('conv_audio_order');
    expect(item).toMatchObject({ audio_bytes: 5_000, audio_event_timestamp: NEWER });
    expect((await read.object(item!.audio_s3_key)).body.length).toBe(5_000);
    // Concurrent: 6 rounds of 50 deliveries of differently sized recordings in random order.
    for (let round = 0; round < 6; round += 1) {
      const id = `conv_audio_race_${round}`;
      const events = Array.from({ length: 50 }, (_, i) => audio(id, OLDER + i, 1_000 + ((i * 7919) % 50) * 37)).sort(() => Math.random() - 0.5);
      await Promise.all(events.map((e) => deliver(e)));
      const raced = await read.item(id);
      const newest = events.reduce((a, b) => (a.event_timestamp > b.event_timestamp ? a : b));
      expect(raced).toMatchObject({ audio_event_timestamp: newest.event_timestamp, audio_bytes: Buffer.from(newest.data.full_audio, 'base64').length });
      expect((await read.object(raced!.audio_s3_key)).body.length).toBe(raced!.audio_bytes);
    }
  });

  it('keeps a call whose item DynamoDB refuses as a minimal item, and lets the repaired delivery through', async () => {
    const real = createCallStore({ tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 });
    // A bug of tomorrow, simulated: an update DynamoDB refuses as invalid (an empty string set).
    const buggy = { ...real, applyUpdate: (update: CallUpdate, options: UpdateOptions) => real.applyUpdate({ ...update, set: { ...update.set, broken: new Set() as never } }, options) };
    const body = example('post_call_transcription.phone', 'conv_store_error');
    const request = signedRequest(body);
    const failed = await processWebhook(request, { getSecret: async () => TEST_SECRET, store: buggy, now: () => new Date() });
    expect(failed.response).toMatchObject({ statusCode: 200, body: { status: 'store_error' } });
    const minimal = await read.item('conv_store_error');
    const rawKey = (await read.keys('raw/calls/conv_store_error/'))[0];
    expect(minimal).toEqual({
      conversation_id: 'conv_store_error',
      agent_id: 'agent_7901kdemo0support000000001',
      start_time_unix_secs: body.event_timestamp,
      start_time: expect.any(String),
      // Listed by time like any call (in the month index too) until its real start time arrives.
      start_month: new Date(body.event_timestamp * 1000).toISOString().slice(0, 7),
      store_error: new Set(['post_call_transcription']),
      store_error_post_call_transcription: { error: 'ValidationException', event_timestamp: body.event_timestamp, raw_s3_key: rawKey, at: expect.any(String) },
      updated_at: expect.any(String),
    });
    // The fix deployed, the same event delivered again: stored in full, the error cleared.
    const repaired = await processWebhook(request, { getSecret: async () => TEST_SECRET, store: real, now: () => new Date() });
    expect(repaired.response.body.status).toBe('stored');
    const item = await read.item('conv_store_error');
    expect(item).toMatchObject({ call_successful: 'success', start_time_unix_secs: 1764000000, transcription_event_timestamp: body.event_timestamp });
    expect(item).not.toHaveProperty('store_error');
    expect(item).not.toHaveProperty('store_error_post_call_transcription');
  });

  it('stores and reads back every key a map can have: constructor, __proto__, the empty key and its escape', async () => {
    const keys = '{"constructor":{"name":"Set"},"__proto__":"p","":"e","\\u2400":"escape","toString":1}';
    const body = example('post_call_transcription.phone', 'conv_keys');
    body.data.conversation_initiation_client_data.dynamic_variables = '__MAP__';
    const text = JSON.stringify(body).replace('"__MAP__"', () => keys);
    const sent: string[] = [];
    const spy = (next: any) => async (args: any) => {
      const raw = args.request?.body;
      const requestBody = raw instanceof Uint8Array ? Buffer.from(raw).toString() : String(raw ?? '');
      if (requestBody.includes('conv_keys') && requestBody.includes('UpdateExpression')) sent.push(requestBody);
      return next(args);
    };
    emulators.dynamodb.middlewareStack.add(spy, { step: 'finalizeRequest', name: 'spyOnKeys' });
    try {
      const store = createCallStore({ tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb: emulators.dynamodb, s3: emulators.s3 });
      const { response } = await processWebhook(signedRequest(text), { getSecret: async () => TEST_SECRET, store, now: () => new Date() });
      expect(response.body.status).toBe('stored');
    } finally {
      emulators.dynamodb.middlewareStack.remove('spyOnKeys');
    }
    // On the wire to DynamoDB: every key, the empty one escaped and the escape doubled.
    const values = Object.values(JSON.parse(sent[0]).ExpressionAttributeValues) as { M?: Record<string, unknown> }[];
    const sentMap = values.find((v) => v.M && Object.hasOwn(v.M, 'toString'))!.M!;
    expect(Object.keys(sentMap)).toEqual(['constructor', '__proto__', '\u2400', '\u2400\u2400', 'toString']);
    // dynalite drops a "__proto__" map key when it parses the request (DynamoDB does not); the rest reads back as sent.
    const item = await read.item('conv_keys');
    expect(JSON.stringify(item!.dynamic_variables)).toBe('{"constructor":{"name":"Set"},"":"e","\u2400":"escape","toString":1}');
  });

  it('reads a "__proto__" key back as an own key, as DynamoDB returns it', async () => {
    const { createServer } = await import('node:http');
    const answer = '{"Item":{"conversation_id":{"S":"c"},"dynamic_variables":{"M":{"__proto__":{"S":"p"},"constructor":{"M":{"name":{"S":"Set"}}},"\u2400":{"S":"e"}}}}}';
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(answer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const dynamodb = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    try {
      const item = await createCallStore({ tableName: 't', bucketName: 'b', dynamodb, s3: emulators.s3 }).getCall('c');
      expect(JSON.stringify(item!.dynamic_variables)).toBe('{"__proto__":"p","constructor":{"name":"Set"},"":"e"}');
      expect(Object.getPrototypeOf(item!.dynamic_variables)).toBe(Object.prototype);
    } finally {
      dynamodb.destroy();
      server.close();
    }
  });

  it('stores a signed empty body without the SDK warning of a stream of unknown length', async () => {
    const warnings: unknown[] = [];
    const warn = jest.spyOn(console, 'warn').mockImplementation((...args) => void warnings.push(args));
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      expect((await deliver('')).status).toBe(400);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      warn.mockRestore();
      process.off('warning', onWarning);
    }
    expect(JSON.stringify(warnings)).not.toMatch(/unknown length/i);
  });


  it('archives the body while DynamoDB is down, answers 500, and stores the call once when it is back', async () => {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const down = new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
    const store = (dynamodb: typeof down) => createCallStore({ tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb, s3: emulators.s3 });
    const request = signedRequest(example('post_call_transcription.phone', 'conv_dynamodb_down'));
    const deps = (dynamodb: typeof down) => ({ getSecret: async () => TEST_SECRET, store: store(dynamodb), now: () => new Date() });
    const rawBefore = (await read.keys('raw/')).length;
    expect((await processWebhook(request, deps(down))).response).toEqual({ statusCode: 500, body: { error: 'storage_unavailable' } });
    expect((await read.keys('raw/')).length).toBe(rawBefore + 1);
    expect((await processWebhook(request, deps(emulators.dynamodb))).response.body.status).toBe('stored');
    expect((await processWebhook(request, deps(emulators.dynamodb))).response.body.status).toBe('duplicate');
    expect((await read.keys('raw/')).length).toBe(rawBefore + 1);
    expect(await read.item('conv_dynamodb_down')).toMatchObject({ cost: 142, events_received: new Set(['post_call_transcription']) });
    down.destroy();
  });

  it('answers 500 in bounded time when DynamoDB is slow, and stores the call once when it is fast again', async () => {
    const { createServer, connect } = await import('node:net');
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const target = new URL(emulators.dynamodbEndpoint);
    // A proxy that holds every answer from DynamoDB back for two seconds.
    const sockets = new Set<import('node:net').Socket>();
    const proxy = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream);
      upstream.on('data', (chunk) => setTimeout(() => client.writable && client.write(chunk), 2_000).unref());
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const slow = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(proxy.address() as { port: number }).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      // The production timeouts, scaled down so the test is quick.
      requestHandler: { ...STORAGE_HTTP_OPTIONS, requestTimeout: 300 },
      maxAttempts: 2,
    });
    const store = (dynamodb: typeof slow) => createCallStore({ tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb, s3: emulators.s3 });
    const request = signedRequest(example('post_call_transcription.phone', 'conv_dynamodb_slow'));
    const deps = (dynamodb: typeof slow) => ({ getSecret: async () => TEST_SECRET, store: store(dynamodb), now: () => new Date() });
    const started = Date.now();
    expect((await processWebhook(request, deps(slow))).response).toEqual({ statusCode: 500, body: { error: 'storage_unavailable' } });
    expect(Date.now() - started).toBeLessThan(1_900);
    expect((await processWebhook(request, deps(emulators.dynamodb))).response.body.status).toMatch(/stored|duplicate/);
    expect(await read.item('conv_dynamodb_slow')).toMatchObject({ cost: 142, events_received: new Set(['post_call_transcription']) });
    slow.destroy();
    for (const socket of sockets) socket.destroy();
    proxy.close();
  });

  it('answers 500 when storage is unreachable, so ElevenLabs can retry', async () => {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const closed = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 };
    const store = createCallStore({ tableName: 't', bucketName: 'b', dynamodb: new DynamoDBClient(closed), s3: new S3Client({ ...closed, forcePathStyle: true }) });
    const { response } = await processWebhook(signedRequest(loadExample('post_call_transcription')), { getSecret: async () => TEST_SECRET, store, now: () => new Date() });
    expect(response).toEqual({ statusCode: 500, body: { error: 'storage_unavailable' } });
  });
});
