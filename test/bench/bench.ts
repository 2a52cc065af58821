/*
 * `npm run bench`: the receiver's cost against a floor measured in the same run, so the ratios hold
 * on a noisy machine. Not a test: it prints a table and asserts nothing.
 *
 * - Handler CPU per webhook, for a typical transcription (~20 KB), a long one (~1 MB) and an audio
 *   event just under Lambda's 6 MB, against the floor: verify the HMAC, JSON.parse and (audio)
 *   base64-decode the same body, given as API Gateway gives it (text). Storage is replaced by
 *   adapters that do nothing.
 * - Peak memory for the largest event, against its size (measured in a fresh process).
 * - Bundle size and module load time against a bundle that only imports the AWS SDK clients used.
 * - Cost per 10,000 calls on AWS from the measured duration and memory.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { processWebhook, type ProcessDependencies } from '../../lambda/process';
import { signPayload } from '../../lambda/signature';
import type { CallStore } from '../../lambda/storage';
import { loadExample, TEST_SECRET } from '../support/webhooks';

const ROOT = join(__dirname, '..', '..');
const nullStore: CallStore = { putObject: async () => undefined, applyUpdate: async () => 'created', recordStoreError: async () => undefined };
const deps: ProcessDependencies = { getSecret: async () => TEST_SECRET, store: nullStore, now: () => new Date() };

/** Realistic payloads of the three sizes. */
export function payloads(): { name: string; body: Buffer; audio: boolean }[] {
  const phone = loadExample('post_call_transcription.phone');
  const turns = phone.data.transcript;
  const transcription = (turnCount: number) => {
    const body = structuredClone(phone);
    body.event_timestamp = Math.floor(Date.now() / 1000);
    body.data.transcript = Array.from({ length: turnCount }, (_, i) => ({ ...turns[i % turns.length], time_in_call_secs: i * 3 }));
    return Buffer.from(JSON.stringify(body));
  };
  const mp3 = Buffer.alloc(4_400_000, 0x55);
  const audio = { type: 'post_call_audio', event_timestamp: Math.floor(Date.now() / 1000), data: { agent_id: 'agent_bench', conversation_id: 'conv_bench', full_audio: mp3.toString('base64') } };
  return [
    { name: 'transcription ~20 KB', body: transcription(32), audio: false },
    { name: 'transcription ~1 MB', body: transcription(2000), audio: false },
    { name: 'audio ~5.9 MB', body: Buffer.from(JSON.stringify(audio)), audio: true },
  ];
}

/** CPU ms per call of `iterations` calls in a row. */
async function cpuMs(work: () => void | Promise<void>, iterations: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i += 1) await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / iterations;
}

/**
 * Rounds of each event that are not counted: at least this many, and until the handler has had
 * WARM_UP_MS of CPU. Until then the JIT is still compiling the handler's code (zod, the mapping)
 * and the heap is still growing: cold-start costs, not per-webhook ones.
 */
const WARM_UP_ROUNDS = 3;
const WARM_UP_MS = 1000;
const MEASURED_ROUNDS = 7;
/** About this much of the handler's CPU per round, so a small event runs often enough to settle. */
const ROUND_MS = 100;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * The floor's and the handler's CPU per call, in alternating rounds (a busy moment on the machine
 * falls on both) after the warm-up rounds. Medians of the measured rounds; the ratio is the median
 * of each round's own ratio.
 */
async function floorAndHandlerMs(floorWork: () => void, handlerWork: () => Promise<void>) {
  let handlerMs = await cpuMs(handlerWork, 3);
  const floors: number[] = [];
  const handlers: number[] = [];
  const ratios: number[] = [];
  let warmUpMs = 0;
  for (let round = 0; ratios.length < MEASURED_ROUNDS; round += 1) {
    // Sized from the last round, so it follows the handler as it warms up.
    const iterations = Math.max(2, Math.round(ROUND_MS / handlerMs));
    const floorMs = await cpuMs(floorWork, iterations);
    handlerMs = await cpuMs(handlerWork, iterations);
    if (round < WARM_UP_ROUNDS || warmUpMs < WARM_UP_MS) {
      warmUpMs += handlerMs * iterations;
      continue;
    }
    floors.push(floorMs);
    handlers.push(handlerMs);
    ratios.push(handlerMs / floorMs);
  }
  return { floorMs: median(floors), handlerMs: median(handlers), ratio: median(ratios) };
}

function floor(body: string, header: string, audio: boolean) {
  const [, t, v0] = /t=(\d+),v0=([0-9a-f]+)/.exec(header) as RegExpExecArray;
  const digest = createHmac('sha256', TEST_SECRET).update(`${t}.`).update(body).digest('hex');
  if (digest !== v0) throw new Error('floor: bad signature');
  const parsed = JSON.parse(body);
  if (audio) Buffer.from(parsed.data.full_audio, 'base64');
}

async function handlerRatios() {
  const rows: string[][] = [];
  for (const { name, body, audio } of payloads()) {
    const header = signPayload(TEST_SECRET, body, Math.floor(Date.now() / 1000));
    // As API Gateway hands a JSON body to Lambda: text.
    const text = body.toString('utf8');
    const { floorMs, handlerMs, ratio } = await floorAndHandlerMs(
      () => floor(text, header, audio),
      async () => {
        const { response } = await processWebhook({ rawBody: text, signatureHeader: header }, deps);
        if (response.statusCode !== 200) throw new Error(`handler answered ${response.statusCode}`);
      },
    );
    rows.push([name, `${(body.length / 1024).toFixed(0)} KB`, floorMs.toFixed(3), handlerMs.toFixed(3), ratio.toFixed(2)]);
  }
  return rows;
}

/** Peak RSS of a fresh process handling the largest event once, against the event's size. */
function peakMemory(): string[] {
  const script = join(__dirname, 'peak-memory.ts');
  const out = JSON.parse(execFileSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [script], { cwd: ROOT }).toString());
  return [`${(out.eventBytes / 1e6).toFixed(1)} MB`, `${(out.baselineRss / 1e6).toFixed(0)} MB`, `${(out.peakRss / 1e6).toFixed(0)} MB`, ((out.peakRss - out.baselineRss) / out.eventBytes).toFixed(2)];
}

/** Bundles source as the stack does (minified CJS, SDK included) and times its load in fresh processes. */
function bundleAndLoad(dir: string, name: string, source: string, runs = 7) {
  const outfile = join(dir, `${name}.js`);
  buildSync({ stdin: { contents: source, resolveDir: join(ROOT, 'lambda'), loader: 'ts' }, bundle: true, minify: true, platform: 'node', target: 'node22', format: 'cjs', outfile, mainFields: ['module', 'main'], logLevel: 'silent' });
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const ms = execFileSync(process.execPath, ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`]).toString();
    times.push(Number(ms));
  }
  times.sort((a, b) => a - b);
  return { bytes: statSync(outfile).size, loadMs: times[Math.floor(runs / 2)] };
}

function bundles() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
  try {
    // The clients and commands the handler sends, and nothing else.
    const sdkOnly = [
      "import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';",
      "import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';",
      "import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';",
      "import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';",
      'Object.assign(globalThis, { kept: [DynamoDBClient, UpdateItemCommand, S3Client, PutObjectCommand, SQSClient, SendMessageCommand, SecretsManagerClient, GetSecretValueCommand] });',
    ].join('\n');
    const floorBundle = bundleAndLoad(dir, 'sdk-only', sdkOnly);
    const handler = bundleAndLoad(dir, 'handler', "export { handler } from './handler';");
    return { floorBundle, handler };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** us-east-1 list prices (2026), arm64 Lambda. */
const PRICE = { lambdaGbSecond: 0.0000133334, lambdaRequest: 0.2 / 1e6, httpApiRequest: 1.0 / 1e6, dynamoWriteUnit: 0.625 / 1e6, s3Put: 0.005 / 1000, s3GbMonth: 0.023 };

function costPer10k(durationMs: { transcription: number; audio: number }, memoryGb: number) {
  const calls = 10_000;
  // A call: a transcription and an audio webhook; each archives its raw body (the transcription's
  // is its transcript) and updates the item (~2 write units for a ~1 KB item plus index copies);
  // the audio's MP3 is one more object.
  const lambda = calls * (durationMs.transcription + durationMs.audio) / 1000 * memoryGb * PRICE.lambdaGbSecond + calls * 2 * PRICE.lambdaRequest;
  const api = calls * 2 * PRICE.httpApiRequest;
  const dynamodb = calls * 2 * 3 * PRICE.dynamoWriteUnit;
  const s3Requests = calls * 3 * PRICE.s3Put;
  // Per call for a month, in MB: the raw transcription event (~20 KB), the raw audio event (base64,
  // a third larger) and the MP3 itself: the 4.4 MB recording timed above.
  const mp3Mb = 4.4;
  const s3Storage = (calls * (0.02 + (mp3Mb * 4) / 3 + mp3Mb)) / 1024 * PRICE.s3GbMonth;
  return { lambda, api, dynamodb, s3Requests, s3Storage, total: lambda + api + dynamodb + s3Requests + s3Storage };
}

async function main() {
  console.log('Handler CPU per webhook against the floor (HMAC + JSON.parse + base64 of the same bytes)');
  const rows = await handlerRatios();
  console.table(rows.map(([event, size, floorMs, handlerMs, ratio]) => ({ event, size, 'floor ms': floorMs, 'handler ms': handlerMs, ratio })));
  const [eventSize, baseline, peak, perByte] = peakMemory();
  console.log('Peak memory handling the largest event once, in a fresh process');
  console.table([{ event: eventSize, 'baseline RSS': baseline, 'peak RSS': peak, 'growth / event size': perByte }]);
  const { floorBundle, handler } = bundles();
  console.log('Bundle and module load (median of 7 fresh processes)');
  console.table([
    { bundle: 'SDK clients only (floor)', size: `${(floorBundle.bytes / 1024).toFixed(0)} KB`, 'load ms': floorBundle.loadMs.toFixed(1) },
    { bundle: 'webhook handler', size: `${(handler.bytes / 1024).toFixed(0)} KB`, 'load ms': handler.loadMs.toFixed(1), ratio: (handler.loadMs / floorBundle.loadMs).toFixed(2) },
  ]);
  // Lambda at 1024 MB gets about 0.58 vCPU: scale this machine's CPU time by 1/0.58, plus ~20 ms of storage round trips.
  const lambdaMs = (cpu: number) => cpu / 0.58 + 20;
  const cost = costPer10k({ transcription: lambdaMs(Number(rows[0][3])), audio: lambdaMs(Number(rows[2][3])) }, 1);
  console.log('Estimated cost per 10,000 calls (one ~20 KB transcription + one 4.4 MB audio webhook each; S3 storage for one month), USD');
  console.table(Object.fromEntries(Object.entries(cost).map(([k, v]) => [k, v.toFixed(4)])));
}

if (require.main === module) void main();
