import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ElevenLabsWebhookReceiverStack } from '../../lib/receiver-stack';
import { startEmulators, type Emulators } from '../../lib/local/emulators';
import { startFakeSecretsManager } from '../support/fake-secrets-manager';
import { storageReader } from '../support/storage';
import { CDK_JSON_CONTEXT, loadExample, signedApiEvent, TEST_SECRET } from '../support/webhooks';

/*
 * The function exactly as `cdk synth` bundles it with esbuild, run in a fresh Node process the way
 * Lambda loads it, configured as the stack configures it (secret ARN, not a plain secret), against
 * the storage emulators and a stand-in Secrets Manager.
 */

let outdir: string;
let bundleDir: string;
let functionEnvironment: Record<string, string>;
let emulators: Emulators;
let secrets: Awaited<ReturnType<typeof startFakeSecretsManager>>;

beforeAll(async () => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'receiver-synth-'));
  const app = new App({ outdir, context: CDK_JSON_CONTEXT });
  const stack = new ElevenLabsWebhookReceiverStack(app, 'Bundled');
  const assembly = app.synth();
  const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as any[];
  bundleDir = path.join(assembly.directory, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
  // Tokens (table name, ARN) are replaced below; everything else is what the stack sets.
  functionEnvironment = Object.fromEntries(
    Object.entries(fn.Properties.Environment.Variables).filter(([, v]) => typeof v === 'string'),
  ) as Record<string, string>;
  emulators = await startEmulators();
  secrets = await startFakeSecretsManager(); // created empty, as the stack creates it
}, 120_000);

afterAll(async () => {
  await emulators?.close();
  await secrets?.close();
  fs.rmSync(outdir, { recursive: true, force: true });
});

/**
 * Loads the bundle in a new Node process and invokes `handler` once per event, in order.
 * Asynchronous on purpose: the emulators it calls run in this process.
 */
async function invokeBundle(events: unknown[]): Promise<{ statusCode: number; body: string }[]> {
  const runner = `
    const { handler } = require(${JSON.stringify(path.join(bundleDir, 'index.js'))});
    (async () => {
      const events = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
      const results = [];
      for (const event of events) results.push(await handler(event, {}));
      process.stdout.write('\\n@@' + JSON.stringify(results));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const eventsFile = path.join(outdir, `events-${Date.now()}.json`);
  fs.writeFileSync(eventsFile, JSON.stringify(events));
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', runner, eventsFile], {
    env: {
      PATH: process.env.PATH,
      ...functionEnvironment,
      ...emulators.environment,
      WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout.slice(stdout.lastIndexOf('\n@@') + 3));
}

describe('the bundle cdk synth builds', () => {
  it('is one minified index.js with its source map, the SDK included', () => {
    const bytes = fs.statSync(path.join(bundleDir, 'index.js')).size;
    expect(bytes).toBeGreaterThan(50_000);
    expect(bytes).toBeLessThan(2_000_000);
    expect(fs.existsSync(path.join(bundleDir, 'index.js.map'))).toBe(true);
  });

  it('is configured by the stack without the secret value', () => {
    expect(Object.keys(functionEnvironment)).toEqual(expect.arrayContaining(['SIGNATURE_TOLERANCE_SECONDS', 'POWERTOOLS_SERVICE_NAME']));
    expect(JSON.stringify(functionEnvironment)).not.toContain('wsec_');
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
    const audio = await read.object('audio/xyz/abc.mp3');
    expect(audio.body.equals(Buffer.from(loadExample('post_call_audio').data.full_audio, 'base64'))).toBe(true);
    expect(await read.item('conv_7901kfail0sip000000000001')).toMatchObject({ failure_reason: 'busy' });
  });
});
