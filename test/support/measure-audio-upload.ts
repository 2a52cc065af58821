/*
 * Run as its own process by the reconciliation test: streams one recording from the (fake) API into
 * S3 with the real adapters and prints the peak memory it held, so only this code is measured
 * (the emulators and the fake API live in the test's process). Memory is sampled right after a
 * collection: what the upload holds, not garbage a busy machine has not collected yet.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createElevenLabsApi } from '../../lambda/elevenlabs-api';
import { createReconciliationStore } from '../../lambda/reconciliation-store';
import { createStorageClients } from '../../lambda/storage';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function main() {
  const [apiBaseUrl, apiKey, conversationId] = process.argv.slice(2);
  const store = createReconciliationStore({ tableName: process.env.CALLS_TABLE_NAME!, bucketName: process.env.CALLS_BUCKET_NAME!, ...createStorageClients(process.env) });
  const api = createElevenLabsApi({ apiKey, baseUrl: apiBaseUrl });
  collectGarbage();
  const baseline = process.memoryUsage();
  let peakArrayBuffers = baseline.arrayBuffers;
  let peakRss = baseline.rss;
  const sampler = setInterval(() => {
    collectGarbage();
    const now = process.memoryUsage();
    peakArrayBuffers = Math.max(peakArrayBuffers, now.arrayBuffers);
    peakRss = Math.max(peakRss, now.rss);
  }, 25);
  const { stream } = await api.getConversationAudio(conversationId);
  const bytes = await store.uploadStream(`audio/measure/${conversationId}.mp3`, stream, 'audio/mpeg');
  clearInterval(sampler);
  process.stdout.write(JSON.stringify({ bytes, arrayBuffersGrowth: peakArrayBuffers - baseline.arrayBuffers, rssGrowth: peakRss - baseline.rss }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
