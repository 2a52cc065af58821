/* Run by bench.ts in a fresh process: peak RSS while handling the largest event once. */
import { processWebhook } from '../../lambda/process';
import { signPayload } from '../../lambda/signature';
import { TEST_SECRET } from '../support/webhooks';
import { payloads } from './bench';

async function main() {
  const largest = payloads().at(-1)!;
  const header = signPayload(TEST_SECRET, largest.body, Math.floor(Date.now() / 1000));
  // As API Gateway hands a JSON body to Lambda: text, already in memory before the handler runs.
  const rawBody = largest.body.toString('utf8');
  global.gc?.();
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 1);
  await processWebhook({ rawBody, signatureHeader: header }, { getSecret: async () => TEST_SECRET, store: { putObject: async () => undefined, applyUpdate: async () => 'created', recordStoreError: async () => undefined }, now: () => new Date() });
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  clearInterval(sampler);
  process.stdout.write(JSON.stringify({ eventBytes: largest.body.length, baselineRss, peakRss }));
}

void main();
