/*
 * `npm run bench`: the receiver's cost against a floor measured in the same run, so the ratios hold
 * on a noisy machine. Not a test: it prints tables and asserts nothing.
 *
 * In this process (storage replaced by adapters that do nothing):
 * - Handler CPU per webhook (processWebhook), warm, against the bare floor: verify the HMAC,
 *   JSON.parse and (audio) base64-decode the same body.
 * - Peak memory for the largest event (peak-memory.ts, a fresh process).
 * With real storage (storage-bench.ts): the emulators in a child process (emulator-child.ts), and
 * the handler bundle built as `cdk synth` builds it against a floor bundle of only the two SDK
 * clients (floor.ts: the HMAC, JSON.parse, the audio decoded, one S3 put of the bytes a receiver
 * must keep, one DynamoDB UpdateItem), each in measured processes (runner.ts):
 * - Objects and bytes written to S3 per call, listed from the emulator after each webhook.
 * - Warm CPU per webhook, floor and handler alternating in rounds in one process.
 * - A cold series: events 1-10 of fresh processes, the median of several processes.
 * - Module load plus the first request, from the same fresh processes.
 * - Peak memory for the largest event, and what each bundle carries (esbuild metafile).
 * - Cost per 10,000 calls on AWS from the measured CPU, objects and bytes.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { cpus } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processWebhook, type ProcessDependencies } from '../../lambda/process';
import { signPayload } from '../../lambda/signature';
import type { CallStore } from '../../lambda/storage';
import { TEST_SECRET } from '../support/webhooks';
import { startEmulatorProcess } from './emulator-process';
import { payloads } from './payloads';
import type { PeakRss } from './peak-rss';
import { bundleComposition, bundleLikeCdk, bundleRunner, listBucket, median, newObjects, storageBench, type Bundle, type ColdResult, type StorageBench, type WarmResult } from './storage-bench';

export { payloads } from './payloads';

const ROOT = join(__dirname, '..', '..');
const nullStore: CallStore = { putObject: async () => undefined, applyUpdate: async () => 'created', recordStoreError: async () => undefined };
const deps: ProcessDependencies = { getSecret: async () => TEST_SECRET, store: nullStore, now: () => new Date() };

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
 * and the heap is still growing: cold-start costs, not per-webhook ones (the cold series shows them).
 */
const WARM_UP_ROUNDS = 3;
const WARM_UP_MS = 1000;
const MEASURED_ROUNDS = 7;
/** About this much of the handler's CPU per round, so a small event runs often enough to settle. */
const ROUND_MS = 100;
/** Fresh processes of the warm run with real storage (each its own JIT: their ratios differ). */
const WARM_PROCESSES = 3;
/** Fresh processes per bundle and size in the cold series, and events in each. */
const COLD_PROCESSES = 5;
const COLD_EVENTS = 10;

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

/** processWebhook with storage that does nothing, warm, against the floor without storage. */
async function nullStorageRatios() {
  const rows: Record<string, string>[] = [];
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
    rows.push({ event: name, size: kb(body.length), 'floor ms': floorMs.toFixed(3), 'handler ms': handlerMs.toFixed(3), ratio: ratio.toFixed(2) });
  }
  return rows;
}

/** Peak RSS of a fresh process handling the largest event once with storage that does nothing. */
function nullStoragePeak() {
  const script = join(__dirname, 'peak-memory.ts');
  return JSON.parse(execFileSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [script], { cwd: ROOT }).toString()) as PeakResult;
}

type PeakResult = PeakRss & { eventBytes: number };

const kb = (bytes: number) => `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const ms = (value: number) => value.toFixed(value < 10 ? 3 : 1);
const x = (ratio: number) => `${ratio.toFixed(2)}x`;

let sectionStarted = Date.now();
function section(title: string) {
  const now = Date.now();
  console.log(`  [${((now - sectionStarted) / 1000).toFixed(0)} s]\n\n${title}`);
  sectionStarted = now;
}

/** Objects and bytes the handler (and the floor) write to S3 for one call: a transcription, then its audio. */
async function objectsPerCall(bench: StorageBench, handler: Bundle, floorBundle: Bundle, environment: Record<string, string>) {
  const webhooks = [
    { payload: 0, name: 'transcription' },
    { payload: 2, name: 'audio' },
  ];
  const perWriter: Record<'handler' | 'floor', { webhook: string; objects: { key: string; bytes: number }[] }[]> = { handler: [], floor: [] };
  for (const [writer, bundle] of [['handler', handler], ['floor', floorBundle]] as const) {
    const conversationId = `conv_bench0count0${writer}`;
    for (const { payload, name } of webhooks) {
      const before = await listBucket(environment);
      const { statuses } = await bench.run({ mode: 'invoke', bundle: bundle.file, events: [{ payload, conversationId }] });
      warnStatuses(`count (${writer}, ${name})`, statuses);
      perWriter[writer].push({ webhook: `${name} (${kb(bench.payloads[payload].bytes)})`, objects: newObjects(before, await listBucket(environment)) });
    }
  }
  return perWriter;
}

function warnStatuses(what: string, statuses: Record<string, number>) {
  const other = Object.keys(statuses).filter((s) => s !== 'stored');
  if (other.length > 0) console.log(`  note: ${what} answered ${JSON.stringify(statuses)} (expected only "stored")`);
}

/** raw/, audio/ or other (derived data, envelopes, anything else), by the key's first segment. */
function prefixOf(key: string): 'raw/' | 'audio/' | 'other' {
  if (key.startsWith('raw/')) return 'raw/';
  if (key.startsWith('audio/')) return 'audio/';
  return 'other';
}

function describeObjects(objects: { key: string; bytes: number }[]) {
  if (objects.length === 0) return '-';
  const bytes = objects.reduce((sum, o) => sum + o.bytes, 0);
  return `${objects.length} / ${bytes < 1e6 ? kb(bytes) : mb(bytes)}`;
}

/** us-east-1 list prices (2026), arm64 Lambda. */
const PRICE = { lambdaGbSecond: 0.0000133334, lambdaRequest: 0.2 / 1e6, httpApiRequest: 1.0 / 1e6, dynamoWriteUnit: 0.625 / 1e6, s3Put: 0.005 / 1000, s3GbMonth: 0.023 };

/**
 * Per 10,000 calls, each a transcription and an audio webhook: Lambda from the measured CPU, S3
 * requests and a month of storage from the objects and bytes the writer put per call.
 */
function costPer10k(durationMs: { transcription: number; audio: number }, memoryGb: number, s3: { objects: number; bytes: number }) {
  const calls = 10_000;
  const lambda = calls * (durationMs.transcription + durationMs.audio) / 1000 * memoryGb * PRICE.lambdaGbSecond + calls * 2 * PRICE.lambdaRequest;
  const api = calls * 2 * PRICE.httpApiRequest;
  // Assumed, not measured: ~2 write units per update of a ~1 KB item, plus index copies.
  const dynamodb = calls * 2 * 3 * PRICE.dynamoWriteUnit;
  const s3Requests = calls * s3.objects * PRICE.s3Put;
  const s3Storage = (calls * s3.bytes) / 2 ** 30 * PRICE.s3GbMonth;
  return { lambda, api, dynamodb, 's3 requests': s3Requests, 's3 storage (month)': s3Storage, total: lambda + api + dynamodb + s3Requests + s3Storage };
}

async function main() {
  const started = Date.now();
  // This process lists the bucket with the SDK: no warning about Node 20's end of support in the tables.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  console.log(`npm run bench: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`);

  section('1. Warm, storage that does nothing (in this process): processWebhook against HMAC + JSON.parse + base64 of the same text');
  console.table(await nullStorageRatios());

  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  let bench: StorageBench | undefined;
  const emulators = await startEmulatorProcess().catch((error) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  // Interrupted: the measured process, the emulators and the temporary folder go too.
  const stopOnSignal = () => {
    bench?.abort();
    void emulators.stop().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const handler = bundleLikeCdk(join(ROOT, 'lambda', 'handler.ts'), join(dir, 'handler', 'index.js'));
    const floorBundle = bundleLikeCdk(join(__dirname, 'floor.ts'), join(dir, 'floor', 'index.js'));
    bench = storageBench(dir, bundleRunner(dir), emulators.environment, payloads());
    const sizes = bench.payloads.map((p) => p.name);

    section('2. S3 objects / bytes written per call (a ~20 KB transcription, then the 5.9 MB audio event of the same call), listed from the emulator');
    const written = await objectsPerCall(bench, handler, floorBundle, emulators.environment);
    const rows = written.handler.map(({ webhook, objects }, i) => ({
      webhook,
      'raw/': describeObjects(objects.filter((o) => prefixOf(o.key) === 'raw/')),
      'audio/': describeObjects(objects.filter((o) => prefixOf(o.key) === 'audio/')),
      other: describeObjects(objects.filter((o) => prefixOf(o.key) === 'other')),
      'handler total': describeObjects(objects),
      'floor (must keep)': describeObjects(written.floor[i].objects),
    }));
    const all = (writer: 'handler' | 'floor') => written[writer].flatMap((w) => w.objects);
    const handlerObjects = all('handler');
    const floorObjects = all('floor');
    rows.push({
      webhook: 'per call',
      'raw/': describeObjects(handlerObjects.filter((o) => prefixOf(o.key) === 'raw/')),
      'audio/': describeObjects(handlerObjects.filter((o) => prefixOf(o.key) === 'audio/')),
      other: describeObjects(handlerObjects.filter((o) => prefixOf(o.key) === 'other')),
      'handler total': describeObjects(handlerObjects),
      'floor (must keep)': describeObjects(floorObjects),
    });
    console.table(rows);
    console.log('  (objects / bytes; "other" is any key outside raw/ and audio/: envelopes, derived data)');
    for (const { key, bytes } of handlerObjects) console.log(`  ${key.replace(/[0-9a-f]{32}/, '…')}  ${bytes} bytes`);

    section(`3. Warm, real storage: CPU ms per webhook in ${WARM_PROCESSES} fresh processes (bundles loaded side by side), each the median of ${MEASURED_ROUNDS} rounds after ≥1 s of handler CPU; the median process`);
    const warmRuns: WarmResult[][] = [];
    for (let i = 0; i < WARM_PROCESSES; i += 1) {
      const run = await bench.run<WarmResult[]>({ mode: 'warm', handler: handler.file, floor: floorBundle.file, warmUpRounds: WARM_UP_ROUNDS, warmUpMs: WARM_UP_MS, measuredRounds: MEASURED_ROUNDS, roundMs: ROUND_MS });
      warnStatuses('warm', run.statuses);
      warmRuns.push(run.result);
    }
    /** Per size, the process whose ratio is the median one (so its figures belong together). */
    const warm = sizes.map((_, p) => [...warmRuns].sort((a, b) => a[p].ratio - b[p].ratio)[Math.floor(WARM_PROCESSES / 2)][p]);
    console.table(
      warm.map((r, p) => ({
        event: sizes[p],
        'floor ms': ms(r.floorMs),
        'handler ms': ms(r.handlerMs),
        ratio: x(r.ratio),
        'ratios (all processes)': warmRuns.map((run) => run[p].ratio.toFixed(2)).join(' '),
        'floor sys': ms(r.floorSysMs),
        'handler sys': ms(r.handlerSysMs),
        'floor wall': ms(r.floorWallMs),
        'handler wall': ms(r.handlerWallMs),
        calls: r.calls,
      })),
    );

    section(`4. Cold series, real storage: CPU ms of events 1-${COLD_EVENTS} of a fresh process (each a new call), median of ${COLD_PROCESSES} processes per bundle and size`);
    const cold: Record<'handler' | 'floor', ColdResult[][]> = { handler: sizes.map(() => []), floor: sizes.map(() => []) };
    for (let payload = 0; payload < sizes.length; payload += 1) {
      for (let i = 0; i < COLD_PROCESSES; i += 1) {
        // Alternating which goes first, so neither always follows the other's disk writes.
        const order = i % 2 === 0 ? (['floor', 'handler'] as const) : (['handler', 'floor'] as const);
        for (const which of order) {
          const run = await bench.run<ColdResult>({ mode: 'cold', bundle: (which === 'handler' ? handler : floorBundle).file, payload, events: COLD_EVENTS });
          warnStatuses(`cold (${which})`, run.statuses);
          cold[which][payload].push(run.result);
        }
      }
    }
    const sumOf = (r: ColdResult, from: number, to: number) => r.events.slice(from - 1, to).reduce((s, e) => s + e.cpuMs, 0);
    for (let payload = 0; payload < sizes.length; payload += 1) {
      const perEvent = Array.from({ length: COLD_EVENTS }, (_, e) => {
        const f = median(cold.floor[payload].map((r) => r.events[e].cpuMs));
        const h = median(cold.handler[payload].map((r) => r.events[e].cpuMs));
        return { event: `${e + 1}`, 'floor ms': ms(f), 'handler ms': ms(h), ratio: x(h / f) };
      });
      const spans = ([[1, 1], [1, 2], [3, 8], [1, 10]] as const).map(([from, to]) => {
        const f = median(cold.floor[payload].map((r) => sumOf(r, from, to)));
        const h = median(cold.handler[payload].map((r) => sumOf(r, from, to)));
        return { event: from === to ? `sum ${from}` : `sum ${from}-${to}`, 'floor ms': ms(f), 'handler ms': ms(h), ratio: x(h / f) };
      });
      console.log(`  ${sizes[payload]}`);
      console.table([...perEvent, ...spans]);
    }

    section(`5. Module load plus the first request (CPU ms, median of ${COLD_PROCESSES} fresh processes each; the same processes as 4): the handler bundle against a bundle of only @aws-sdk/client-s3 + client-dynamodb making the floor's request`);
    // Module load does not depend on the event: pooled over every fresh process of the bundle.
    const loadOf = (which: 'handler' | 'floor') => median(cold[which].flat().map((r) => r.loadCpuMs));
    console.log(`  module load alone (median of ${COLD_PROCESSES * sizes.length} processes): floor ${ms(loadOf('floor'))} ms, handler ${ms(loadOf('handler'))} ms, ${x(loadOf('handler') / loadOf('floor'))}`);
    console.table(
      sizes.map((name, payload) => {
        const firstOf = (which: 'handler' | 'floor') => median(cold[which][payload].map((r) => r.loadCpuMs + r.events[0].cpuMs));
        const wallOf = (which: 'handler' | 'floor') => median(cold[which][payload].map((r) => r.loadWallMs + r.events[0].wallMs));
        return {
          'first request': name,
          'floor load+1st': ms(firstOf('floor')),
          'handler load+1st': ms(firstOf('handler')),
          ratio: x(firstOf('handler') / firstOf('floor')),
          'floor wall': ms(wallOf('floor')),
          'handler wall': ms(wallOf('handler')),
          'wall ratio': x(wallOf('handler') / wallOf('floor')),
        };
      }),
    );

    section('6. What each bundle carries (esbuild metafile, minified bytes in the output by package)');
    const handlerParts = bundleComposition(handler.metafile);
    const floorParts = bundleComposition(floorBundle.metafile);
    const names = [...handlerParts.keys()].sort((a, b) => (handlerParts.get(b) ?? 0) - (handlerParts.get(a) ?? 0));
    const top = names.slice(0, 14);
    const rest = (parts: Map<string, number>) => [...parts].filter(([name]) => !top.includes(name)).reduce((s, [, b]) => s + b, 0);
    console.table([
      ...top.map((name) => ({ package: name, handler: kb(handlerParts.get(name) ?? 0), floor: floorParts.has(name) ? kb(floorParts.get(name) as number) : '-' })),
      { package: `(${names.length - top.length} more)`, handler: kb(rest(handlerParts)), floor: kb(rest(floorParts)) },
      { package: 'index.js', handler: kb(handler.bytes), floor: kb(floorBundle.bytes) },
    ]);

    section('7. Peak memory handling the largest event once (fresh process; bundles: baseline after one small event, so SDK clients are built). Peak: the kernel\'s high-water mark, reset before the event; sampled: RSS whenever the event loop turns (the method before)');
    const nullPeak = nullStoragePeak();
    const peaks: (PeakResult & { name: string })[] = [];
    for (const [name, bundle] of [['handler bundle, real storage', handler], ['floor bundle, real storage', floorBundle]] as const) {
      const { result } = await bench.run<PeakResult>({ mode: 'peak', bundle: bundle.file }, { exposeGc: true });
      peaks.push({ name, ...result });
    }
    console.table(
      [{ name: 'processWebhook, null storage', ...nullPeak }, ...peaks].map((p) => ({
        run: p.name,
        event: mb(p.eventBytes),
        'baseline RSS': `${(p.baselineRss / 1e6).toFixed(0)} MB`,
        'peak RSS': `${(p.peakRss / 1e6).toFixed(0)} MB`,
        'growth / event size': ((p.peakRss - p.baselineRss) / p.eventBytes).toFixed(2),
        measured: p.method,
        'sampled peak': `${(p.sampledPeakRss / 1e6).toFixed(0)} MB`,
        'sampled growth / size': ((p.sampledPeakRss - p.baselineRss) / p.eventBytes).toFixed(2),
      })),
    );

    section('8. Estimated cost per 10,000 calls on AWS, USD (each call a ~20 KB transcription + a 5.9 MB audio webhook; S3 from section 2, one month of storage)');
    // Lambda at 1024 MB gets about 0.58 vCPU: this machine's warm CPU (real storage) scaled by 1/0.58, plus ~20 ms of storage round trips.
    const lambdaMs = (cpu: number) => cpu / 0.58 + 20;
    const sum = (objects: { bytes: number }[]) => ({ objects: objects.length, bytes: objects.reduce((s, o) => s + o.bytes, 0) });
    const receiverCost = costPer10k({ transcription: lambdaMs(warm[0].handlerMs), audio: lambdaMs(warm[2].handlerMs) }, 1, sum(handlerObjects));
    const floorCost = costPer10k({ transcription: lambdaMs(warm[0].floorMs), audio: lambdaMs(warm[2].floorMs) }, 1, sum(floorObjects));
    console.table(Object.keys(receiverCost).map((k) => ({ item: k, receiver: receiverCost[k as keyof typeof receiverCost].toFixed(4), floor: floorCost[k as keyof typeof floorCost].toFixed(4) })));
    console.log('  (DynamoDB assumed: 3 write units per webhook, for both; the floor keeps the body and the MP3 only)');
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    await emulators.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  section('');
  console.log(`bench took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
