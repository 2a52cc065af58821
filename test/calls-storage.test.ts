import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { asStoredItem } from './support/storage';
import { findCall, findCalls, type CallFilter } from '../lib/calls/calls-query';
import type { CallsTarget } from '../lib/calls/calls-target';
import { computeStats } from '../lib/calls/calls-stats';
import { startEmulators, type Emulators } from '../lib/local/emulators';

/*
 * `calls` reading issue 11's items from DynamoDB (the dynalite emulator, the table as the stack
 * defines it): --batch through the by_batch index, --number in both stored forms, --failed with
 * both kinds. Items are put directly, as the writer stores them, and as earlier versions did.
 */

const T = 1_764_000_000;
const transcribed = { status: 'done', transcription_event_timestamp: T + 900, call_successful: 'success' };

const ITEMS: Record<string, unknown>[] = [
  // An outbound campaign: three calls to two recipients, one not connected, one failed conversation.
  { conversation_id: 'camp_1', agent_id: 'agent_out', batch_call_id: 'btcal_A', batch_call_recipient_id: 'r1', start_time_unix_secs: T + 10, channel: 'phone', external_number: '+15550100001', cost_fiat: 0.1, tools_used: new Set(['crm']), ...transcribed },
  { conversation_id: 'camp_2', agent_id: 'agent_out', batch_call_id: 'btcal_A', batch_call_recipient_id: 'r2', start_time_unix_secs: T + 20, status: 'failed', failure_reason: 'no-answer', failure_event_timestamp: T + 20, channel: 'phone' },
  { conversation_id: 'camp_3', agent_id: 'agent_out', batch_call_id: 'btcal_A', batch_call_recipient_id: 'r2', start_time_unix_secs: T + 3600, channel: 'phone', cost_fiat: 0.3, ...transcribed, status: 'failed', error_code: 1002, error_reason: 'quota' },
  { conversation_id: 'camp_other', agent_id: 'agent_out', batch_call_id: 'btcal_B', start_time_unix_secs: T + 30, ...transcribed },
  // One caller: stored before numbers had their +, and since.
  { conversation_id: 'num_old', agent_id: 'agent_in', external_number: '15550100123', start_time_unix_secs: T - 86_400, ...transcribed },
  { conversation_id: 'num_new', agent_id: 'agent_in', external_number: '+15550100123', start_time_unix_secs: T, channel: 'whatsapp', ...transcribed },
  { conversation_id: 'num_short', agent_id: 'agent_in', external_number: '1234', start_time_unix_secs: T, ...transcribed },
  // A failure a transcription followed: the call did connect, the user spoke.
  { conversation_id: 'retried', agent_id: 'agent_in', failure_reason: 'busy', failure_event_timestamp: T, start_time_unix_secs: T + 5, ...transcribed, user_turns: 3 },
  // A failure, then a transcription of 0 user turns (ElevenLabs may send one): it never connected.
  { conversation_id: 'never_spoke', agent_id: 'agent_in', failure_reason: 'no-answer', failure_event_timestamp: T, start_time_unix_secs: T + 6, ...transcribed, user_turns: 0 },
  // Two ids that end alike, for two numbers: list --number prints a short id unique among one number's calls.
  { conversation_id: 'twin_a_00001234abcd', agent_id: 'agent_twin', external_number: '+15550100777', start_time_unix_secs: T, ...transcribed },
  { conversation_id: 'twin_b_00001234abcd', agent_id: 'agent_twin', external_number: '+15550100888', start_time_unix_secs: T, ...transcribed },
];

let emulators: Emulators;
let sent: string[];
let target: CallsTarget;

beforeAll(async () => {
  emulators = await startEmulators();
  for (const item of ITEMS) {
    await emulators.dynamodb.send(new PutItemCommand({ TableName: emulators.tableName, Item: asStoredItem(item) }));
  }
  sent = [];
  // The emulator's client, noting which operations the reader sends.
  const dynamodb = { send: (command: { constructor: { name: string } }) => (sent.push(command.constructor.name), emulators.dynamodb.send(command as never)) } as unknown as DynamoDBClient;
  target = { description: 'emulators', local: true, tableName: emulators.tableName, bucketName: emulators.bucketName, dynamodb, s3: emulators.s3 };
});

afterAll(async () => {
  await emulators?.close();
});

async function ids(filter: CallFilter, limit?: number): Promise<string[]> {
  sent.length = 0;
  return (await findCalls(target, filter, undefined, limit)).map((item) => item.conversation_id);
}

describe('--batch', () => {
  it("reads one campaign's calls from the by_batch index, newest first, never scanning", async () => {
    expect(await ids({ batchId: 'btcal_A' })).toEqual(['camp_3', 'camp_2', 'camp_1']);
    expect(new Set(sent)).toEqual(new Set(['QueryCommand']));
  });

  it('takes --since, --until and --agent with it', async () => {
    expect(await ids({ batchId: 'btcal_A', since: T + 15, until: T + 100 })).toEqual(['camp_2']);
    expect(await ids({ batchId: 'btcal_A', agentId: 'agent_in' })).toEqual([]);
    expect(await ids({ batchId: 'btcal_A', agentId: 'agent_out', until: T + 15 })).toEqual(['camp_1']);
    expect(new Set(sent)).toEqual(new Set(['QueryCommand']));
  });

  it('keeps the stored attributes, so stats can count the campaign', async () => {
    const items = await findCalls(target, { batchId: 'btcal_A' });
    expect(items.find((i) => i.conversation_id === 'camp_1')?.tools_used).toEqual(new Set(['crm']));
    const stats = computeStats(items, { campaign: true });
    expect(stats).toMatchObject({ calls: 3, answered: 1, not_connected: 1, conversation_failed: 1, cost_usd: { calls: 2 }, campaign: { recipients: 2, recipients_answered: 1, calls_per_recipient: 1.5 } });
    expect(stats.cost_usd.total).toBeCloseTo(0.4);
  });
});

describe('--number', () => {
  it.each(['+15550100123', '15550100123'])('finds %s stored with and without +, newest first, through the index only', async (typed) => {
    expect(await ids({ number: typed })).toEqual(['num_new', 'num_old']);
    expect(sent).toEqual(['QueryCommand', 'QueryCommand']);
  });

  it('stops at --limit across both forms, keeping the newest', async () => {
    expect(await ids({ number: '15550100123' }, 1)).toEqual(['num_new']);
  });

  it('finds a full number in both forms on the agent index too', async () => {
    expect(await ids({ agentId: 'agent_in', number: '+15550100123', since: T - 100_000 })).toEqual(['num_new', 'num_old']);
  });

  it('queries anything else as given', async () => {
    expect(await ids({ number: '1234' })).toEqual(['num_short']);
    expect(await ids({ number: '+1234' })).toEqual([]);
    expect(sent).toEqual(['QueryCommand']);
  });
});

describe('--failed', () => {
  it('lists calls that never connected and conversations that failed, not a failure a transcription with user turns followed', async () => {
    expect(await ids({ failedOnly: true })).toEqual(['camp_3', 'camp_2', 'never_spoke']);
    expect(await ids({ failedOnly: true, agentId: 'agent_in' })).toEqual(['never_spoke']);
    expect(await ids({ failedOnly: true, batchId: 'btcal_A', since: T + 100 })).toEqual(['camp_3']);
  });
});

describe('show by a short id', () => {
  it('names every call that ends so, or with the filters list was given, the one among their calls', async () => {
    expect(await findCall(target, '1234abcd')).toEqual({ candidates: ['twin_a_00001234abcd', 'twin_b_00001234abcd'] });
    sent.length = 0;
    expect(await findCall(target, '1234abcd', { number: '15550100888' })).toMatchObject({ item: { conversation_id: 'twin_b_00001234abcd' } });
    expect(sent.filter((name) => name === 'ScanCommand')).toEqual([]);
    expect(await findCall(target, '1234abcd', { agentId: 'agent_twin' })).toEqual({ candidates: ['twin_a_00001234abcd', 'twin_b_00001234abcd'] });
    expect(await findCall(target, '1234abcd', { agentId: 'agent_in' })).toEqual({ candidates: [] });
    expect(await findCall(target, 'twin_a_00001234abcd', { agentId: 'agent_in' })).toMatchObject({ item: { conversation_id: 'twin_a_00001234abcd' } });
  });
});

describe('without a campaign, agent or number: the month index', () => {
  let monthly: Emulators;
  let monthlyTarget: CallsTarget;
  const operations: string[] = [];
  const at = (iso: string) => Date.parse(iso) / 1000;

  beforeAll(async () => {
    monthly = await startEmulators();
    const calls = [
      { conversation_id: 'dec_late', agent_id: 'a', start_time_unix_secs: at('2025-12-31T23:59:59Z'), ...transcribed },
      { conversation_id: 'dec_early', agent_id: 'b', start_time_unix_secs: at('2025-12-01T00:00:00Z'), failure_reason: 'busy', failure_event_timestamp: 1 },
      { conversation_id: 'nov', agent_id: 'a', start_time_unix_secs: at('2025-11-15T12:00:00Z'), ...transcribed },
      { conversation_id: 'sep', agent_id: 'b', start_time_unix_secs: at('2025-09-01T00:00:00Z'), ...transcribed },
      // Audio only so far: no start time, so not in the list yet.
      { conversation_id: 'audio_only', has_audio: true },
    ];
    for (const item of calls) await monthly.dynamodb.send(new PutItemCommand({ TableName: monthly.tableName, Item: asStoredItem(item) }));
    const dynamodb = { send: (command: { constructor: { name: string } }) => (operations.push(command.constructor.name), monthly.dynamodb.send(command as never)) } as unknown as DynamoDBClient;
    monthlyTarget = { description: 'emulators', local: true, tableName: monthly.tableName, bucketName: monthly.bucketName, dynamodb, s3: monthly.s3 };
  });

  afterAll(async () => {
    await monthly?.close();
  });

  it('lists every call with a start time newest first across months and agents, with whole items, never scanning', async () => {
    operations.length = 0;
    const items = await findCalls(monthlyTarget, {});
    expect(items.map((i) => i.conversation_id)).toEqual(['dec_late', 'dec_early', 'nov', 'sep']);
    expect(items[0]).toMatchObject({ agent_id: 'a', call_successful: 'success' });
    expect(new Set(operations)).toEqual(new Set(['QueryCommand', 'BatchGetItemCommand']));
  });

  it('stops reading months once it has the newest N', async () => {
    operations.length = 0;
    expect((await findCalls(monthlyTarget, { until: at('2026-01-31T00:00:00Z') }, undefined, 2)).map((i) => i.conversation_id)).toEqual(['dec_late', 'dec_early']);
    // January (empty), then December, which holds both.
    expect(operations.filter((o) => o === 'QueryCommand')).toHaveLength(2);
  });

  it('reads only the months of the period, and judges --failed on the items read afresh', async () => {
    operations.length = 0;
    expect((await findCalls(monthlyTarget, { since: at('2025-11-01T00:00:00Z'), until: at('2025-12-15T00:00:00Z') })).map((i) => i.conversation_id)).toEqual(['dec_early', 'nov']);
    expect(operations.filter((o) => o === 'QueryCommand')).toHaveLength(2);
    expect((await findCalls(monthlyTarget, { failedOnly: true })).map((i) => i.conversation_id)).toEqual(['dec_early']);
  });

  it('counts the same stats from the month index as from the items themselves', async () => {
    const items = await findCalls(monthlyTarget, {});
    expect(computeStats(items).calls).toBe(4);
    expect(computeStats(items).not_connected).toBe(1);
  });
});
