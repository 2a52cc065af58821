import { parseArgs } from 'node:util';
import { runCli, terminalProgress } from '../lib/cli';
import { resolveTarget } from '../lib/calls/calls-target';
import { parseTimeBound } from '../lib/calls/time-bounds';
import { createElevenLabsApi, DEFAULT_API_BASE_URL } from '../lambda/elevenlabs-api';
import { backfill } from '../lambda/reconciliation';
import { createReconciliationStore } from '../lambda/reconciliation-store';

const USAGE = `Usage: npm run backfill -- --since WHEN [--until WHEN] [--agent ID] [--stack NAME | --table NAME --bucket NAME] [--retention-days N]

Lists conversations through the ElevenLabs API and stores every call that has no transcription
record yet, then fetches audio that never arrived. Safe to run any number of times.
Needs ELEVENLABS_API_KEY (ELEVENLABS_API_BASE_URL for data-residency workspaces).
WHEN: 2025-11-24, 2025-11-24T16:00Z, or 7d, 24h back from now.
Default target: the local emulators of npm start. --retention-days: the stack's retentionDays, if set,
so backfilled items expire like the others.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      agent: { type: 'string' },
      stack: { type: 'string' },
      table: { type: 'string' },
      bucket: { type: 'string' },
      'retention-days': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.since) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const apiKey = process.env.ELEVENLABS_API_KEY;
  if (!apiKey) {
    console.error('Set ELEVENLABS_API_KEY to an ElevenLabs API key (conversations read access is enough).');
    return 2;
  }
  const now = new Date();
  const target = await resolveTarget(values);
  if (!target.bucketName) {
    console.error('No bucket: pass --bucket with --table, or --stack.');
    return 2;
  }
  const store = createReconciliationStore({ tableName: target.tableName, bucketName: target.bucketName, dynamodb: target.dynamodb, s3: target.s3 });
  const api = createElevenLabsApi({ apiKey, baseUrl: process.env.ELEVENLABS_API_BASE_URL || DEFAULT_API_BASE_URL });
  console.log(`Backfilling into ${target.description}`);
  try {
    const report = await backfill(
      { sinceUnixSecs: parseTimeBound(values.since, now), untilUnixSecs: values.until ? parseTimeBound(values.until, now, 'until') : undefined, agentId: values.agent },
      { api, store, now: () => new Date(), retentionDays: values['retention-days'] ? Number(values['retention-days']) : undefined },
      (progress) => terminalProgress.update(`${progress.listed} conversations checked, ${progress.stored} stored…`),
    );
    terminalProgress.end();
    console.log(`${report.listed} conversations listed, ${report.stored} calls stored, ${report.audioFetched} recordings fetched, ${report.audioDeleted} deleted by ElevenLabs, ${report.failures.length} failed`);
    for (const failure of report.failures) console.log(`  failed ${failure}`);
    return report.failures.length ? 1 : 0;
  } finally {
    target.dynamodb.destroy();
    target.s3.destroy();
  }
}

runCli(main);
