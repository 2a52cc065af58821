import { parseEvent, type WebhookEvent } from '../lambda/events';
import { audioUpdate, failureUpdate, toStorable, transcriptionUpdate, TRANSCRIPTION_ITEM_BUDGET_BYTES } from '../lambda/records';
import { loadExample } from './support/webhooks';

function parsed<T extends WebhookEvent['type']>(body: object, type: T): Extract<WebhookEvent, { type: T }> {
  const event = parseEvent(JSON.stringify(body), 1);
  if (event.type !== type) throw new Error(`expected ${type}, got ${event.type}`);
  return event as Extract<WebhookEvent, { type: T }>;
}

describe('transcriptionUpdate', () => {
  it('maps a phone call to flat, console-readable attributes named as ElevenLabs names them', () => {
    const event = parsed(loadExample('post_call_transcription.phone'), 'post_call_transcription');
    const update = transcriptionUpdate(event.data, event.eventTimestamp);
    expect(update.conversationId).toBe('conv_7901kphone0inbound0000001');
    expect(update.set).toEqual({
      agent_id: 'agent_7901kdemo0support000000001',
      agent_name: 'Acme Support',
      status: 'done',
      start_time_unix_secs: 1764000000,
      start_time: '2025-11-24T16:00:00Z',
      call_duration_secs: 21,
      cost: 142,
      termination_reason: 'Call ended by remote party',
      main_language: 'en',
      has_audio: true,
      direction: 'inbound',
      external_number: '+15550100123',
      agent_number: '+15550100999',
      call_sid: 'CA00000000000000000000000000000001',
      phone_provider: 'twilio',
      call_successful: 'success',
      transcript_summary: expect.stringContaining('Jordan called about order A123'),
      call_summary_title: 'Order A123 status',
      evaluation: { order_status_given: 'success' },
      data_collection: { caller_name: 'Jordan', order_id: 'A123', needs_follow_up: false },
      feedback: { overall_score: null, likes: 0, dislikes: 0 },
      dynamic_variables: expect.objectContaining({ system__caller_id: '+15550100123', system__call_duration_secs: 21 }),
      transcript_turns: 5,
      transcript_s3_key: 'transcripts/agent_7901kdemo0support000000001/conv_7901kphone0inbound0000001.json',
      transcription_event_timestamp: 1764000030,
    });
  });

  it('leaves out what a web call does not have instead of storing nulls or empty strings', () => {
    const event = parsed(loadExample('post_call_transcription'), 'post_call_transcription');
    const { set } = transcriptionUpdate(event.data, event.eventTimestamp);
    expect(set).toMatchObject({ agent_id: 'xyz', user_id: 'user123', cost: 296, call_duration_secs: 22, transcript_turns: 3, evaluation: {}, data_collection: {} });
    for (const absent of ['external_number', 'direction', 'phone_provider', 'termination_reason', 'agent_name', 'call_summary_title']) {
      expect(set).not.toHaveProperty(absent);
    }
  });

  it('takes user_id from the client data when the top level has none', () => {
    const body = loadExample('post_call_transcription.phone');
    body.data.conversation_initiation_client_data.user_id = 'customer-9';
    const event = parsed(body, 'post_call_transcription');
    expect(transcriptionUpdate(event.data, 1).set.user_id).toBe('customer-9');
  });

  it('keeps a very large transcription under the item budget by dropping the biggest optional attributes', () => {
    const body = loadExample('post_call_transcription.phone');
    body.data.conversation_initiation_client_data.dynamic_variables.huge = 'x'.repeat(350_000);
    body.data.analysis.data_collection_results.notes = { data_collection_id: 'notes', value: 'y'.repeat(350_000) };
    const event = parsed(body, 'post_call_transcription');
    const { set } = transcriptionUpdate(event.data, 1);
    expect(Buffer.byteLength(JSON.stringify(set))).toBeLessThanOrEqual(TRANSCRIPTION_ITEM_BUDGET_BYTES);
    expect(set.truncated_fields).toEqual(['dynamic_variables', 'data_collection']);
    expect(set.call_summary_title).toBe('Order A123 status');
  });

  it('truncates any other oversized string as a last resort', () => {
    const body = loadExample('post_call_transcription.phone');
    body.data.metadata.termination_reason = 'z'.repeat(500_000);
    const event = parsed(body, 'post_call_transcription');
    const { set } = transcriptionUpdate(event.data, 1);
    expect(Buffer.byteLength(JSON.stringify(set))).toBeLessThanOrEqual(TRANSCRIPTION_ITEM_BUDGET_BYTES);
    expect(set.truncated_fields).toContain('termination_reason');
    expect(set.cost).toBe(142);
  });
});

describe('audioUpdate', () => {
  it('records where the MP3 is and its decoded size', () => {
    const event = parsed(loadExample('post_call_audio'), 'post_call_audio');
    expect(audioUpdate(event.data, event.eventTimestamp, 1234)).toEqual({
      conversationId: 'abc',
      eventType: 'post_call_audio',
      eventTimestamp: 1739537319,
      set: { has_audio: true, audio_s3_key: 'audio/xyz/abc.mp3', audio_bytes: 1234, audio_event_timestamp: 1739537319 },
      setIfMissing: { agent_id: 'xyz' },
    });
  });

  it('keeps ids with slashes inside one key segment', () => {
    const event = parsed({ type: 'post_call_audio', data: { agent_id: '../a', conversation_id: 'c/../../x', full_audio: 'AA==' } }, 'post_call_audio');
    expect(audioUpdate(event.data, 1, 1).set.audio_s3_key).toBe('audio/..%2Fa/c%2F..%2F..%2Fx.mp3');
  });
});

describe('failureUpdate', () => {
  it('maps a SIP failure, filling phone fields only where nothing else set them', () => {
    const event = parsed(loadExample('call_initiation_failure.sip'), 'call_initiation_failure');
    const update = failureUpdate(event.data, event.eventTimestamp);
    expect(update.set).toMatchObject({ failure_reason: 'busy', failure_provider: 'sip', failure_event_timestamp: 1759931652 });
    expect(update.set.failure_metadata).toMatchObject({ sip_status_code: 486 });
    expect(update.setIfMissing).toEqual({
      agent_id: 'agent_7901kdemo0outbound00000001',
      status: 'failed',
      direction: 'outbound',
      start_time_unix_secs: 1759931652,
      start_time: '2025-10-08T13:54:12Z',
      external_number: '+11111111111',
      agent_number: '+441111111111',
      call_sid: 'd8e7f6a5-b4c3-4d5e-8f9a-0b1c2d3e4f5a',
    });
  });

  it('reads the parties of a Twilio failure from its status-callback fields', () => {
    const event = parsed(loadExample('call_initiation_failure.twilio'), 'call_initiation_failure');
    expect(failureUpdate(event.data, 1).setIfMissing).toMatchObject({ external_number: '+441111111111', agent_number: '+11111111111', call_sid: 'CA8367245817625617832576245724' });
  });

  it('stores a failure whose metadata is missing', () => {
    const event = parsed({ type: 'call_initiation_failure', data: { conversation_id: 'c', agent_id: 'a', failure_reason: 'unknown' } }, 'call_initiation_failure');
    expect(failureUpdate(event.data, 1).set).toEqual({ failure_reason: 'unknown', failure_metadata: {}, failure_event_timestamp: 1 });
  });
});

describe('toStorable', () => {
  it('drops what DynamoDB cannot hold and flattens deep nesting into JSON text', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i += 1) deep = { next: deep };
    const stored = toStorable({ nan: NaN, inf: Infinity, '': 'empty key', undef: undefined, list: [1, undefined], deep }) as Record<string, any>;
    expect(stored).toMatchObject({ list: [1, null] });
    expect(Object.keys(stored).sort()).toEqual(['deep', 'list']);
    let node = stored.deep;
    let depth = 1;
    while (typeof node === 'object') {
      node = node.next;
      depth += 1;
    }
    expect(depth).toBeLessThanOrEqual(17);
    expect(typeof node).toBe('string');
  });
});
