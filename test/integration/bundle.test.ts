import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ElevenLabsWebhookReceiverStack } from '../../lib/receiver-stack';
import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { startFakeElevenLabsApi, type FakeElevenLabsApi } from '../support/fake-elevenlabs-api';
import { startFakeSecretsManager } from '../support/fake-secrets-manager';
import { storageReader } from '../support/storage';
import { invokeBundle as invokeSynthesized, synthesizedFunctions, type SynthesizedFunction } from '../support/synthesized-functions';
import { CDK_JSON_CONTEXT, loadExample, signedApiEvent, TEST_SECRET } from '../support/webhooks';

/*
 * The three functions exactly as `cdk synth` bundles them with esbuild, each run in a fresh Node process
 * the way Lambda loads it, configured as the stack configures it (secret ARNs, not plain secrets),
 * against the storage emulators, a stand-in Secrets Manager and a fake ElevenLabs API.
 */

const API_KEY = 'sk_bundle_test';

let outdir: string;
let webhook: SynthesizedFunction;
let reconciler: SynthesizedFunction;
let sweeper: SynthesizedFunction;
let streamConsumer: SynthesizedFunction;
let emulators: Emulators;
let secrets: Awaited<ReturnType<typeof startFakeSecretsManager>>;
let api: FakeElevenLabsApi;

beforeAll(async () => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'receiver-synth-'));
  const app = new App({ outdir, context: CDK_JSON_CONTEXT });
  const stack = new ElevenLabsWebhookReceiverStack(app, 'Bundled', { receiver: { apiReconciliation: {}, honourDeletionSettings: {} } });
  const assembly = app.synth();
  const functions = synthesizedFunctions(assembly.directory, Template.fromStack(stack).toJSON() as { Resources: Record<string, any> });
  [webhook, reconciler, sweeper, streamConsumer] = [functions.webhook!, functions.reconciler!, functions.sweeper!, functions.streamConsumer!];
  emulators = await startEmulators();
  secrets = await startFakeSecretsManager(); // created empty, as the stack creates it
  api = await startFakeElevenLabsApi({
    apiKey: API_KEY,
    conversations: [{ conversation_id: 'conv_bundle_missed', agent_id: 'agent_b', start_time_unix_secs: Math.floor(Date.now() / 1000) - 600, has_audio: true, audioBytes: 6_000_000 }],
  });
}, 120_000);

afterAll(async () => {
  await emulators?.close();
  await secrets?.close();
  await api?.close();
  fs.rmSync(outdir, { recursive: true, force: true });
});

/** Invokes a function's bundle once per event, configured as the stack configures it, with the stand-ins' endpoints. */
function invokeBundle(events: unknown[], fn: SynthesizedFunction = webhook, extraEnv: Record<string, string> = {}): Promise<any[]> {
  return invokeSynthesized(fn.bundleDir, events, {
    ...fn.environment,
    ...emulators.environment,
    WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf',
    ELEVENLABS_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key-AbCdEf',
    ELEVENLABS_API_BASE_URL: api.baseUrl,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...extraEnv,
  });
}

describe('the bundles cdk synth builds', () => {
  it('are minified index.js files with source maps, the SDK included', () => {
    for (const fn of [webhook, reconciler, sweeper]) {
      const bytes = fs.statSync(path.join(fn.bundleDir, 'index.js')).size;
      expect(bytes).toBeGreaterThan(50_000);
      expect(bytes).toBeLessThan(2_000_000);
      expect(fs.existsSync(path.join(fn.bundleDir, 'index.js.map'))).toBe(true);
    }
  });

  it('are configured by the stack without any secret value', () => {
    expect(Object.keys(webhook.environment)).toEqual(expect.arrayContaining(['SIGNATURE_TOLERANCE_SECONDS', 'POWERTOOLS_SERVICE_NAME', 'AUDIO_CHECK_DELAY_SECONDS']));
    expect(Object.keys(reconciler.environment)).toEqual(expect.arrayContaining(['ELEVENLABS_API_BASE_URL', 'BACKFILL_LOOKBACK_HOURS']));
    expect(JSON.stringify([webhook.environment, reconciler.environment])).not.toMatch(/wsec_|sk_/);
  });

  it('fails closed while the secret has no value, then stores every event once it is set', async () => {
    const names = ['post_call_transcription.phone', 'post_call_audio', 'call_initiation_failure.sip'];
    const events = names.map((name) => signedApiEvent(loadExample(name)));
    const [beforeSecret] = await invokeBundle([events[0]]);
    expect(beforeSecret.statusCode).toBe(500);
    expect(JSON.parse(beforeSecret.body)).toEqual({ error: 'not_configured' });

    secrets.setValue(TEST_SECRET);
    const results = await invokeBundle([...events, signedApiEvent(loadExample('post_call_audio'), { secret: 'wsec_wrong' })]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 401]);

    const read = storageReader(emulators);
    expect(await read.item('conv_7901kphone0inbound0000001')).toMatchObject({ cost: 142, call_successful: 'success' });
    const audio = await read.object((await read.item('abc'))!.audio_s3_key);
    expect(audio.body.equals(Buffer.from(loadExample('post_call_audio').data.full_audio, 'base64'))).toBe(true);
    expect(await read.item('conv_7901kfail0sip000000000001')).toMatchObject({ failure_reason: 'busy' });
  });

  it('queues an audio check through SQS for a transcription with audio, the SQS client loaded only then', async () => {
    secrets.setValue(TEST_SECRET);
    // A stand-in for SQS's JSON protocol: records SendMessage and answers as SQS does (the SDK checks the MD5).
    const sent: { QueueUrl: string; MessageBody: string; DelaySeconds: number }[] = [];
    const sqs = http.createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => (text += chunk));
      request.on('end', () => {
        const input = JSON.parse(text);
        sent.push(input);
        response.setHeader('content-type', 'application/x-amz-json-1.0');
        response.end(JSON.stringify({ MessageId: 'm1', MD5OfMessageBody: createHash('md5').update(input.MessageBody).digest('hex') }));
      });
    });
    await new Promise<void>((resolve) => sqs.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(sqs.address() as AddressInfo).port}`;
      const body = { ...loadExample('post_call_transcription.phone'), data: { ...loadExample('post_call_transcription.phone').data, conversation_id: 'conv_bundle_check' } };
      const [result] = await invokeBundle([signedApiEvent(body)], webhook, { AUDIO_CHECK_QUEUE_URL: `${endpoint}/123456789012/checks`, AWS_ENDPOINT_URL_SQS: endpoint });
      expect(result.statusCode).toBe(200);
      expect(sent).toEqual([expect.objectContaining({ QueueUrl: `${endpoint}/123456789012/checks`, MessageBody: JSON.stringify({ conversation_id: 'conv_bundle_check' }) })]);
    } finally {
      sqs.close();
    }
  });

  it('deletion sweeper: deletes what a webhook said ElevenLabs deletes, on the schedule', async () => {
    secrets.setValue(TEST_SECRET);
    const body = loadExample('post_call_transcription');
    body.data.conversation_id = 'conv_bundle_deleted';
    body.data.metadata.deletion_settings.deletion_time_unix_secs = Math.floor(Date.now() / 1000) - 60;
    const [stored] = await invokeBundle([signedApiEvent(body)]);
    expect(stored.statusCode).toBe(200);
    const read = storageReader(emulators);
    const before = await read.item('conv_bundle_deleted');
    expect(await read.exists(before!.transcript_s3_key)).toBe(true);

    const [report] = await invokeBundle([{ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }], sweeper);
    expect(report).toMatchObject({ due: 1, transcriptsDeleted: 1, audioDeleted: 1, failures: [] });
    expect(await read.exists(before!.transcript_s3_key)).toBe(false);
    expect(await read.keys('raw/calls/conv_bundle_deleted/')).toEqual([]);
    const after = await read.item('conv_bundle_deleted');
    expect(after).not.toHaveProperty('transcript_summary');
    expect(after).toMatchObject({ cost: 296, transcript_deleted_at: expect.any(String) });
  });

  it('reconciler: backfills a call that sent no webhook, streaming its audio, on the schedule', async () => {
    secrets.setValue(API_KEY);
    const [result] = await invokeBundle([{ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }], reconciler);
    expect(result).toBeNull();
    const item = await storageReader(emulators).item('conv_bundle_missed');
    expect(item).toMatchObject({ agent_id: 'agent_b', audio_source: 'api', audio_bytes: 6_000_000 });
  });

  it('stream function: writes a changed call\'s analytics row, and reports the record it could not carry out', async () => {
    const image = { conversation_id: { S: 'conv_bundle_stream' }, start_time_unix_secs: { N: '1764000000' }, transcription_event_timestamp: { N: '1' }, call_successful: { S: 'success' } };
    const record = (sequence: string, NewImage: object) => ({ eventName: 'INSERT', dynamodb: { Keys: { conversation_id: image.conversation_id }, NewImage, SequenceNumber: sequence } });
    // Events to an endpoint that does not answer: the first record's publish fails, its row is already written.
    const [result] = await invokeBundle([{ Records: [record('101', image)] }], streamConsumer, { EVENT_BUS_NAME: 'calls-bus', AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '101' }] });
    const row = JSON.parse((await storageReader(emulators).object('analytics/calls/start_date=2025-11-24/conv_bundle_stream.json')).body.toString());
    expect(row).toMatchObject({ conversation_id: 'conv_bundle_stream', outcome: 'success', start_time: '2025-11-24 16:00:00.000' });
    const [quiet] = await invokeBundle([{ Records: [record('102', image)] }], streamConsumer, { EVENT_BUS_NAME: '' });
    expect(quiet).toEqual({ batchItemFailures: [] });
  });

  it('reconciler: answers an SQS batch, failing only the message it could not handle', async () => {
    secrets.setValue(API_KEY);
    const record = (messageId: string, body: string) => ({ messageId, body, attributes: { ApproximateReceiveCount: '1' }, eventSource: 'aws:sqs' });
    const [result] = await invokeBundle([{ Records: [record('m1', JSON.stringify({ conversation_id: 'conv_bundle_missed' })), record('m2', 'not json')] }], reconciler);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
  });
});
