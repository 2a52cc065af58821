/* Run by bench.ts in a fresh process: peak RSS while processWebhook handles the largest event once, storage doing nothing. */
import { processWebhook } from '../../lambda/process';
import { signPayload } from '../../lambda/signature';
import { TEST_SECRET } from '../support/webhooks';
import { payloads } from './payloads';
import { peakRssOf } from './peak-rss';

async function main() {
  const largest = payloads().at(-1)!;
  const header = signPayload(TEST_SECRET, largest.body, Math.floor(Date.now() / 1000));
  // As API Gateway hands a JSON body to Lambda: text, already in memory before the handler runs.
  const rawBody = largest.body.toString('utf8');
  global.gc?.();
  const store = { putObject: async () => undefined, applyUpdate: async () => 'created' as const, recordStoreError: async () => undefined };
  const peak = await peakRssOf(() => processWebhook({ rawBody, signatureHeader: header }, { getSecret: async () => TEST_SECRET, store, now: () => new Date() }));
  process.stdout.write(JSON.stringify({ eventBytes: largest.body.length, ...peak }));
}

void main();
