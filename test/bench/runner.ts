/*
 * A measured process. bench.ts bundles this file with esbuild and runs it with plain `node` (no
 * TypeScript loader in the way of the module load it times), once per measurement, with the
 * emulators' endpoints in its environment. It loads the bundles it is given (the handler as
 * `cdk synth` builds it, or the floor) and hands them API Gateway events; it reports through a
 * JSON file. Events are built before each timed window: each names a new call (its conversation id
 * replaced) and is signed afresh.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { peakRssOf } from './peak-rss';

export interface RunnerPayload {
  readonly name: string;
  readonly file: string;
  readonly conversationId: string;
  readonly audio: boolean;
  readonly bytes: number;
}

export type RunnerConfig = {
  readonly out: string;
  readonly secret: string;
  readonly payloads: readonly RunnerPayload[];
} & (
  | { readonly mode: 'warm'; readonly handler: string; readonly floor: string; readonly warmUpRounds: number; readonly warmUpMs: number; readonly measuredRounds: number; readonly roundMs: number }
  | { readonly mode: 'cold'; readonly bundle: string; readonly payload: number; readonly events: number }
  | { readonly mode: 'peak'; readonly bundle: string }
  | { readonly mode: 'invoke'; readonly bundle: string; readonly events: readonly { readonly payload: number; readonly conversationId: string }[] }
);

type ApiHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body?: string }>;

/** What a warm run found per payload: CPU ms per call, medians of the measured rounds. */
export interface WarmResult {
  readonly floorMs: number;
  readonly handlerMs: number;
  readonly ratio: number;
  readonly floorWallMs: number;
  readonly handlerWallMs: number;
  /** Of the CPU ms, in the kernel (system time): sockets, memory. */
  readonly floorSysMs: number;
  readonly handlerSysMs: number;
  readonly calls: number;
}

export interface ColdResult {
  readonly loadCpuMs: number;
  readonly loadWallMs: number;
  readonly events: { cpuMs: number; wallMs: number }[];
}

const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as RunnerConfig;
const bodies = config.payloads.map((p) => readFileSync(p.file, 'utf8'));
const tag = randomBytes(4).toString('hex');
let counter = 0;
/** Answers other than `stored` (a duplicate would skip the item's write: the bench would be wrong). */
const statuses: Record<string, number> = {};

/** An HTTP API (payload 2.0) event, as API Gateway hands a JSON body to Lambda: text. */
function apiEvent(payload: number, conversationId = `${config.payloads[payload].conversationId}_${tag}_${(counter += 1)}`) {
  const body = bodies[payload].split(config.payloads[payload].conversationId).join(conversationId);
  const t = Math.floor(Date.now() / 1000);
  const v0 = createHmac('sha256', config.secret).update(`${t}.`).update(body).digest('hex');
  return {
    version: '2.0',
    routeKey: 'POST /elevenlabs/webhook',
    rawPath: '/elevenlabs/webhook',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'elevenlabs-signature': `t=${t},v0=${v0}` },
    requestContext: { requestId: `bench-${counter}`, http: { method: 'POST', path: '/elevenlabs/webhook', sourceIp: '127.0.0.1' } },
    body,
    isBase64Encoded: false,
  };
}

async function invoke(handler: ApiHandler, event: unknown) {
  const result = await handler(event, {});
  if (result.statusCode !== 200) throw new Error(`answered ${result.statusCode}: ${result.body}`);
  let status = 'stored';
  try {
    status = String(JSON.parse(result.body ?? '{}').status ?? 'stored');
  } catch {
    // the floor's answer or any other: counted as stored
  }
  statuses[status] = (statuses[status] ?? 0) + 1;
}

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const sysNow = () => process.cpuUsage().system / 1000;

function load(path: string): ApiHandler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path).handler;
}

/** CPU and wall ms per call of a batch of prepared events, in a row. */
async function batch(handler: ApiHandler, events: unknown[]) {
  const sys = sysNow();
  const cpu = cpuNow();
  const wall = performance.now();
  for (const event of events) await invoke(handler, event);
  return { cpuMs: (cpuNow() - cpu) / events.length, wallMs: (performance.now() - wall) / events.length, sysMs: (sysNow() - sys) / events.length };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Floor and handler alternate in rounds (a busy moment on the machine falls on both), sized to
 * about roundMs of the handler's CPU; rounds count once the handler has had warmUpMs of CPU.
 */
async function warm(c: Extract<RunnerConfig, { mode: 'warm' }>): Promise<WarmResult[]> {
  const handler = load(c.handler);
  const floor = load(c.floor);
  const results: WarmResult[] = [];
  for (let p = 0; p < c.payloads.length; p += 1) {
    const events = (n: number) => Array.from({ length: n }, () => apiEvent(p));
    let handlerMs = (await batch(handler, events(3))).cpuMs;
    await batch(floor, events(3));
    const rounds: { floor: Awaited<ReturnType<typeof batch>>; handler: Awaited<ReturnType<typeof batch>> }[] = [];
    let warmUpMs = 0;
    let calls = 0;
    for (let round = 0; rounds.length < c.measuredRounds; round += 1) {
      const iterations = Math.max(2, Math.round(c.roundMs / handlerMs));
      const floorRound = await batch(floor, events(iterations));
      const handlerRound = await batch(handler, events(iterations));
      handlerMs = handlerRound.cpuMs;
      calls += iterations;
      if (round < c.warmUpRounds || warmUpMs < c.warmUpMs) {
        warmUpMs += handlerMs * iterations;
        continue;
      }
      rounds.push({ floor: floorRound, handler: handlerRound });
    }
    results.push({
      floorMs: median(rounds.map((r) => r.floor.cpuMs)),
      handlerMs: median(rounds.map((r) => r.handler.cpuMs)),
      ratio: median(rounds.map((r) => r.handler.cpuMs / r.floor.cpuMs)),
      floorWallMs: median(rounds.map((r) => r.floor.wallMs)),
      handlerWallMs: median(rounds.map((r) => r.handler.wallMs)),
      floorSysMs: median(rounds.map((r) => r.floor.sysMs)),
      handlerSysMs: median(rounds.map((r) => r.handler.sysMs)),
      calls,
    });
  }
  return results;
}

/** Module load, then events 1..n of this fresh process, each timed alone. */
async function cold(c: Extract<RunnerConfig, { mode: 'cold' }>): Promise<ColdResult> {
  const cpu = cpuNow();
  const wall = performance.now();
  const handler = load(c.bundle);
  const loadCpuMs = cpuNow() - cpu;
  const loadWallMs = performance.now() - wall;
  const events: { cpuMs: number; wallMs: number }[] = [];
  for (let i = 0; i < c.events; i += 1) {
    const { cpuMs, wallMs } = await batch(handler, [apiEvent(c.payload)]);
    events.push({ cpuMs, wallMs });
  }
  return { loadCpuMs, loadWallMs, events };
}

/** Peak RSS while handling the largest event once, after one small event (clients built, connections open). */
async function peak(c: Extract<RunnerConfig, { mode: 'peak' }>) {
  const handler = load(c.bundle);
  await invoke(handler, apiEvent(0));
  // As API Gateway hands a JSON body to Lambda: text, already in memory before the handler runs.
  const event = apiEvent(c.payloads.length - 1);
  (globalThis as { gc?: () => void }).gc?.();
  return { eventBytes: Buffer.byteLength(event.body), ...(await peakRssOf(() => invoke(handler, event))) };
}

async function main() {
  let result: unknown;
  if (config.mode === 'warm') result = await warm(config);
  else if (config.mode === 'cold') result = await cold(config);
  else if (config.mode === 'peak') result = await peak(config);
  else {
    const handler = load(config.bundle);
    for (const { payload, conversationId } of config.events) await invoke(handler, apiEvent(payload, conversationId));
  }
  writeFileSync(config.out, JSON.stringify({ result, statuses }));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
