import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

/** A synthesized function: where its bundle is and the environment its stack gives it. */
export interface SynthesizedFunction {
  readonly logicalId: string;
  readonly bundleDir: string;
  readonly environment: Record<string, string>;
}

/** The receiver's functions in a synthesized template, by what each is, with their bundles in the assembly folder. */
export function synthesizedFunctions(assemblyDir: string, template: { Resources: Record<string, any> }) {
  const functions = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([logicalId, fn]): SynthesizedFunction => ({
      logicalId,
      bundleDir: path.join(assemblyDir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`),
      // Tokens (table name, ARNs, queue URL) are left out: the caller gives them.
      environment: Object.fromEntries(Object.entries(fn.Properties.Environment.Variables).filter(([, v]) => typeof v === 'string')) as Record<string, string>,
    }));
  const named = (variable: string) => functions.find((fn) => variable in fn.environment || fn.logicalId.includes(variable));
  return {
    all: functions,
    webhook: named('SIGNATURE_TOLERANCE_SECONDS'),
    reconciler: named('BACKFILL_LOOKBACK_HOURS'),
    sweeper: named('DeletionSweep'),
    streamConsumer: named('StreamFunction'),
  };
}

/**
 * Loads a bundle in a new Node process, the way Lambda loads it, and invokes `handler` once per
 * event, in order, with only `environment` (and PATH) set. Asynchronous on purpose: the emulators
 * it calls may run in this process.
 */
export async function invokeBundle(bundleDir: string, events: unknown[], environment: Record<string, string>): Promise<any[]> {
  const runner = `
    const { handler } = require(${JSON.stringify(path.join(bundleDir, 'index.js'))});
    (async () => {
      const events = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
      const results = [];
      for (const event of events) results.push((await handler(event, {})) ?? null);
      process.stdout.write('\\n@@' + JSON.stringify(results));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-events-'));
  try {
    const eventsFile = path.join(scratch, 'events.json');
    fs.writeFileSync(eventsFile, JSON.stringify(events));
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', runner, eventsFile], { env: { PATH: process.env.PATH, ...environment }, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout.slice(stdout.lastIndexOf('\n@@') + 3));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
