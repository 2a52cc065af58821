/*
 * The receiver against a floor with real storage: the handler bundle as `cdk synth` builds it and
 * a bundle of only the two SDK clients (floor.ts), each run in measured processes (runner.ts)
 * against the emulators, which run in a child process of their own so their CPU is not counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { buildSync, type Metafile } from 'esbuild';
import { METRICS_NAMESPACE } from '../../lambda/metric-names';
import { BUNDLE_OPTIONS } from '../../lib/function-bundles';
import { SERVICE_NAME } from '../../lambda/service';
import { DEFAULT_FUTURE_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_SECONDS } from '../../lambda/signature';
import { TEST_SECRET } from '../support/webhooks';
import type { BenchPayload } from './payloads';
import type { ColdResult, RunnerConfig, RunnerPayload, WarmResult } from './runner';

const ROOT = join(__dirname, '..', '..');

export interface Bundle {
  readonly file: string;
  readonly bytes: number;
  readonly metafile: Metafile;
}

/** A bundle built with the functions' esbuild options (lib/function-bundles.ts), for any entry. */
export function bundleLikeCdk(entry: string, outfile: string): Bundle {
  const { metafile } = buildSync({
    ...BUNDLE_OPTIONS,
    mainFields: [...BUNDLE_OPTIONS.mainFields],
    entryPoints: [entry],
    absWorkingDir: ROOT,
    outfile,
    metafile: true,
  });
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith('.js'))![1];
  return { file: outfile, bytes: output.bytes, metafile };
}

/** The measured processes' script, bundled so plain `node` runs it. */
export function bundleRunner(dir: string): string {
  const outfile = join(dir, 'runner.js');
  buildSync({ entryPoints: [join(__dirname, 'runner.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile, logLevel: 'silent' });
  return outfile;
}

/** Bytes in the output by package (`@scope/name`), or by folder of this repository (`lambda/`). */
export function bundleComposition(metafile: Metafile): Map<string, number> {
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith('.js'))![1];
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const at = path.lastIndexOf('node_modules/');
    let name: string;
    if (at >= 0) {
      const parts = path.slice(at + 'node_modules/'.length).split('/');
      name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
    } else {
      name = path.includes('/') ? `${path.split('/')[0]}/ (this repository)` : path;
    }
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return byPackage;
}

export interface StorageBench {
  run<T>(config: DistributiveOmit<RunnerConfig, 'out' | 'secret' | 'payloads'>, options?: { exposeGc?: boolean }): Promise<{ result: T; statuses: Record<string, number> }>;
  readonly payloads: readonly RunnerPayload[];
  /** Kills the measured process running now, if any. */
  abort(): void;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Runs runner.ts in a fresh process per call, as Lambda runs the function: plain node with
 * --enable-source-maps (the stack's NODE_OPTIONS), the stack's environment (a plain secret instead
 * of its ARN, so no Secrets Manager), logs and metrics written to stdout (discarded here).
 */
export function storageBench(dir: string, runnerJs: string, emulatorEnvironment: Record<string, string>, bodies: readonly BenchPayload[]): StorageBench {
  mkdirSync(join(dir, 'runs'), { recursive: true });
  const payloads = bodies.map(({ name, body, conversationId, audio }, i) => {
    const file = join(dir, `payload-${i}.json`);
    writeFileSync(file, body);
    return { name, file, conversationId, audio, bytes: body.length };
  });
  const env = {
    PATH: process.env.PATH ?? '',
    ...emulatorEnvironment,
    WEBHOOK_SECRET: TEST_SECRET,
    SIGNATURE_TOLERANCE_SECONDS: String(DEFAULT_TOLERANCE_SECONDS),
    SIGNATURE_FUTURE_TOLERANCE_SECONDS: String(DEFAULT_FUTURE_TOLERANCE_SECONDS),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  let runs = 0;
  let running: ChildProcess | undefined;
  return {
    payloads,
    abort: () => void running?.kill('SIGKILL'),
    async run(config, options = {}) {
      runs += 1;
      const out = join(dir, 'runs', `${runs}.out.json`);
      const file = join(dir, 'runs', `${runs}.json`);
      writeFileSync(file, JSON.stringify({ ...config, out, secret: TEST_SECRET, payloads }));
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of every measured process there (what bounds the cold series).
      const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
      const args = ['--enable-source-maps', ...(options.exposeGc ? ['--expose-gc'] : []), ...profile, runnerJs, file];
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
        running = child;
        child.once('exit', () => (running = undefined));
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
        child.once('error', reject);
        child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`measured process (${config.mode}) ended with ${code ?? signal}:\n${stderr}`))));
      });
      return JSON.parse(readFileSync(out, 'utf8'));
    },
  };
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Every object in the bucket: key and size. */
export async function listBucket(environment: Record<string, string>): Promise<Map<string, number>> {
  const s3 = new S3Client({
    region: environment.AWS_REGION,
    endpoint: environment.AWS_ENDPOINT_URL_S3,
    forcePathStyle: true,
    credentials: { accessKeyId: environment.AWS_ACCESS_KEY_ID, secretAccessKey: environment.AWS_SECRET_ACCESS_KEY },
  });
  const objects = new Map<string, number>();
  try {
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: environment.CALLS_BUCKET_NAME, ContinuationToken }));
      for (const o of page.Contents ?? []) objects.set(o.Key as string, o.Size ?? 0);
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  } finally {
    s3.destroy();
  }
  return objects;
}

/** What appeared in the bucket between two listings (keys are new per call: nothing is overwritten). */
export function newObjects(before: Map<string, number>, after: Map<string, number>): { key: string; bytes: number }[] {
  return [...after].filter(([key]) => !before.has(key)).map(([key, bytes]) => ({ key, bytes }));
}

export type { ColdResult, WarmResult };
