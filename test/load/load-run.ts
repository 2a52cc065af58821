import { percentile } from '../../lib/calls/calls-stats';
import { sendWebhook } from '../../lib/send-webhook';
import { loadExample } from '../support/webhooks';

/*
 * A bounded load run: for each call, its transcription, its audio (half the time before the
 * transcription) and, for one call in five, a redelivery of the transcription; all sent at a fixed
 * concurrency to the receiver's URL (loopback only), each signed as ElevenLabs signs.
 */

export interface LoadOptions {
  readonly url: string;
  readonly secret: string;
  readonly calls: number;
  readonly concurrency: number;
}

export interface LoadReport {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number };
  readonly statuses: Record<string, number>;
  readonly conversationIds: string[];
}

function requestsFor(calls: number): { conversationId: string; body: Buffer }[] {
  const transcription = loadExample('post_call_transcription.phone');
  const audio = loadExample('post_call_audio');
  const now = Math.floor(Date.now() / 1000);
  const requests: { conversationId: string; body: Buffer }[] = [];
  for (let i = 0; i < calls; i += 1) {
    const conversationId = `conv_load_${i}`;
    const t = Buffer.from(JSON.stringify({ ...transcription, event_timestamp: now, data: { ...transcription.data, conversation_id: conversationId, agent_id: `agent_load_${i % 7}` } }));
    const a = Buffer.from(JSON.stringify({ ...audio, event_timestamp: now, data: { ...audio.data, conversation_id: conversationId, agent_id: `agent_load_${i % 7}` } }));
    const ordered = i % 2 === 0 ? [t, a] : [a, t];
    if (i % 5 === 0) ordered.push(t);
    for (const body of ordered) requests.push({ conversationId, body });
  }
  return requests;
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const requests = requestsFor(options.calls);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < requests.length) {
      const { body } = requests[next];
      next += 1;
      const sent = performance.now();
      const { status } = await sendWebhook({ url: options.url, secret: options.secret, body });
      latencies.push(performance.now() - sent);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (ms: number | null) => Math.round((ms ?? 0) * 10) / 10;
  return {
    requests: requests.length,
    seconds: Math.round(seconds * 100) / 100,
    perSecond: Math.round(requests.length / seconds),
    latencyMs: { p50: round(percentile(latencies, 50)), p90: round(percentile(latencies, 90)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? 0) },
    statuses,
    conversationIds: [...new Set(requests.map((r) => r.conversationId))],
  };
}
