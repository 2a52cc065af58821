import fc from 'fast-check';
import { attributesBytes } from '../lambda/item-size';
import { ownAttributes } from '../lambda/item-shares';
import { countTranscript, MAX_TOOL_NAME_CHARS, MAX_TOOL_NAMES } from '../lambda/transcript-counts';
import { chargingSummary } from '../lambda/charging';
import { parseEvent } from '../lambda/events';
import { normalizedNumber, storedNumberForms } from '../lambda/phone-numbers';
import { TRANSCRIPTION_SHARE } from '../lambda/event-shares';
import { toCallWrite } from '../lambda/records';
import { loadExample } from './support/webhooks';

/*
 * The whole call in the record: each attribute the transcription adds, on payloads built from the
 * SDK's models with every field set (test/fixtures/elevenlabs/sdk, shapes in its SHAPES.md).
 */

const sdk = (name: string) => loadExample(`sdk/${name}`);

/** What the item gets from a body: the attributes set, and those set only where missing. */
function stored(body: object) {
  const write = toCallWrite(parseEvent(Buffer.from(JSON.stringify(body)), 1_900_000_000), 'raw/key.json');
  if (!write) throw new Error('expected a stored event type');
  return { ...write.update.setIfMissing, ...write.update.set };
}

describe('channel and parties', () => {
  it.each([
    ['phone.twilio', { channel: 'phone', phone_provider: 'twilio', direction: 'inbound', external_number: '+17735550143', agent_number: '+13125550198', phone_number_id: 'phnum_4401k2twilio0main00001', call_sid: 'CA3f9b2c6d1e8a47b0c5d2e9f1a6b3c7d4', conversation_initiation_source: 'twilio' }],
    // The docs type SIP numbers as JSON numbers: they get their `+` like any full number.
    ['phone.sip_trunking', { channel: 'phone', phone_provider: 'sip_trunking', direction: 'outbound', external_number: '+16305550112', agent_number: '+13125550177', phone_number_id: 'phnum_4401k2sip0trunk000002', conversation_initiation_source: 'sip_trunk' }],
    ['phone.exotel', { channel: 'phone', phone_provider: 'exotel', external_number: '+447700900461', agent_number: '+442079460018', conversation_initiation_source: 'exotel' }],
    // WhatsApp sends the user's number as digits, and only an id for yours.
    ['whatsapp.inbound', { channel: 'whatsapp', direction: 'inbound', external_number: '+447700900734', phone_number_id: 'wapn_4401k2northwind0wa00001', conversation_initiation_source: 'whatsapp' }],
    ['whatsapp.outbound', { channel: 'whatsapp', direction: 'outbound', external_number: '+447700900218', initiator_id: 'usr_4401k2frontdesk0000000001' }],
    ['sms', { channel: 'sms', direction: 'inbound', external_number: '+61491570156', agent_number: '+61491570159', phone_number_id: 'phnum_4401k2twilio0sms000006', conversation_initiation_source: 'twilio_sms' }],
    ['widget', { channel: 'web', conversation_initiation_source: 'widget' }],
    ['failed', { channel: 'web', conversation_initiation_source: 'react_sdk' }],
  ])('%s', (name, expected) => {
    const item = stored(sdk(name));
    expect(item).toMatchObject(expected);
    // An id is never a number: WhatsApp has no agent number, the web has no parties at all.
    if (name.startsWith('whatsapp')) expect(item).not.toHaveProperty('agent_number');
    if (expected.channel === 'web') for (const absent of ['direction', 'external_number', 'agent_number', 'phone_number_id', 'phone_provider']) expect(item).not.toHaveProperty(absent);
  });

  it('a call that never connected is a phone call, with its Twilio numbers as sent', () => {
    expect(stored(loadExample('call_initiation_failure.twilio'))).toMatchObject({ channel: 'phone', direction: 'outbound' });
  });

  it('an audio event alone says no channel', () => {
    expect(stored(loadExample('post_call_audio'))).not.toHaveProperty('channel');
  });
});

describe('phone numbers', () => {
  it.each([
    ['14155550100', '+14155550100'],
    [14155550100, '+14155550100'],
    ['+14155550100', '+14155550100'],
    ['12345678', '+12345678'],
    ['123456789012345', '+123456789012345'],
    // Short codes, extensions, too long for E.164, SIP URIs and text: as sent.
    ['1234567', '1234567'],
    [' 13125550177 ', '+13125550177'],
    // A national number (leading 0) is not E.164: a + would make it another number.
    ['07700900734', '07700900734'],
    ['0044770090073', '0044770090073'],
    ['1234567890123456', '1234567890123456'],
    ['+1 415 555 0100', '+1 415 555 0100'],
    ['4155550100;ext=12', '4155550100;ext=12'],
    ['sip:alice@example.com', 'sip:alice@example.com'],
    ['anonymous', 'anonymous'],
    [1234567, '1234567'],
  ])('%p is stored as %p', (sent, storedAs) => {
    expect(normalizedNumber(sent)).toBe(storedAs);
  });

  it.each([[''], [-14155550100], [1.5], [2 ** 60], [null], [{}], ['x'.repeat(513)]])('%p is no number', (sent) => {
    expect(normalizedNumber(sent)).toBeUndefined();
  });

  it('finds a full number under both forms, anything else as given', () => {
    expect(storedNumberForms('+14155550100')).toEqual(['+14155550100', '14155550100']);
    expect(storedNumberForms('14155550100')).toEqual(['+14155550100', '14155550100']);
    expect(storedNumberForms('1234567')).toEqual(['1234567']);
    expect(storedNumberForms('+1 (415) 555-0100')).toEqual(['+14155550100', '14155550100']);
    expect(storedNumberForms('1.415.555.0100')).toEqual(['+14155550100', '14155550100']);
    expect(storedNumberForms('07700 900734')).toEqual(['07700 900734']);
    expect(storedNumberForms('sip:alice@example.com')).toEqual(['sip:alice@example.com']);
  });
});

describe('money', () => {
  it('keeps cost in credits and cost_fiat in USD, and the charging figures users sum', () => {
    expect(stored(sdk('phone.twilio'))).toMatchObject({
      cost: 1012,
      cost_fiat: 0.066251,
      charging: {
        llm_price: 0.00705055, llm_charge: 35, call_charge: 740, platform_price: 0.0592, platform_charge: 740, tier: 'pro',
        // Input counts cache reads and writes; a model used in both generation categories is summed.
        llm_tokens: { 'gemini-2.5-flash': { input: 24624, output: 196 }, 'gpt-4o-mini': { input: 8445, output: 79 } },
      },
    });
  });

  it('leaves out per-service usage detail and anything that is not a figure', () => {
    const summary = chargingSummary({ llm_price: 0.1, tier: 'pro', tts_usage: { chars: 9 }, platform_usage: {}, call_charge: NaN, llm_charge: '7', platform_price: 'abc', analysis: {} });
    // A figure sent as text is read as the number it is.
    expect(summary).toEqual({ llm_price: 0.1, tier: 'pro', llm_charge: 7 });
  });

  it('reads tokens per model flat, by category, or not at all', () => {
    const usage = (llm_usage: unknown) => chargingSummary({ llm_usage })?.llm_tokens;
    expect(usage({ model_usage: { m: { input: { tokens: 3 }, output_total: { tokens: 1 } } } })).toEqual({ m: { input: 3, output: 1 } });
    expect(usage({ a: { model_usage: { m: { input: { tokens: 3 } } } }, b: { model_usage: { m: { input_cache_read: { tokens: 2 }, output_total: { tokens: 4 } } } } })).toEqual({ m: { input: 5, output: 4 } });
    expect(usage({ model_usage: { m: { input: { tokens: 'many' } }, n: null } })).toBeUndefined();
    expect(usage(JSON.parse('{"model_usage": {"__proto__": {"input": {"tokens": 1}}}}'))).toEqual(JSON.parse('{"__proto__": {"input": 1}}'));
    expect(chargingSummary({ tts_usage: {} })).toBeUndefined();
  });

  it('an older conversation without charging or cost_fiat has neither', () => {
    const body = sdk('widget');
    delete body.data.metadata.charging;
    delete body.data.metadata.cost_fiat;
    const item = stored(body);
    expect(item).not.toHaveProperty('charging');
    expect(item).not.toHaveProperty('cost_fiat');
  });
});

describe('campaigns, failures and the why', () => {
  it('a batch call carries its campaign and recipient', () => {
    expect(stored(sdk('phone.sip_trunking'))).toMatchObject({ batch_call_id: 'btcal_4401k2reminders0march01', batch_call_recipient_id: 'btcrec_4401k2marcusbell0000001' });
  });

  it('a failed conversation carries its error code, reason and warnings', () => {
    expect(stored(sdk('failed'))).toMatchObject({
      status: 'failed',
      error_code: 1011,
      error_reason: expect.stringContaining('LLM request failed'),
      warnings: ['Custom LLM endpoint responded slowly (4.2 s to first token)', 'Falling back to the backup LLM was disabled for this agent'],
    });
  });

  it('an empty warnings list, or one of no text, is absent', () => {
    const body = sdk('failed');
    body.data.metadata.warnings = [];
    expect(stored(body)).not.toHaveProperty('warnings');
    body.data.metadata.warnings = [1, null, {}, ''];
    expect(stored(body)).not.toHaveProperty('warnings');
  });

  it('reads an error code sent as text as the number it is, keeps other text, and campaign ids sent as numbers as text', () => {
    const body = sdk('phone.sip_trunking');
    body.data.metadata.error = { code: '1011', reason: 'r' };
    body.data.metadata.batch_call = { batch_call_id: 12345, batch_call_recipient_id: 678 };
    expect(stored(body)).toMatchObject({ error_code: 1011, batch_call_id: '12345', batch_call_recipient_id: '678' });
    body.data.metadata.error = { code: 'E_LLM', reason: 'r' };
    expect(stored(body)).toMatchObject({ error_code: 'E_LLM' });
  });

  it('reads the results from the list when the map beside it is empty', () => {
    const body = sdk('analysis-lists-only');
    body.data.analysis.evaluation_criteria_results = {};
    body.data.analysis.data_collection_results = {};
    const item = stored(body);
    expect(Object.keys(item.evaluation as object).length).toBeGreaterThan(0);
    expect(Object.keys(item.data_collection_rationale as object).length).toBeGreaterThan(0);
  });

  it('puts each rationale next to the result it explains, from the maps or from the lists alone', () => {
    for (const name of ['phone.twilio', 'analysis-lists-only']) {
      const body = sdk(name);
      const item = stored(body);
      const criteria = Object.keys(item.evaluation as object);
      expect(criteria.length).toBeGreaterThan(0);
      expect(Object.keys(item.evaluation_rationale as object)).toEqual(criteria);
      expect(Object.keys(item.data_collection_rationale as object)).toEqual(Object.keys(item.data_collection as object));
      expect(typeof item.call_success_score).toBe('number');
    }
    expect(stored(sdk('analysis-lists-only'))).toMatchObject({ call_success_score: 0.9 });
  });

  it('keeps only the scores and rationales given, and no map when none is', () => {
    const scored = stored(sdk('phone.twilio'));
    expect(scored.evaluation_scores).toEqual({ appointment_handled: 2 });
    expect(Object.keys(scored.evaluation as object)).toEqual(['appointment_handled', 'identity_verified', 'insurance_answered']);
  });

  it('has no rationale map when no result gives one', () => {
    const body = sdk('widget');
    for (const result of Object.values<any>(body.data.analysis.evaluation_criteria_results)) delete result.rationale;
    for (const result of body.data.analysis.evaluation_criteria_results_list ?? []) delete result.rationale;
    expect(stored(body)).not.toHaveProperty('evaluation_rationale');
  });
});

describe('what happened in the call', () => {
  it('counts turns, interruptions, tools and tool errors, and the median LLM time to first byte', () => {
    expect(stored(sdk('phone.twilio'))).toMatchObject({
      transcript_turns: 11,
      user_turns: 4,
      agent_turns: 7,
      interrupted_turns: 2,
      tool_calls: 3,
      tool_errors: 1,
      tools_used: new Set(['lookup_appointment', 'reschedule_appointment', 'end_call']),
      tools_errored: new Set(['reschedule_appointment']),
      // Over agent turns with the metric, wrapped in `metrics` or not.
      llm_ttfb_p50_secs: 0.4505,
    });
  });

  it('a call without tools has no tool sets, and without metrics no median', () => {
    const item = stored(sdk('widget'));
    expect(item).toMatchObject({ tool_calls: 0, tool_errors: 0 });
    expect(item).not.toHaveProperty('tools_used');
    expect(item).not.toHaveProperty('tools_errored');
    const counts = countTranscript([{ role: 'agent', conversation_turn_metrics: { metrics: { convai_tts_service_ttfb: { elapsed_time: 0.2 } } } }]);
    expect(counts.llm_ttfb_p50_secs).toBeUndefined();
  });

  it('counts nothing it cannot read, and never throws', () => {
    const turns = [
      null, 7, 'agent', [], { role: 'user', interrupted: 'yes' },
      { role: 'agent', tool_calls: 'lookup', tool_results: [null, { is_error: 'true', tool_name: 'x' }], conversation_turn_metrics: { convai_llm_service_ttfb: { elapsed_time: -1 } } },
      { role: 'agent', tool_calls: [null, { tool_name: 42 }, { tool_name: '' }], tool_results: [{ is_error: true }], conversation_turn_metrics: { metrics: { convai_llm_service_ttfb: { elapsed_time: 0.5 } } } },
      { role: 'agent', conversation_turn_metrics: { convai_llm_service_ttfb: { elapsed_time: 0.1 }, convai_asr_provider: 'x' } },
    ];
    expect(countTranscript(turns)).toEqual({ user_turns: 1, agent_turns: 3, interrupted_turns: 0, tool_calls: 2, tool_errors: 1, tools_used: undefined, tools_errored: undefined, llm_ttfb_p50_secs: 0.3 });
  });

  it('a transcription without a transcript list has no counts', () => {
    const body = sdk('widget');
    body.data.transcript = null;
    expect(stored(body)).not.toHaveProperty('user_turns');
  });
});

describe('session and agent version', () => {
  it('keeps audio flags, queue and accept times, auth, timezone, text-only and the agent version', () => {
    expect(stored(sdk('phone.sip_trunking'))).toMatchObject({
      has_user_audio: true,
      has_response_audio: true,
      accepted_time_unix_secs: 1771426802,
      queue_wait_secs: 3.4,
      text_only: false,
      authorization_method: 'authorization_header',
      timezone: 'America/Chicago',
      initiator_id: 'usr_4401k2frontdesk0000000001',
      branch_id: 'agtbrnch_4401k2main000000000001',
      version_id: 'agtvrsn_4401k2v000000000000017',
      environment: 'production',
      tag_ids: new Set(['tag_4401k2reminders00000001']),
    });
  });

  it('tag ids: a set without empty or repeated ids, absent when none', () => {
    const body = sdk('widget');
    body.data.tag_ids = ['a', 'a', '', 3, 'b'];
    expect(stored(body).tag_ids).toEqual(new Set(['a', 'b']));
    body.data.tag_ids = [''];
    expect(stored(body)).not.toHaveProperty('tag_ids');
  });
});

describe('the budget order', () => {
  const RATIONALES = ['evaluation_rationale', 'data_collection_rationale'];
  const COUNTS = ['user_turns', 'agent_turns', 'interrupted_turns', 'tool_calls', 'tool_errors', 'tools_used', 'llm_ttfb_p50_secs'];

  it('drops a long rationale rather than cut any plausible text', () => {
    const body = sdk('phone.twilio');
    Object.values<any>(body.data.analysis.evaluation_criteria_results)[0].rationale = 'r'.repeat(300_000);
    body.data.analysis.call_summary_title = 't'.repeat(2_000);
    body.data.metadata.termination_reason = 'e'.repeat(1_500);
    body.data.metadata.error = { code: 1011, reason: 'x'.repeat(3_000) };
    const { set } = toCallWrite(parseEvent(Buffer.from(JSON.stringify(body)), 1_900_000_000), 'raw/key.json')!.update;
    expect(set.truncated_fields).toEqual(['evaluation_rationale']);
    expect((set.call_summary_title as string).length).toBe(2_000);
  });

  it('drops the rationales before anything else, and never the counts', () => {
    const text = (kib: number) => 'x'.repeat(kib * 1024);
    fc.assert(
      fc.property(
        fc.record({ rationale: fc.nat(200), summary: fc.nat(200), variables: fc.nat(300), collected: fc.nat(300), tools: fc.nat(2000) }),
        (sizes) => {
          const body = sdk('phone.twilio');
          const { analysis, transcript } = body.data;
          for (const result of Object.values<any>(analysis.evaluation_criteria_results)) result.rationale = text(sizes.rationale);
          for (const result of Object.values<any>(analysis.data_collection_results)) result.rationale = text(sizes.rationale);
          analysis.transcript_summary = text(sizes.summary);
          body.data.conversation_initiation_client_data.dynamic_variables = { notes: text(sizes.variables) };
          analysis.data_collection_results.notes = { data_collection_id: 'notes', value: text(sizes.collected) };
          // Many distinct long tool names: kept within their bounds.
          transcript.push({ role: 'agent', tool_calls: Array.from({ length: sizes.tools }, (_, i) => ({ tool_name: `tool_${i}_${'t'.repeat(100)}` })) });
          const write = toCallWrite(parseEvent(Buffer.from(JSON.stringify(body)), 1_900_000_000), 'raw/key.json')!;
          const { set } = write.update;
          // Left out, not merely shortened (a set of tool names past its bounds is cut, and stays).
          const dropped = ((set.truncated_fields as string[] | undefined) ?? []).filter((name) => !(name in set));
          expect(attributesBytes(ownAttributes(set))).toBeLessThanOrEqual(TRANSCRIPTION_SHARE.bytes);
          for (const count of COUNTS) expect(set).toHaveProperty(count);
          if (dropped.some((name) => !RATIONALES.includes(name))) for (const rationale of RATIONALES) expect(dropped).toContain(rationale);
        },
      ),
      { numRuns: 60, endOnFailure: true },
    );
  });
});

describe('tool names', () => {
  it('keeps at most 64 names of at most 64 characters, and says when it cut', () => {
    const calls = Array.from({ length: 100 }, (_, i) => ({ tool_name: `${i}_${'n'.repeat(70)}` }));
    const cut: string[] = [];
    const { tools_used: used, tool_calls: count } = countTranscript([{ role: 'agent', tool_calls: calls }], cut);
    expect(count).toBe(100);
    expect(used!.size).toBe(MAX_TOOL_NAMES);
    for (const name of used!) expect(name.length).toBeLessThanOrEqual(MAX_TOOL_NAME_CHARS);
    expect(cut).toEqual(['tools_used']);
    expect(countTranscript([{ role: 'agent', tool_calls: [{ tool_name: 'lookup' }] }], cut).tools_used).toEqual(new Set(['lookup']));
    expect(cut).toEqual(['tools_used']);
  });

  it('does not count a contextual update as a user turn', () => {
    const turns = [{ role: 'user', message: 'hi' }, { role: 'user', message: 'Viewing /pricing', contextual_update_info: { source: 'client' } }];
    expect(countTranscript(turns).user_turns).toBe(1);
  });
});
