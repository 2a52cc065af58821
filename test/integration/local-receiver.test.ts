import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAMBDA_MAX_EVENT_BYTES } from '../../lib/local/api-gateway';
import { startLocalReceiver, type LocalReceiver } from '../../lib/local/local-receiver';
import { resolvePayload, sendWebhook } from '../../lib/send-webhook';
import { signPayload } from '../../lambda/signature';
import { storageReader } from '../support/storage';
import { exampleNames, loadExample, nowSecs, signedRequest, TEST_SECRET } from '../support/webhooks';

/* `npm start`'s receiver in this process: HTTP in, API Gateway's behaviour, the handler, the emulators. */
let dataDir: string;
let receiver: LocalReceiver;
const refusals: string[] = [];
/** The last line about a refused request (event lines of the local stream may come in between). */
const lastRefusal = () => refusals.filter((line) => !line.startsWith('event: ')).at(-1);

const start = () => startLocalReceiver({ secret: TEST_SECRET, dataDir, eventsFile: join(dataDir, 'events.jsonl'), log: (line) => refusals.push(line) });

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  dataDir = mkdtempSync(join(tmpdir(), 'local-receiver-'));
  receiver = await start();
});

afterAll(async () => {
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function post(body: Buffer | string, headers: Record<string, string>, path = '/elevenlabs/webhook') {
  const response = await fetch(new URL(path, receiver.url), { method: 'POST', headers, body });
  return { status: response.status, body: await response.text() };
}

describe('local receiver', () => {
  it('serves the deployed path on localhost', () => {
    expect(receiver.url).toMatch(/^http:\/\/localhost:\d+\/elevenlabs\/webhook$/);
  });

  it.each(exampleNames())('stores the %s example sent by the sender', async (name) => {
    const { body } = resolvePayload(name);
    const answer = await sendWebhook({ url: receiver.url, secret: TEST_SECRET, body });
    expect(answer.status).toBe(200);
    const item = await storageReader(receiver.emulators).item(loadExample(name).data.conversation_id);
    expect([...item!.events_received]).toContain(loadExample(name).type);
  });

  it("carries out the table's stream locally: each call's analytics row in the bucket, its events in events.jsonl, logged by type and id", async () => {
    const body = loadExample('post_call_transcription.phone');
    const id = 'conv_local_outflow';
    const answer = await sendWebhook({ url: receiver.url, secret: TEST_SECRET, body: Buffer.from(JSON.stringify({ ...body, data: { ...body.data, conversation_id: id } })) });
    expect(answer.status).toBe(200);
    await receiver.outflow!.settled();
    const day = new Date(body.data.metadata.start_time_unix_secs * 1000).toISOString().slice(0, 10);
    const row = JSON.parse((await storageReader(receiver.emulators).object(`analytics/calls/start_date=${day}/${id}.json`)).body.toString());
    expect(row).toMatchObject({ conversation_id: id, outcome: 'success', channel: 'phone' });
    const events = readFileSync(join(dataDir, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((e) => e.detail.conversation_id === id);
    expect(events.map((e) => e['detail-type'])).toEqual(['Call Transcription Stored']);
    expect(events[0]).toMatchObject({ source: 'elevenlabs-webhook-receiver', detail: { replaced: false, call: { conversation_id: id } } });
    expect(refusals).toContain(`event: Call Transcription Stored ${id}`);
  });

  it('sees concurrent writes to one call one at a time: each event once, the row as the item ends', async () => {
    const id = 'conv_local_race';
    const bodies = ['post_call_transcription.phone', 'post_call_audio', 'call_initiation_failure.twilio'].map((name) => {
      const example = loadExample(name);
      return Buffer.from(JSON.stringify({ ...example, data: { ...example.data, conversation_id: id } }));
    });
    const answers = await Promise.all(bodies.map((body) => sendWebhook({ url: receiver.url, secret: TEST_SECRET, body })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    await receiver.outflow!.settled();
    const types = readFileSync(join(dataDir, 'events.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((e) => e.detail.conversation_id === id).map((e) => e['detail-type']);
    expect(types.filter((t) => t === 'Call Transcription Stored')).toHaveLength(1);
    expect(types.filter((t) => t === 'Call Audio Stored')).toHaveLength(1);
    expect(new Set(types).size).toBe(types.length);
    const item = await storageReader(receiver.emulators).item(id);
    const day = new Date(item!.start_time_unix_secs * 1000).toISOString().slice(0, 10);
    const row = JSON.parse((await storageReader(receiver.emulators).object(`analytics/calls/start_date=${day}/${id}.json`)).body.toString());
    expect(row).toMatchObject({ conversation_id: id, audio_bytes: item!.audio_bytes, failure_reason: item!.failure_reason });
  });

  it('answers a stale signature from the sender with 401', async () => {
    const { body } = resolvePayload('post_call_audio');
    const answer = await sendWebhook({ url: receiver.url, secret: TEST_SECRET, body, timestampOffsetSeconds: -3600 });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_signature' });
  });

  it('passes a non-text body base64-encoded, as API Gateway does, and still verifies it', async () => {
    const raw = JSON.stringify({ ...loadExample('call_initiation_failure.sip'), data: { ...loadExample('call_initiation_failure.sip').data, conversation_id: 'conv_octet' } });
    const answer = await post(raw, { 'content-type': 'application/octet-stream', 'ElevenLabs-Signature': signedRequest(raw).signatureHeader! });
    expect(answer.status).toBe(200);
  });

  it('answers 404 off the webhook route, like API Gateway', async () => {
    expect((await post('{}', {}, '/other')).status).toBe(404);
    expect((await fetch(receiver.url)).status).toBe(404);
  });

  it('refuses a body over API Gateway\'s 10 MB with 413 and says which limit', async () => {
    const answer = await post(Buffer.alloc(10 * 1024 * 1024 + 1, 0x20), { 'content-type': 'application/json' });
    expect(answer.status).toBe(413);
    expect(lastRefusal()).toMatch(/API Gateway limit/);
  });

  it('refuses an event over Lambda\'s 6 MB with 413, though API Gateway would take the body', async () => {
    // 4.8 MB of audio is under 10 MB, but base64 in the event pushes it past 6 MB. Signed: an
    // unsigned body is answered 401 before it is read.
    const audio = Buffer.alloc(4_800_000, 1);
    const answer = await post(audio, { 'content-type': 'audio/mpeg', 'ElevenLabs-Signature': signPayload(TEST_SECRET, audio, nowSecs()) });
    expect(answer.status).toBe(413);
    expect(lastRefusal()).toMatch(/Lambda limit/);
    expect(LAMBDA_MAX_EVENT_BYTES).toBe(6_291_456);
  });

  it('keeps the calls across a restart on the same data folder', async () => {
    await receiver.close();
    receiver = await start();
    const item = await storageReader(receiver.emulators).item('conv_7901kphone0inbound0000001');
    expect(item).toMatchObject({ cost: 142 });
  });

  it('sweeps due deletions on a timer when asked, as the deployed schedule does', async () => {
    await receiver.close();
    receiver = await startLocalReceiver({ secret: TEST_SECRET, dataDir, log: (line) => refusals.push(line), deletionSweepIntervalMs: 100 });
    const body = loadExample('post_call_transcription');
    body.data.conversation_id = 'conv_local_deleted';
    body.data.metadata.deletion_settings.deletion_time_unix_secs = Math.floor(Date.now() / 1000) - 5;
    expect((await sendWebhook({ url: receiver.url, secret: TEST_SECRET, body: Buffer.from(JSON.stringify(body)) })).status).toBe(200);
    const read = storageReader(receiver.emulators);
    const deadline = Date.now() + 10_000;
    while ((await read.item('conv_local_deleted'))?.transcript_deleted_at === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await read.item('conv_local_deleted')).toMatchObject({ transcript_deleted_at: expect.any(String), cost: 296 });
    expect(await read.keys('raw/calls/conv_local_deleted/')).toEqual([]);
    expect(refusals.join('\n')).toMatch(/deletion sweep: 1 due; transcript deleted for 1, audio for 1 \(\d+ objects\)/);
  });
});
