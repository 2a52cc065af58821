/*
 * Run as its own process by the reconciliation test: streams one recording from the (fake) API into
 * S3 with the real adapters and prints the peak memory it took, so only this code is measured
 * (the emulators and the fake API live in the test's process).
 */
import { createElevenLabsApi } from '../../lambda/elevenlabs-api';
import { createCallStore, createStorageClients } from '../../lambda/storage';

async function main() {
  const [apiBaseUrl, apiKey, conversationId] = process.argv.slice(2);
  const store = createCallStore({ tableName: process.env.CALLS_TABLE_NAME!, bucketName: process.env.CALLS_BUCKET_NAME!, ...createStorageClients(process.env) });
  const api = createElevenLabsApi({ apiKey, baseUrl: apiBaseUrl });
  const baseline = process.memoryUsage();
  let peakArrayBuffers = baseline.arrayBuffers;
  let peakRss = baseline.rss;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakArrayBuffers = Math.max(peakArrayBuffers, now.arrayBuffers);
    peakRss = Math.max(peakRss, now.rss);
  }, 2);
  const { stream } = await api.getConversationAudio(conversationId);
  const bytes = await store.uploadStream(`audio/measure/${conversationId}.mp3`, stream, 'audio/mpeg');
  clearInterval(sampler);
  process.stdout.write(JSON.stringify({ bytes, arrayBuffersGrowth: peakArrayBuffers - baseline.arrayBuffers, rssGrowth: peakRss - baseline.rss }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
