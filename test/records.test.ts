import { PayloadError } from '../lambda/errors';
import { parseEvent } from '../lambda/events';
import { attributesBytes } from '../lambda/item-size';
import { ownAttributes } from '../lambda/item-shares';
import { FAILURE_SHARE, TRANSCRIPTION_SHARE } from '../lambda/event-shares';
import { toCallWrite, type CallWrite } from '../lambda/records';
import { MAP_KEY_ESCAPE, toStorable } from '../lambda/storable';
import { loadExample } from './support/webhooks';

/** Where the handler archived the body: a transcription's transcript. */
const RAW_KEY = 'raw/calls/c/post_call_transcription/1-0123.json';

/** Parses a body as the handler does (signed after every example's event) and maps it to what storing it takes. */
function write(body: object, signedAt = 1_800_000_000): CallWrite {
  const raw = Buffer.from(JSON.stringify(body));
  const result = toCallWrite(parseEvent(raw, signedAt), RAW_KEY);
  if (!result) throw new Error('expected a stored event type');
  return result;
}

describe('transcription', () => {
  it('maps a phone call to flat, console-readable attributes named as ElevenLabs names them', () => {
    const { update, archive } = write(loadExample('post_call_transcription.phone'));
    expect(update.conversationId).toBe('conv_7901kphone0inbound0000001');
    // The body as received is the archive and the transcript: nothing else is written.
    expect(archive).toBeUndefined();
    expect(update.set).toEqual({
      agent_id: 'agent_7901kdemo0support000000001',
      agent_name: 'Acme Support',
      status: 'done',
      start_time_unix_secs: 1764000000,
      start_time: '2025-11-24T16:00:00Z',
      start_month: '2025-11',
      accepted_time_unix_secs: 1764000000,
      call_duration_secs: 21,
      cost: 142,
      // The example predates fiat tracking: a price, no cost_fiat.
      charging: {
        llm_price: 0.05574830000000001, tier: 'creator', is_burst: false, dev_discount: false, free_minutes_consumed: 0, free_llm_dollars_consumed: 0,
        llm_tokens: { 'gemini-2.0-flash-001': { input: 787567, output: 4407 } },
      },
      termination_reason: 'Call ended by remote party',
      main_language: 'en',
      channel: 'phone',
      direction: 'inbound',
      external_number: '+15550100123',
      agent_number: '+15550100999',
      call_sid: 'CA00000000000000000000000000000001',
      phone_provider: 'twilio',
      phone_number_id: 'PHN0demo0000000000001',
      conversation_initiation_source: 'unknown',
      call_successful: 'success',
      transcript_summary: expect.stringContaining('Jordan called about order A123'),
      call_summary_title: 'Order A123 status',
      evaluation: { order_status_given: 'success' },
      evaluation_rationale: { order_status_given: 'The agent looked up the order and told the caller its delivery date.' },
      data_collection: { caller_name: 'Jordan', order_id: 'A123', needs_follow_up: false },
      data_collection_rationale: {
        caller_name: 'The caller introduced themselves as Jordan.',
        order_id: 'The caller asked about order A123.',
        needs_follow_up: 'The question was fully answered.',
      },
      feedback: { overall_score: null, likes: 0, dislikes: 0 },
      dynamic_variables: expect.objectContaining({ system__caller_id: '+15550100123', system__call_duration_secs: 21 }),
      transcript_turns: 5,
      user_turns: 2,
      agent_turns: 3,
      interrupted_turns: 0,
      tool_calls: 1,
      tool_errors: 0,
      tools_used: new Set(['lookup_order']),
      llm_ttfb_p50_secs: 0.412,
      has_user_audio: true,
      has_response_audio: true,
      text_only: false,
      authorization_method: 'signed_url',
      transcript_format: 'json',
      transcript_s3_key: RAW_KEY,
      // ElevenLabs deletes nothing of this call, so it stays out of the deletion index.
      delete_transcript_and_pii: false,
      delete_audio: false,
    });
    // Whether audio exists is the audio event's to say when it came first.
    expect(update.setIfMissing).toEqual({ has_audio: true });
  });

  it('leaves out what a web call does not have instead of storing nulls or empty strings', () => {
    const { set } = write(loadExample('post_call_transcription')).update;
    expect(set).toMatchObject({ agent_id: 'xyz', user_id: 'user123', cost: 296, call_duration_secs: 22, transcript_turns: 3 });
    // The docs' example has no criteria and collects nothing: no empty maps either.
    for (const absent of ['external_number', 'direction', 'phone_provider', 'termination_reason', 'agent_name', 'call_summary_title', 'evaluation', 'data_collection']) {
      expect(set).not.toHaveProperty(absent);
    }
  });

  it('takes user_id from the client data, then the metadata, when the top level has none', () => {
    const body = loadExample('post_call_transcription.phone');
    body.data.metadata.user_id = 'from-metadata';
    expect(write(body).update.set.user_id).toBe('from-metadata');
    body.data.conversation_initiation_client_data.user_id = 'customer-9';
    expect(write(body).update.set.user_id).toBe('customer-9');
  });

  it('removes what an older transcription said and a newer one no longer does', () => {
    const body = loadExample('post_call_transcription.phone');
    delete body.data.analysis.call_summary_title;
    const { set, remove } = write(body).update;
    expect([...remove!].sort()).toEqual([
      'batch_call_id', 'batch_call_recipient_id', 'branch_id', 'call_success_score', 'call_summary_title', 'cost_fiat',
      'deletion_due_unix_secs', 'deletion_queue', 'deletion_time', 'deletion_time_unix_secs', 'environment', 'error_code',
      'error_reason', 'evaluation_scores', 'initiator_id', 'queue_wait_secs', 'tag_ids', 'timezone', 'tools_errored',
      'transcript_deleted_at', 'truncated_fields', 'user_id', 'version_id', 'warnings',
    ]);
    expect(remove!.filter((name) => name in set)).toEqual([]);
  });

  it('records ElevenLabs deletion settings, and queues the call when something is to be deleted at a time', () => {
    const { set, remove } = write(loadExample('post_call_transcription')).update;
    expect(set).toMatchObject({
      deletion_time_unix_secs: 1802609320,
      deletion_time: '2027-02-14T12:48:40Z',
      delete_transcript_and_pii: true,
      delete_audio: true,
      deletion_queue: 'due',
      deletion_due_unix_secs: 1802609320,
    });
    expect(remove).not.toContain('deletion_queue');
  });

  it.each([
    ['flags as text', { deletion_time_unix_secs: 1802609320, delete_transcript_and_pii: 'false', delete_audio: 'true' }, { delete_audio: true, delete_transcript_and_pii: false }, true],
    ['the time in milliseconds', { deletion_time_unix_secs: 1802609320000, delete_audio: true }, { deletion_due_unix_secs: 1802609320 }, true],
    ['the time as an ISO date', { deletion_time_unix_secs: '2027-02-14T12:48:40Z', delete_transcript_and_pii: true }, { deletion_due_unix_secs: 1802609320 }, true],
    ['nothing to delete', { deletion_time_unix_secs: 1802609320, delete_transcript_and_pii: false, delete_audio: false }, { deletion_time_unix_secs: 1802609320 }, false],
    ['no time', { deletion_time_unix_secs: null, delete_transcript_and_pii: true, delete_audio: true }, { delete_audio: true }, false],
    ['a malformed time', { deletion_time_unix_secs: 'soon', delete_audio: true }, { delete_audio: true }, false],
  ])('reads deletion settings with %s', (_name, settings, expected, queued) => {
    const body = loadExample('post_call_transcription');
    body.data.metadata.deletion_settings = settings;
    const { set } = write(body).update;
    expect(set).toMatchObject(expected);
    expect(set.deletion_queue).toBe(queued ? 'due' : undefined);
    expect(set.deletion_due_unix_secs).toBe(queued ? 1802609320 : undefined);
  });

  it('stores text cut mid-emoji as well-formed UTF-8, and never lets a "__proto__" id replace a prototype', () => {
    const body = loadExample('post_call_transcription.phone');
    body.data.analysis.transcript_summary = 'Happy caller \ud83d';
    body.data.analysis.evaluation_criteria_results = JSON.parse('{"__proto__": {"criteria_id": "__proto__", "result": "success"}}');
    const { set } = write(body).update;
    expect(set.transcript_summary).toBe('Happy caller \ufffd');
    expect(Object.getPrototypeOf(set.evaluation)).toBe(Object.prototype);
    expect(Object.keys(set.evaluation as object)).toEqual(['__proto__']);
  });

  it('keeps every key a JSON object can have, in every map: constructor, __proto__ and the empty key (escaped)', () => {
    const keys = '{"constructor": "c", "__proto__": "p", "": "e", "toString": 1, "hasOwnProperty": {"constructor": {"name": "Set"}}}';
    const body = loadExample('post_call_transcription.phone');
    body.data.conversation_initiation_client_data.dynamic_variables = JSON.parse(keys);
    body.data.metadata.feedback = JSON.parse(keys);
    body.data.analysis.data_collection_results = JSON.parse(`{"__proto__": {"value": ${keys}}, "constructor": {"value": 1}}`);
    const { set } = write(body).update;
    for (const map of [set.dynamic_variables, set.feedback]) {
      expect(JSON.stringify(map)).toBe(keys.replace(/\s/g, '').replace('"":', `"${MAP_KEY_ESCAPE}":`));
      expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    }
    expect(Object.keys(set.data_collection as object)).toEqual(['__proto__', 'constructor']);
  });

  it('cuts what is nested too deep for DynamoDB without recursing, and says so', () => {
    // 20,000 levels in a 40 KB body: a recursive walk overflows the stack.
    const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
    const body = JSON.parse(JSON.stringify(loadExample('post_call_transcription.phone')));
    body.data.conversation_initiation_client_data.dynamic_variables = { deep: 'placeholder', kept: 'yes' };
    body.data.analysis.data_collection_results.order_id.value = 'placeholder';
    const text = JSON.stringify(body).replace('"deep":"placeholder"', `"deep":${deep}`).replace('"value":"placeholder"', `"value":${deep}`);
    const raw = Buffer.from(text);
    const { set } = toCallWrite(parseEvent(raw, 1_800_000_000), RAW_KEY)!.update;
    expect(set.truncated_fields).toEqual(['data_collection', 'dynamic_variables']);
    expect((set.dynamic_variables as Record<string, unknown>).kept).toBe('yes');
    let depth = 0;
    for (let node: any = (set.dynamic_variables as Record<string, unknown>).deep; Array.isArray(node); node = node[0]) depth += 1;
    expect(depth).toBeLessThan(16);
  });

  it('reads times that cannot be dates as absent rather than failing the call', () => {
    const body = loadExample('post_call_transcription.phone');
    body.data.metadata.start_time_unix_secs = 9e18;
    const { set } = write(body).update;
    expect(set).not.toHaveProperty('start_time');
    expect(set).not.toHaveProperty('start_time_unix_secs');
  });

  it('keeps a result whose id is the empty string, from the list forms too (under the escape)', () => {
    const body = loadExample('post_call_transcription.phone');
    const analysis = body.data.analysis;
    analysis.evaluation_criteria_results_list = [{ criteria_id: '', result: 'success' }];
    analysis.data_collection_results_list = [{ data_collection_id: '', value: 'x' }];
    delete analysis.evaluation_criteria_results;
    delete analysis.data_collection_results;
    const { set } = write(body).update;
    expect(set.evaluation).toEqual({ [MAP_KEY_ESCAPE]: 'success' });
    expect(set.data_collection).toEqual({ [MAP_KEY_ESCAPE]: 'x' });
  });

  it('keeps numeric evaluation scores beside the results', () => {
    const body = loadExample('post_call_transcription.phone');
    Object.assign(body.data.analysis.evaluation_criteria_results.order_status_given, { scoring_mode: 'numeric_uniform', score: 7, max_score: 10 });
    const { set } = write(body).update;
    expect(set.evaluation).toEqual({ order_status_given: 'success' });
    expect(set.evaluation_scores).toEqual({ order_status_given: 7 });
  });

  it('reads evaluation and data collection from their list forms when the maps are absent', () => {
    const body = loadExample('post_call_transcription.phone');
    const analysis = body.data.analysis;
    analysis.evaluation_criteria_results_list = Object.values(analysis.evaluation_criteria_results);
    analysis.data_collection_results_list = Object.values(analysis.data_collection_results);
    delete analysis.evaluation_criteria_results;
    delete analysis.data_collection_results;
    const { set } = write(body).update;
    expect(set.evaluation).toEqual({ order_status_given: 'success' });
    expect(set.data_collection).toEqual({ caller_name: 'Jordan', order_id: 'A123', needs_follow_up: false });
  });

  it('keeps numbers DynamoDB or the SDK cannot hold exactly as text', () => {
    const body = loadExample('post_call_transcription.phone');
    body.data.conversation_initiation_client_data.dynamic_variables = { crm_id: 9007199254740993, tiny: 1e-200, small: 0.5 };
    body.data.analysis.data_collection_results.order_id.value = 12345678901234567890;
    const { set } = write(body).update;
    expect(set.dynamic_variables).toEqual({ crm_id: '9007199254740992', tiny: '1e-200', small: 0.5 });
    expect((set.data_collection as Record<string, unknown>).order_id).toBe('12345678901234567000');
  });

  it('keeps a very large transcription within its share of the item by leaving out the biggest optional attributes', () => {
    const body = loadExample('post_call_transcription.phone');
    body.data.conversation_initiation_client_data.dynamic_variables.huge = 'x'.repeat(350_000);
    body.data.analysis.data_collection_results.notes = { data_collection_id: 'notes', value: 'y'.repeat(350_000) };
    const { set } = write(body).update;
    expect(attributesBytes(ownAttributes(set))).toBeLessThanOrEqual(TRANSCRIPTION_SHARE.bytes);
    // The rationales go first: they quote the conversation, which is in S3 whole.
    expect(set.truncated_fields).toEqual(['evaluation_rationale', 'data_collection_rationale', 'dynamic_variables', 'data_collection']);
    expect(set.call_summary_title).toBe('Order A123 status');
  });

  it('keeps 40,000 scored evaluation criteria within its share', () => {
    const body = loadExample('post_call_transcription.phone');
    const criteria: Record<string, unknown> = {};
    for (let i = 0; i < 40_000; i += 1) criteria[`criterion_${i}`] = { criteria_id: `criterion_${i}`, result: 'success', score: i };
    body.data.analysis.evaluation_criteria_results = criteria;
    const { set } = write(body).update;
    expect(attributesBytes(ownAttributes(set))).toBeLessThanOrEqual(TRANSCRIPTION_SHARE.bytes);
    expect(set.truncated_fields).toEqual(expect.arrayContaining(['evaluation_scores']));
  });

  it('truncates any other oversized string as a last resort', () => {
    const body = loadExample('post_call_transcription.phone');
    body.data.metadata.termination_reason = 'z'.repeat(500_000);
    const { set } = write(body).update;
    expect(attributesBytes(ownAttributes(set))).toBeLessThanOrEqual(TRANSCRIPTION_SHARE.bytes);
    expect(set.truncated_fields).toContain('termination_reason');
    expect(set.cost).toBe(142);
  });

  it('caps identity text that a failure may share, such as a huge call sid', () => {
    const body = loadExample('post_call_transcription.phone');
    body.data.metadata.phone_call.call_sid = 'S'.repeat(100_000);
    const { set } = write(body).update;
    expect((set.call_sid as string).length).toBe(512);
    expect(set.truncated_fields).toEqual(['call_sid']);
  });
});

describe('OpenTelemetry transcription', () => {
  it('keeps the traces in S3 and takes start and duration from the spans where nothing else said', () => {
    const body = {
      type: 'post_call_transcription_otel',
      event_timestamp: 1764000030,
      data: {
        conversation_id: 'conv_otel',
        agent_id: 'agent_x',
        otlp_traces: { resourceSpans: [{ scopeSpans: [{ spans: [
          { name: 'elevenlabs.conversation', startTimeUnixNano: '1764000000000000000', endTimeUnixNano: '1764000021000000000' },
          { name: 'llm', startTimeUnixNano: '1764000001500000000', endTimeUnixNano: '1764000002000000000' },
        ] }] }] },
      },
    };
    const { update, archive } = write(body);
    expect(archive).toBeUndefined();
    // A root span and nothing under it: a call of no turns, as the spans count them.
    expect(update.set).toEqual({ otel_transcript_s3_key: RAW_KEY, user_turns: 0, agent_turns: 0, tool_calls: 0 });
    expect(update.eventTimestamp).toBe(1764000030);
    expect(update.setIfMissing).toEqual({
      agent_id: 'agent_x',
      transcript_format: 'opentelemetry',
      transcript_s3_key: RAW_KEY,
      start_time_unix_secs: 1764000000,
      start_time: '2025-11-24T16:00:00Z',
      start_month: '2025-11',
      call_duration_secs: 21,
    });
  });

  it('ignores span times that are not times', () => {
    const body = { type: 'post_call_transcription_otel', data: { conversation_id: 'c', otlp_traces: { resourceSpans: [{ scopeSpans: [{ spans: [{ startTimeUnixNano: '1e30', endTimeUnixNano: '-5' }] }] }] } } };
    expect(write(body).update.setIfMissing).not.toHaveProperty('start_time');
  });

  it('stores traces it cannot read as just their location', () => {
    const { update } = write({ type: 'post_call_transcription_otel', data: { conversation_id: 'c', otlp_traces: 'garbage' } });
    expect(Object.keys(update.setIfMissing).sort()).toEqual(['transcript_format', 'transcript_s3_key']);
  });
});

describe('audio', () => {
  it('keeps an envelope in place of the body, then the decoded MP3, and records where the MP3 is and its size', () => {
    const example: Record<string, any> = { ...loadExample('post_call_audio'), webhook_id: 'wh_1' };
    example.data.extra = { kept: true };
    const { update, archive } = toCallWrite(parseEvent(Buffer.from(JSON.stringify(example)), 1_800_000_000), RAW_KEY, example)!;
    const mp3 = Buffer.from(example.data.full_audio, 'base64');
    // The envelope: the body as received, every field kept, its base64 replaced by where the MP3 went.
    expect(archive![0]).toMatchObject({ key: RAW_KEY, contentType: 'application/json' });
    const envelope = JSON.parse(archive![0].body.toString());
    const { full_audio: _base64, ...data } = example.data;
    expect(envelope).toEqual({ ...example, data: { ...data, full_audio_s3_key: 'audio/calls/abc/1739537319.mp3', full_audio_bytes: mp3.length } });
    expect(archive![0].body.length).toBeLessThan(1024);
    // A key per audio event: an older event can never replace the recording the item describes.
    expect(archive![1]).toEqual({ key: 'audio/calls/abc/1739537319.mp3', body: mp3, contentType: 'audio/mpeg' });
    expect(update).toEqual({
      conversationId: 'abc',
      eventType: 'post_call_audio',
      eventTimestamp: 1739537319,
      set: { has_audio: true, audio_s3_key: 'audio/calls/abc/1739537319.mp3', audio_bytes: mp3.length, audio_source: 'webhook' },
      setIfMissing: { agent_id: 'xyz' },
      // A recording that arrives again after a deletion is no longer deleted (until the sweep's next pass).
      remove: ['audio_truncated_fields', 'audio_deleted_at'],
    });
  });

  it('decodes base64 behind a data URI prefix', () => {
    const example = loadExample('post_call_audio');
    example.data.full_audio = `data:audio/mpeg;base64,${example.data.full_audio}`;
    expect((write(example).archive![1].body as Buffer).subarray(0, 3).toString()).toBe('ID3');
  });

  it('refuses audio that decodes to nothing', () => {
    expect(() => write({ type: 'post_call_audio', data: { conversation_id: 'c', full_audio: '==' } })).toThrow(PayloadError);
  });

  it('hashes an id too long for an S3 key', () => {
    const { archive } = write({ type: 'post_call_audio', event_timestamp: 5, data: { agent_id: 'a', conversation_id: 'é'.repeat(500), full_audio: 'AA==' } });
    expect(archive![1].key).toMatch(/^audio\/calls\/sha256-[0-9a-f]{64}\/5\.mp3$/);
  });

  it('keeps ids with slashes inside one key segment', () => {
    const { archive } = write({ type: 'post_call_audio', event_timestamp: 5, data: { agent_id: '../a', conversation_id: 'c/../../x', full_audio: 'AA==' } });
    expect(archive![1].key).toBe('audio/calls/c%2F..%2F..%2Fx/5.mp3');
  });
});

describe('call initiation failure', () => {
  it('maps a SIP failure, filling phone fields only where nothing else set them', () => {
    const { update, archive } = write(loadExample('call_initiation_failure.sip'));
    expect(archive).toBeUndefined();
    expect(update.set).toMatchObject({ failure_reason: 'busy', failure_provider: 'sip' });
    expect(update.eventTimestamp).toBe(1759931652);
    expect(update.set.failure_metadata).toMatchObject({ sip_status_code: 486 });
    expect(update.setIfMissing).toEqual({
      agent_id: 'agent_7901kdemo0outbound00000001',
      status: 'failed',
      channel: 'phone',
      direction: 'outbound',
      start_time_unix_secs: 1759931652,
      start_time: '2025-10-08T13:54:12Z',
      start_month: '2025-10',
      external_number: '+11111111111',
      agent_number: '+441111111111',
      call_sid: 'd8e7f6a5-b4c3-4d5e-8f9a-0b1c2d3e4f5a',
    });
  });

  it('reads SIP numbers sent as JSON numbers', () => {
    const body = loadExample('call_initiation_failure.sip');
    Object.assign(body.data.metadata.body, { from_number: 441111111111, to_number: 11111111111 });
    expect(write(body).update.setIfMissing).toMatchObject({ external_number: '+11111111111', agent_number: '+441111111111' });
  });

  it('reads the parties of a Twilio failure from its status-callback fields', () => {
    expect(write(loadExample('call_initiation_failure.twilio')).update.setIfMissing).toMatchObject({
      external_number: '+441111111111',
      agent_number: '+11111111111',
      call_sid: 'CA8367245817625617832576245724',
    });
  });

  it('stores a failure whose metadata is missing', () => {
    const { update } = write({ type: 'call_initiation_failure', data: { conversation_id: 'c', agent_id: 'a', failure_reason: 'unknown' } });
    expect(update.set).toEqual({ failure_reason: 'unknown' });
    // A newer failure replaces what an older one said.
    expect(update.remove).toEqual(['failure_provider', 'failure_metadata', 'failure_truncated_fields']);
  });

  it.each([
    ['a 1 MB metadata body', (body: any) => (body.data.metadata.body.notes = 'n'.repeat(1_000_000)), ['failure_metadata']],
    ['a 500 KB failure reason', (body: any) => (body.data.failure_reason = 'r'.repeat(500_000)), ['failure_reason']],
  ])('keeps a failure with %s within its share of the item', (_name, grow, cut) => {
    const body = loadExample('call_initiation_failure.sip');
    grow(body);
    const { set } = write(body).update;
    expect(attributesBytes(ownAttributes(set))).toBeLessThanOrEqual(FAILURE_SHARE.bytes);
    expect(set.failure_truncated_fields).toEqual(cut);
  });
});

describe('unknown types', () => {
  it('need no write at all', () => {
    const raw = Buffer.from('{"type":"voice_removal_notice","data":{}}');
    expect(toCallWrite(parseEvent(raw, 1), RAW_KEY)).toBeUndefined();
  });
});

describe('toStorable', () => {
  it('drops what DynamoDB cannot hold, escapes the empty key and cuts deep nesting to null', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i += 1) deep = { next: deep };
    const { value, cut } = toStorable({ nan: NaN, inf: Infinity, '': 'empty key', undef: undefined, list: [1, undefined], deep });
    const stored = value as Record<string, any>;
    expect(cut).toBe(true);
    expect(stored).toMatchObject({ list: [1, null], [MAP_KEY_ESCAPE]: 'empty key' });
    expect(Object.keys(stored).sort()).toEqual(['deep', 'list', MAP_KEY_ESCAPE].sort());
    let node = stored.deep;
    let depth = 1;
    while (node && typeof node === 'object') {
      node = node.next;
      depth += 1;
    }
    expect(depth).toBe(16);
    expect(node).toBeNull();
  });

  it('reports nothing cut for an ordinary value', () => {
    expect(toStorable({ a: [1, { b: 'c' }] })).toEqual({ value: { a: [1, { b: 'c' }] }, cut: false });
  });
});
