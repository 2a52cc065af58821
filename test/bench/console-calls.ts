/*
 * The console bench's calls: realistic webhook bodies (from the ElevenLabs examples in
 * test/fixtures), turned into DynamoDB items by the receiver's own code: parseEvent (the schemas),
 * toCallWrite (the mapping), buildUpdateRequest + toWire (the UpdateItem the store sends), applied in
 * memory by the UpdateItem simulator of the property tests. The items are what the webhooks would
 * leave in the table, written with BatchWriteItem because 10,000 calls through the webhook flow take
 * minutes on the emulators. The first few calls also go through the store's real applyUpdate, so the
 * bench can check that both ways give the same items.
 */
import { BatchWriteItemCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBItem } from '../../lambda/attribute-values';
import type { CallUpdate } from '../../lambda/call-item';
import { parseEvent } from '../../lambda/events';
import { rawEventKey } from '../../lambda/object-keys';
import { toCallWrite } from '../../lambda/records';
import { signPayload } from '../../lambda/signature';
import { createCallStore } from '../../lambda/storage';
import { buildUpdateRequest, toWire } from '../../lambda/update-requests';
import { simulatedTable } from '../support/item-simulator';
import { loadExample, TEST_SECRET } from '../support/webhooks';

/** The word the text-search measurement looks for: in the title and summary of about 1% of the calls, nowhere else. */
export const RARE_WORD = 'warranty';

/** A small deterministic PRNG (mulberry32), so every run stores the same calls. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(values: readonly T[]) => values[Math.floor(next() * values.length)],
    chance: (p: number) => next() < p,
  };
}

interface Agent {
  readonly id: string;
  readonly name: string;
  readonly share: number;
  readonly channel: 'inbound' | 'outbound' | 'web' | 'whatsapp';
}

const AGENTS: readonly Agent[] = [
  { id: 'agent_7901kbench0support00000001', name: 'Acme Support', share: 0.45, channel: 'inbound' },
  { id: 'agent_7901kbench0outbound0000001', name: 'Acme Renewals (outbound)', share: 0.3, channel: 'outbound' },
  { id: 'agent_7901kbench0booking00000001', name: 'Booking Assistant', share: 0.18, channel: 'web' },
  { id: 'agent_7901kbench0whatsapp0000001', name: 'WhatsApp Concierge', share: 0.07, channel: 'whatsapp' },
];

const NAMES = ['Jordan', 'Sam', 'Alex', 'Maria', 'Chen', 'Priya', 'Lucas', 'Fatima', 'Noah', 'Emma', 'Kenji', 'Olga'];
const TOPICS = [
  'Order {order} status', 'Delivery delay on order {order}', 'Refund request for {order}', 'Change of delivery address',
  'Password reset help', 'Billing question about last invoice', 'Cancel subscription', 'Upgrade to annual plan',
  'Booking for {n} people on Friday', 'Reschedule appointment', 'Opening hours question', 'Product availability in store',
  'Renewal reminder accepted', 'Renewal declined: price', 'Callback requested', 'Voicemail reached',
  'Damaged item reported', 'Invoice copy requested', 'Loyalty points balance', 'Complaint about courier',
];
const RARE_TOPICS = [`${RARE_WORD[0].toUpperCase()}${RARE_WORD.slice(1)} claim for order {order}`, `Question about ${RARE_WORD} cover`];
const TERMINATIONS = ['Call ended by remote party', 'end_call tool was called.', 'Client disconnected: 1000', 'Max duration exceeded'];
const FAILURE_REASONS = ['busy', 'no-answer', 'failed', 'busy', 'no-answer'];

export interface BenchCall {
  readonly conversationId: string;
  /** The webhook bodies of the call, in delivery order, each with when it was signed. */
  readonly deliveries: readonly { body: string; signedAt: number }[];
}

/**
 * `count` calls spread over the `days` before `now`, across the agents: transcriptions (most with
 * audio after them), calls that never connected (outbound), a few failed conversations.
 */
export function benchCalls(count: number, now: Date, days = 90, seed = 13): BenchCall[] {
  const rnd = random(seed);
  const phone = loadExample('post_call_transcription.phone');
  const failure = loadExample('call_initiation_failure.twilio');
  const turns = phone.data.transcript as Record<string, unknown>[];
  const numbers = Array.from({ length: 3000 }, (_, i) => `+1555${String(1_000_000 + i * 2917).slice(-7)}`);
  const nowSecs = Math.floor(now.getTime() / 1000);
  const calls: BenchCall[] = [];
  for (let i = 0; i < count; i += 1) {
    const conversationId = `conv_7901kbench${String(i).padStart(6, '0')}${rnd.int(1e9, 9e9).toString(36)}`;
    let pick = rnd.next();
    const agent = AGENTS.find((a) => (pick -= a.share) < 0) ?? AGENTS[0];
    // Spread over the period, leaving the last few minutes (the webhooks arrive after the call).
    const start = nowSecs - 600 - Math.floor(rnd.next() * (days * 86_400 - 600));
    const number = rnd.pick(numbers);
    const batchId = agent.channel === 'outbound' ? `btcal_bench${String(Math.floor((nowSecs - start) / (7 * 86_400))).padStart(3, '0')}` : undefined;

    if (agent.channel === 'outbound' && rnd.chance(0.18)) {
      const body = structuredClone(failure);
      body.event_timestamp = start;
      Object.assign(body.data, { agent_id: agent.id, conversation_id: conversationId, failure_reason: rnd.pick(FAILURE_REASONS) });
      Object.assign(body.data.metadata.body, { To: number, Called: number, CallSid: `CA${conversationId.slice(-30)}` });
      calls.push({ conversationId, deliveries: [{ body: JSON.stringify(body), signedAt: start }] });
      continue;
    }

    const duration = Math.max(3, Math.round(Math.exp(rnd.next() * 4 + 2.2)));
    const rare = rnd.chance(0.01);
    const name = rnd.pick(NAMES);
    const order = `A${rnd.int(100, 9999)}`;
    const title = rnd.pick(rare ? RARE_TOPICS : TOPICS).replace('{order}', order).replace('{n}', String(rnd.int(2, 8)));
    const failed = rnd.chance(0.01);
    const outcome = failed ? 'failure' : rnd.next() < 0.72 ? 'success' : rnd.chance(0.5) ? 'failure' : 'unknown';
    const body = structuredClone(phone);
    const ended = start + duration;
    body.event_timestamp = ended + 4;
    const data = body.data;
    Object.assign(data, { agent_id: agent.id, agent_name: agent.name, conversation_id: conversationId, status: failed ? 'failed' : 'done' });
    data.transcript = Array.from({ length: Math.max(2, Math.round(duration / 8)) }, (_, t) => ({ ...turns[t % turns.length], time_in_call_secs: Math.floor((t * duration) / Math.max(2, Math.round(duration / 8))) }));
    const metadata = data.metadata;
    Object.assign(metadata, {
      start_time_unix_secs: start,
      accepted_time_unix_secs: start,
      call_duration_secs: duration,
      cost: Math.round(duration * 6.5 + rnd.int(0, 40)),
      termination_reason: rnd.pick(TERMINATIONS),
      error: failed ? { code: 1002, reason: 'The LLM did not answer in time' } : null,
      batch_call: batchId ? { batch_call_id: batchId, batch_call_recipient_id: `rcpt_${i}` } : null,
      conversation_initiation_source: agent.channel === 'web' ? 'react_sdk' : agent.channel === 'whatsapp' ? 'whatsapp' : 'twilio',
    });
    if (agent.channel === 'inbound' || agent.channel === 'outbound') {
      Object.assign(metadata.phone_call, { direction: agent.channel, external_number: number, call_sid: `CA${conversationId.slice(-30)}` });
    } else {
      metadata.phone_call = null;
      if (agent.channel === 'whatsapp') metadata.whatsapp = { direction: 'inbound', whatsapp_phone_number_id: 'wapn_bench01', whatsapp_user_id: number.slice(1) };
    }
    const analysis = data.analysis;
    analysis.call_successful = outcome;
    analysis.call_summary_title = title;
    analysis.transcript_summary = `${name} called: ${title.toLowerCase()}. The agent ${outcome === 'success' ? 'resolved it during the call' : 'could not resolve it and offered a callback'}.`;
    analysis.evaluation_criteria_results.order_status_given.result = outcome;
    analysis.data_collection_results.caller_name.value = name;
    analysis.data_collection_results.order_id.value = order;
    analysis.data_collection_results.needs_follow_up.value = outcome !== 'success';
    data.conversation_initiation_client_data.dynamic_variables = { ...data.conversation_initiation_client_data.dynamic_variables, system__conversation_id: conversationId, system__caller_id: number, system__agent_id: agent.id, system__call_duration_secs: duration };
    data.has_audio = !failed;
    const deliveries = [{ body: JSON.stringify(body), signedAt: ended + 4 }];
    if (data.has_audio && rnd.chance(0.8)) {
      // A few bytes stand for the MP3: the item records its key and size, not the audio.
      const audio = { type: 'post_call_audio', event_timestamp: ended + 9, data: { agent_id: agent.id, conversation_id: conversationId, full_audio: Buffer.alloc(1200 + duration * 40, 0x55).toString('base64') } };
      deliveries.push({ body: JSON.stringify(audio), signedAt: ended + 9 });
    }
    calls.push({ conversationId, deliveries });
  }
  return calls;
}

/** The item updates a call's deliveries make, as the webhook flow makes them, with when each arrived. */
export function callUpdates(call: BenchCall): { update: CallUpdate; now: Date }[] {
  return call.deliveries.map(({ body, signedAt }) => {
    const signature = /v0=([0-9a-f]+)/.exec(signPayload(TEST_SECRET, body, signedAt))![1];
    const rawKey = rawEventKey(signedAt, signature, JSON.parse(body));
    const write = toCallWrite(parseEvent(body, signedAt), rawKey, JSON.parse(body));
    if (!write) throw new Error(`no write for ${call.conversationId}`);
    return { update: write.update, now: new Date((signedAt + 1) * 1000) };
  });
}

/** The items the calls leave in the table: their updates, applied in order as DynamoDB would. */
export function benchItems(calls: readonly BenchCall[], tableName: string): DynamoDBItem[] {
  const table = simulatedTable();
  for (const call of calls) {
    for (const { update, now } of callUpdates(call)) {
      if (!table.update(toWire(buildUpdateRequest(tableName, update, now)) as never)) throw new Error(`stale update for ${call.conversationId}`);
    }
  }
  return [...table.items.values()];
}

/** Writes items with BatchWriteItem, 25 a request, a few requests at once; retries what DynamoDB leaves unprocessed. */
export async function batchWrite(dynamodb: DynamoDBClient, tableName: string, items: readonly DynamoDBItem[], parallel = 4): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const chunk = items.slice(next, next + 25);
      next += 25;
      let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        const answer = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        pending = (answer.UnprocessedItems?.[tableName] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** An item with its string sets sorted and its attributes in order, to compare two items as text. */
function canonical(item: DynamoDBItem | undefined): string {
  const sortValue = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortValue);
    if (value && typeof value === 'object') {
      const entries = Object.entries(value).map(([k, v]) => [k, k === 'SS' && Array.isArray(v) ? [...v].sort() : sortValue(v)] as const);
      return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return value;
  };
  return JSON.stringify(sortValue(item ?? {}));
}

/**
 * Stores the calls through the store's own applyUpdate (real UpdateItems), reads their items back
 * and compares them with the simulated ones.
 * @returns the ids whose items differ
 */
export async function checkAgainstStore(calls: readonly BenchCall[], simulated: ReadonlyMap<string, DynamoDBItem>, clients: { dynamodb: DynamoDBClient; s3: S3Client; tableName: string; bucketName: string }): Promise<string[]> {
  const store = createCallStore(clients);
  const differing: string[] = [];
  for (const call of calls) {
    for (const { update, now } of callUpdates(call)) await store.applyUpdate(update, { now });
    const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: clients.tableName, Key: { conversation_id: { S: call.conversationId } }, ConsistentRead: true }));
    if (canonical(Item) !== canonical(simulated.get(call.conversationId))) differing.push(call.conversationId);
  }
  return differing;
}
