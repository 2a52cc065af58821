import { formatCallDetail } from '../lib/calls/call-detail';
import { formatList } from '../lib/calls/call-list';
import { formatCredits, formatUsd, LIST_COLUMNS, toListRow } from '../lib/calls/calls-format';
import { computeStats } from '../lib/calls/calls-stats';
import { failureKind, withFailureKind } from '../lib/calls/failure-kind';
import { formatStats, statsColumns, STATS_COLUMNS, toStatsRow } from '../lib/calls/stats-format';
import { columnsOf, HOSTILE, UNPRINTABLE } from './support/hostile-text';

/* Issue 11's attributes as `calls` reads them: list, show and stats; items stored before them read as before. */

const START = 1_764_000_000;

/** A transcribed call as the writer stores it since issue 11 (see the notes on the item's new attributes). */
const fullCall = (id: string, extra: Record<string, unknown> = {}) => ({
  conversation_id: id,
  agent_id: 'agent_1',
  status: 'done',
  start_time: '2025-11-24T16:00:00Z',
  start_time_unix_secs: START,
  call_duration_secs: 125,
  cost: 438,
  cost_fiat: 0.1234,
  call_successful: 'success',
  transcription_event_timestamp: START + 200,
  channel: 'phone',
  direction: 'inbound',
  external_number: '+15550100123',
  conversation_initiation_source: 'twilio',
  phone_number_id: 'phnum_01',
  phone_provider: 'twilio',
  batch_call_id: 'btcal_42',
  batch_call_recipient_id: 'rcpt_7',
  charging: { llm_price: 0.0123, platform_price: 0.1, tier: 'pro', call_charge: 0.05, llm_tokens: { 'gpt-4o-mini': { input: 1500, output: 230 } } },
  warnings: ['slow tool', 'fallback voice'],
  call_success_score: 0.87,
  evaluation: { solved: 'success', polite: 'failure' },
  evaluation_scores: { solved: 0.9 },
  evaluation_rationale: { solved: 'The order status was given.', polite: 'The agent interrupted twice.' },
  data_collection: { order_id: 'A123' },
  data_collection_rationale: { order_id: 'The caller read it out.' },
  user_turns: 6,
  agent_turns: 7,
  interrupted_turns: 2,
  tool_calls: 4,
  tool_errors: 1,
  tools_used: new Set(['lookup_order', 'transfer']),
  tools_errored: new Set(['transfer']),
  llm_ttfb_p50_secs: 0.42,
  has_user_audio: true,
  has_response_audio: false,
  text_only: false,
  accepted_time_unix_secs: START + 3,
  queue_wait_secs: 3,
  authorization_method: 'signed_url',
  timezone: 'Europe/Berlin',
  initiator_id: 'user_9',
  branch_id: 'br_main',
  version_id: 'ver_3',
  environment: 'production',
  tag_ids: new Set(['vip', 'q4']),
  ...extra,
});

/** A call stored before issue 11: none of the new attributes. */
const oldCall = { conversation_id: 'conv_old0000001', agent_id: 'agent_1', start_time: '2025-10-01T09:00:00Z', start_time_unix_secs: START - 1000, call_duration_secs: 30, cost: 50, call_successful: 'success', transcription_event_timestamp: 1, external_number: '15550100123', direction: 'inbound', phone_provider: 'twilio' };
const notConnected = { conversation_id: 'conv_fail0000001', agent_id: 'agent_1', status: 'failed', failure_reason: 'busy', failure_provider: 'sip', failure_event_timestamp: START, start_time_unix_secs: START, channel: 'phone' };
const conversationFailed = fullCall('conv_err00000001', { status: 'failed', error_code: 1002, error_reason: 'LLM quota exceeded', call_successful: 'failure', cost_fiat: 0.02, channel: 'web', conversation_initiation_source: 'widget', tool_calls: 6, tool_errors: 2 });

describe('failureKind', () => {
  it('names a failure with no transcription not_connected, and a transcription that failed or carries an error conversation_failed', () => {
    expect(failureKind(notConnected)).toBe('not_connected');
    expect(failureKind({ conversation_id: 'c', failure_event_timestamp: 1 })).toBe('not_connected');
    expect(failureKind(conversationFailed)).toBe('conversation_failed');
    expect(failureKind(fullCall('c', { error_reason: 'x' }))).toBe('conversation_failed');
    expect(failureKind(fullCall('c', { otel_transcription_event_timestamp: 5, transcription_event_timestamp: undefined, status: 'failed' }))).toBe('conversation_failed');
  });

  it('names nothing for an answered call, one only audio has reached, or a failure a transcription in which the user spoke followed', () => {
    expect([fullCall('c'), oldCall, { conversation_id: 'a', audio_s3_key: 'k' }, { ...notConnected, transcription_event_timestamp: 9, status: 'done', user_turns: 1 }].map(failureKind)).toEqual([undefined, undefined, undefined, undefined]);
    expect(failureKind({ ...notConnected, transcription_event_timestamp: 9, status: 'failed', user_turns: 2 })).toBe('conversation_failed');
  });

  it('names a failure followed by a transcription with no user turn (0 or not counted) not_connected: the conversation never connected', () => {
    for (const turns of [{ user_turns: 0 }, {}]) {
      expect(failureKind({ ...notConnected, transcription_event_timestamp: 9, status: 'done', ...turns })).toBe('not_connected');
      expect(failureKind({ ...notConnected, transcription_event_timestamp: 9, status: 'failed', error_code: 1002, ...turns })).toBe('not_connected');
      expect(failureKind({ ...notConnected, otel_transcription_event_timestamp: 9, ...turns })).toBe('not_connected');
    }
    expect(failureKind(fullCall('c', { user_turns: 0 }))).toBeUndefined();
  });

  it('adds failure_kind to the JSON of failed calls only, keeping every stored attribute', () => {
    expect(withFailureKind(conversationFailed)).toEqual({ ...conversationFailed, failure_kind: 'conversation_failed' });
    expect(withFailureKind(oldCall)).toBe(oldCall);
  });
});

describe('calls list with channel and USD', () => {
  it('shows the channel with the direction and number, and the cost in USD when stored', () => {
    const line = formatList([fullCall('conv_new0000001', { call_summary_title: 'Order status' })]).split('\n')[1];
    expect(line).toMatch(/^w0000001\s+2025-11-24 16:00Z\s+agent_1\s+tel in \+15550100123\s+2m 05s\s+\$0\.12\s+success\s+Order status$/);
  });

  it('names each channel in a short word', () => {
    const cells = ['phone', 'whatsapp', 'sms', 'web'].map((channel) => formatList([fullCall('conv_c0000001', { channel })]).split('\n')[1].split(/ {2,}/)[3]);
    expect(cells).toEqual(['tel in +15550100123', 'wa in +15550100123', 'sms in +15550100123', 'web in +15550100123']);
  });

  it('shows - for an item with no channel and no JSON transcription: only audio, or only OpenTelemetry', () => {
    const audioOnly = { conversation_id: 'conv_audio0000001', agent_id: 'agent_1', audio_s3_key: 'k', has_audio: true };
    const otelOnly = { conversation_id: 'conv_otel00000001', agent_id: 'agent_1', otel_transcription_event_timestamp: 5, start_time: '2025-11-24T16:00:00Z', call_duration_secs: 30, user_turns: 2 };
    const lines = formatList([otelOnly, audioOnly]).split('\n');
    expect(lines[1]).toMatch(/^00000001\s+2025-11-24 16:00Z\s+agent_1\s+-\s+30s\s+-\s+-$/);
    expect(lines[2]).toMatch(/^o0000001\s+-\s+agent_1\s+-\s+-\s+-\s+-$/);
    expect(toListRow(audioOnly)).toMatchObject({ channel: '', direction: '' });
  });

  it('never cuts a number, the longest E.164 included, on any terminal width; the agent gives way', () => {
    const longest = fullCall(`conv_${'x'.repeat(40)}1`, { agent_name: 'A very long agent name', channel: 'whatsapp', direction: 'outbound', external_number: '+123456789012345', cost_fiat: 0.0004, call_summary_title: 'T'.repeat(200) });
    const items = [longest, { ...longest, conversation_id: `conv_${'x'.repeat(40)}2`, channel: 'phone' }, { ...longest, conversation_id: `conv_${'x'.repeat(40)}3`, channel: 'sms', status: 'failed' }];
    for (const width of [120, 200]) {
      const lines = formatList(items, width).trimEnd().split('\n');
      for (const line of lines) expect(columnsOf(line)).toBeLessThanOrEqual(width);
      expect(lines.slice(1, 4).map((line) => line.match(/ (\S+ out \+\d+) /)?.[1])).toEqual(['wa out +123456789012345', 'tel out +123456789012345', 'sms out +123456789012345']);
      expect(lines[1]).toMatch(width === 120 ? /  T{19}…$/ : /  T{95}…$/);
    }
    // Ids that need 16 characters apart: the agent's name gives way, down to 8 columns, so the title keeps some.
    const alike = [`a${'0'.repeat(20)}`, `b${'0'.repeat(20)}`].map((id) => ({ ...longest, conversation_id: id }));
    const line = formatList(alike).split('\n')[1];
    expect(line).toMatch(/^0{16} {2}2025-11-24 16:00Z {2}A very … {2}wa out \+123456789012345 .* T{19}…$/);
    expect(columnsOf(line)).toBe(120);
  });

  it('reads an item stored before channels and USD as before: direction, number and credits', () => {
    const line = formatList([oldCall]).split('\n')[1];
    expect(line).toMatch(/^d0000001\s+2025-10-01 09:00Z\s+agent_1\s+in 15550100123\s+30s\s+50 cr\s+success$/);
    expect(formatList([{ ...oldCall, direction: undefined, phone_provider: undefined, external_number: undefined }]).split('\n')[1]).toMatch(/agent_1\s+web\s+30s/);
  });

  it('says which kind of failure in the outcome, and the error where the title would be', () => {
    const lines = formatList([conversationFailed, notConnected]).split('\n');
    expect(lines[1]).toMatch(/web in \+15550100123\s+2m 05s\s+\$0\.02\s+conv\. failed\s+error 1002: LLM quota/);
    expect(lines[2]).toMatch(/tel\s+-\s+-\s+not connected\s+busy \(sip\)$/);
  });

  it('fits 120 columns with the widest channel, direction, number and cost', () => {
    const wide = fullCall(`conv_${'x'.repeat(40)}1`, { agent_name: 'A very long agent name', channel: 'whatsapp', direction: 'outbound', external_number: '+123456789012345', cost: 1_234_567, cost_fiat: 12_345.67, call_summary_title: 'T'.repeat(200), call_successful: undefined, status: 'failed' });
    const lines = formatList([wide, { ...wide, conversation_id: `conv_${'x'.repeat(40)}2`, channel: HOSTILE }]).trimEnd().split('\n');
    for (const line of lines) expect(columnsOf(line)).toBeLessThanOrEqual(120);
    expect(lines.join('\n')).not.toMatch(UNPRINTABLE);
  });

  it('puts channel, USD, the failure kind, its reason and the error at the end of the CSV row, the verdict and direction in theirs', () => {
    expect(LIST_COLUMNS.slice(0, 12)).toEqual(['start_time', 'agent', 'direction', 'number', 'duration_secs', 'cost', 'call_successful', 'title', 'conversation_id', 'channel', 'cost_usd', 'failure_kind']);
    expect(LIST_COLUMNS.slice(12)).toEqual(['failure_reason', 'error_code', 'error_reason']);
    expect(toListRow(conversationFailed)).toMatchObject({ channel: 'web', direction: 'inbound', cost_usd: 0.02, failure_kind: 'conversation_failed', cost: 438, call_successful: 'failure', failure_reason: '', error_code: 1002, error_reason: 'LLM quota exceeded' });
    expect(toListRow(oldCall)).toMatchObject({ channel: '', direction: 'inbound', cost_usd: '', failure_kind: '', error_code: '', error_reason: '' });
    expect(toListRow(notConnected)).toMatchObject({ call_successful: '', failure_kind: 'not_connected', failure_reason: 'busy', direction: '' });
    // Stored before channels: a transcription and nothing of a phone was a web call; the direction column holds only a direction.
    expect(toListRow({ ...oldCall, direction: undefined, phone_provider: undefined, external_number: undefined })).toMatchObject({ channel: 'web', direction: '' });
  });

  it('writes USD to the cent from a dollar, with two significant digits below, and credits with their unit', () => {
    expect([0.1234, 12, 0.0717, 0.0042, 0.0004, 0.00042, 0.1, 0, -0.005].map(formatUsd)).toEqual(['$0.12', '$12.00', '$0.072', '$0.0042', '$0.0004', '$0.00042', '$0.10', '$0.00', '-$0.005']);
    expect([formatUsd(undefined), formatUsd('1'), formatUsd(NaN)]).toEqual(['', '', '']);
    expect([formatCredits(142), formatCredits(undefined), formatCredits('142')]).toEqual(['142 cr', '', '']);
  });
});

describe('calls show with the new attributes', () => {
  const text = formatCallDetail(conversationFailed, 'bucket');
  const block = (title: string) => text.split('\n\n').find((b) => b.startsWith(`${title}\n`))?.trimEnd() ?? '';

  it('groups the connection, session, campaign and cost', () => {
    expect(block('Connection')).toMatch(/channel +web\n +initiated by +widget\n +direction +inbound\n +number +\+15550100123\n +phone number id +phnum_01\n +provider +twilio/);
    expect(block('Connection')).toMatch(/accepted +2025-11-24T16:00:03Z\n +queue wait +3s\n +text only +no\n +audio from +user yes, agent no$/);
    expect(block('Session')).toMatch(/initiator id +user_9\n +authorization +signed_url\n +timezone +Europe\/Berlin\n +branch +br_main\n +version +ver_3\n +environment +production\n +tags +q4, vip$/);
    expect(block('Campaign')).toMatch(/batch call +btcal_42\n +recipient +rcpt_7$/);
    expect(block('Cost')).toMatch(/credits +438\n +USD +\$0\.02\n +llm price +\$0\.0123\n +platform price +\$0\.1\n +tier +pro\n +call charge +0\.05 credits\n +tokens gpt-4o-mini +1500 in, 230 out$/);
  });

  it('shows errors and warnings, the success score, turns, tools and LLM latency', () => {
    expect(block('Errors')).toMatch(/error +error 1002: LLM quota exceeded\n +warning +slow tool\n +warning +fallback voice$/);
    expect(block('Analysis')).toMatch(/success score +0\.87/);
    expect(block('Turns and tools')).toMatch(/user turns +6\n +agent turns +7\n +interrupted +2\n +tool calls +6\n +tool errors +2\n +tools used +lookup_order, transfer\n +tools errored +transfer\n +LLM TTFB p50 +0\.420s$/);
  });

  it('writes floats for a person: seconds to the millisecond, prices to 6 significant digits, charges in credits', () => {
    const shown = formatCallDetail(fullCall('conv_f', { llm_ttfb_p50_secs: 0.3704247010173276, queue_wait_secs: 1.23456, cost_fiat: 0.012345678912, call_success_score: 0.8712345678,
      charging: { llm_price: 0.0004247010173276, llm_charge: 35, platform_charge: 12.5, free_minutes_consumed: 0.5, free_llm_dollars_consumed: 0.25, is_burst: false, dev_discount: null } }), 'bucket');
    expect(shown).toMatch(/LLM TTFB p50 +0\.370s\n/);
    expect(shown).toMatch(/queue wait +1\.235s\n/);
    expect(shown).toMatch(/USD +\$0\.0123457\n +llm price +\$0\.000424701\n +llm charge +35 credits\n +platform charge +12\.5 credits\n +free minutes consumed +0\.5 min\n +free llm dollars consumed +\$0\.25\n +is burst +no\n +dev discount +-\n/);
    expect(shown).toMatch(/success score +0\.871235\n/);
  });

  it('writes feedback in words, and leaves it out when it says nothing', () => {
    const feedbackOf = (feedback: unknown) => formatCallDetail(fullCall('conv_f', { feedback }), 'bucket').match(/\n {2}feedback +(.*)\n/)?.[1];
    expect(feedbackOf({ likes: 2, dislikes: 1, overall_score: 4 })).toBe('likes 2 · dislikes 1 · score 4');
    expect(feedbackOf({ likes: 1, dislikes: 0, overall_score: null, comment: 'quick' })).toBe('likes 1 · dislikes 0 · score - · comment quick');
    expect(feedbackOf({ likes: 0, dislikes: 0, overall_score: null })).toBeUndefined();
    expect(feedbackOf({})).toBeUndefined();
  });

  it('names the agent by its id alone when it has no name, and by both when it has', () => {
    expect(formatCallDetail(notConnected, 'bucket')).toMatch(/\n {2}agent +agent_1\n/);
    expect(formatCallDetail(fullCall('conv_a', { agent_name: 'Acme' }), 'bucket')).toMatch(/\n {2}agent +Acme \(agent_1\)\n/);
  });

  it('lists what each event had to leave out, and shows a null a map holds as -', () => {
    const shown = formatCallDetail(fullCall('conv_t', { truncated_fields: new Set(['transcript_summary']), failure_truncated_fields: ['failure_metadata'], audio_truncated_fields: new Set(['audio_source']), otel_truncated_fields: ['tools_used'], dynamic_variables: { caller: null }, data_collection: { order_id: null } }), 'bucket');
    expect(shown).toMatch(/truncated +transcription: transcript_summary · failure: failure_metadata · audio: audio_source · OpenTelemetry: tools_used\n/);
    expect(shown).toMatch(/Dynamic variables\n {2}caller {2}-\n/);
    expect(shown).toMatch(/Data collected\n {2}order_id {2}-\n/);
  });

  it('puts each rationale under its criterion or value', () => {
    expect(block('Evaluation')).toBe('Evaluation\n  solved  success (score 0.9)\n          The order status was given.\n  polite  failure\n          The agent interrupted twice.');
    expect(block('Data collected')).toBe('Data collected\n  order_id  A123\n            The caller read it out.');
  });

  it('shows an item stored before them without the new groups', () => {
    const old = formatCallDetail(oldCall, 'bucket');
    for (const title of ['Session', 'Campaign', 'Errors', 'Turns and tools', 'Evaluation']) expect(old).not.toContain(`\n${title}\n`);
    expect(old).toMatch(/Cost\n {2}credits {2}50\n\n/);
  });

  it('prints no control, bidirectional or zero-width character from any new attribute', () => {
    const hostile = fullCall(`conv_${HOSTILE}`, {
      channel: HOSTILE, conversation_initiation_source: HOSTILE, phone_number_id: HOSTILE, batch_call_id: HOSTILE, error_reason: HOSTILE, error_code: HOSTILE, warnings: [HOSTILE],
      charging: { [HOSTILE]: HOSTILE, llm_tokens: { [HOSTILE]: { input: HOSTILE, output: 1 } } }, evaluation_rationale: { [HOSTILE]: `${HOSTILE}\nline two` },
      data_collection_rationale: { x: HOSTILE }, tools_used: new Set([HOSTILE]), tag_ids: new Set([HOSTILE]), timezone: HOSTILE, environment: HOSTILE, authorization_method: HOSTILE,
    });
    const shown = formatCallDetail(hostile, 'bucket');
    expect(shown).not.toMatch(UNPRINTABLE);
    expect(shown.match(/\]0;pwned/g)?.length).toBeGreaterThanOrEqual(18);
  });
});

describe('calls stats with the new attributes', () => {
  const items = [fullCall('c1'), fullCall('c2', { batch_call_recipient_id: 'rcpt_8', evaluation: { solved: 'unknown' }, cost_fiat: undefined }), conversationFailed, notConnected, oldCall];
  const stats = computeStats(items, { campaign: true });

  it('counts never connected and failed conversations apart', () => {
    expect([stats.calls, stats.answered, stats.not_connected, stats.conversation_failed, stats.failed, stats.other]).toEqual([5, 3, 1, 1, 2, 0]);
  });

  it('totals and averages USD over the calls that have it, saying how many', () => {
    expect(stats.cost_usd.calls).toBe(2);
    expect(stats.cost_usd.total).toBeCloseTo(0.1434);
    expect(stats.cost_usd.average).toBeCloseTo(0.0717);
  });

  it('counts calls by channel and initiation source, where stored', () => {
    expect(stats.channels).toEqual({ phone: 3, web: 1 });
    expect(stats.initiation_sources).toEqual({ twilio: 2, widget: 1 });
  });

  it('sums tool errors over tool calls', () => {
    expect(stats.tools).toEqual({ calls: 14, errors: 4, error_rate: 4 / 14 });
  });

  it('rates each criterion: success passes, failure fails, any other result apart', () => {
    expect(stats.evaluation).toEqual({ solved: { pass: 2, fail: 0, other: 1, pass_rate: 1 }, polite: { pass: 0, fail: 2, other: 0, pass_rate: 0 } });
  });

  it('with a campaign, counts its recipients and those an answered call reached', () => {
    const campaign = computeStats([fullCall('c1'), fullCall('c2', { batch_call_recipient_id: 'rcpt_8', status: 'failed' }), fullCall('c3', { batch_call_recipient_id: 'rcpt_8' })], { campaign: true }).campaign;
    expect(campaign).toEqual({ recipients: 2, recipients_answered: 2, answer_rate: 1, calls_per_recipient: 1.5 });
    expect(computeStats([conversationFailed], { campaign: true }).campaign).toEqual({ recipients: 1, recipients_answered: 0, answer_rate: 0, calls_per_recipient: 1 });
    expect(computeStats(items).campaign).toBeUndefined();
  });

  it('reads items stored before them: no USD, channels, tools or criteria, and no rates', () => {
    expect(computeStats([oldCall])).toMatchObject({ cost_usd: { total: 0, average: null, calls: 0 }, channels: {}, initiation_sources: {}, tools: { calls: 0, errors: 0, error_rate: null }, evaluation: {} });
  });

  it('prints them for a person, saying what is counted', () => {
    const text = formatStats('campaign btcal_42', stats);
    expect(text).toContain('  calls          5   answered 3   not connected 1   conversation failed 1\n');
    expect(text).toContain('  campaign       recipients 2   reached 2 (100%)   calls per recipient 1.5\n');
    expect(text).toContain('  cost           1,364 credits   $0.14 total, $0.072 average over the 2 calls with a USD cost\n');
    expect(text).toContain('  channel        phone 3 · web 1 · (1 not stored)\n');
    expect(text).toContain('  initiated by   twilio 2 · widget 1 · (2 not stored)\n');
    expect(text).toContain('  tool errors    28.6% (4 of 14 tool calls)\n');
    expect(text).toContain('  top numbers    +15550100123 4\n');
    expect(text).toMatch(/evaluation pass rate \(result success over success and failure\)\n {4}solved {2}100% \(2 of 2 success\/failure, 1 other\)\n {4}polite {2}0% \(0 of 2 success\/failure\)\n/);
  });

  it('writes USD as list does, a fraction of a cent included', () => {
    expect(formatStats('g', computeStats([fullCall('c1', { cost_fiat: 0.0004 }), fullCall('c2', { cost_fiat: 0.0006 })]))).toContain('  cost           876 credits   $0.001 total, $0.0005 average over the 2 calls with a USD cost\n');
  });

  it('keeps every line within 120 columns, long lists going on under their first value', () => {
    const many = Array.from({ length: 12 }, (_, i) => fullCall(`c${i}`, { conversation_initiation_source: `source_number_${i}`, termination_reason: `Call ended by remote party ${i}`, data_collection: { reason: `a rather long collected value ${i}` } }));
    const text = formatStats('all agents', computeStats(many));
    const lines = text.trimEnd().split('\n');
    for (const line of lines) expect(columnsOf(line)).toBeLessThanOrEqual(120);
    const ended = lines.findIndex((line) => line.startsWith('  ended by '));
    expect(lines[ended]).toMatch(/^ {2}ended by {7}Call ended by remote party 0 1 · .* ·$/);
    expect(lines[ended + 1]).toMatch(/^ {17}Call ended by remote party \d+ 1 · /);
    expect(lines.filter((line) => line.startsWith(`${' '.repeat(17)}source_number_`)).length).toBeGreaterThan(0);
    expect(text).toMatch(/\n {4}reason {2}a rather long collected value 0 1 · .* ·\n {12}a rather long collected value/);
  });

  it('shows a null value collected as -, as show does', () => {
    const text = formatStats('g', computeStats([fullCall('c1', { data_collection: { ok: null } }), fullCall('c2', { data_collection: { ok: 'yes' } })]));
    expect(text).toMatch(/\n {4}ok {2}- 1 · yes 1\n/);
  });

  it('puts the split, USD and tool figures in the CSV row', () => {
    expect(toStatsRow('g', stats)).toMatchObject({ not_connected: 1, conversation_failed: 1, total_cost_usd: 0.1434, average_cost_usd: 0.0717, calls_with_cost_usd: 2, tool_calls: 14, tool_errors: 4, tool_error_rate: 0.286 });
  });

  it('adds agent_id after group when grouped by agent, and only then', () => {
    expect(statsColumns(false)).toEqual(STATS_COLUMNS);
    expect(statsColumns(true)).toEqual(['group', 'agent_id', ...STATS_COLUMNS.slice(1)]);
    expect(toStatsRow('Acme (agent_1)', stats, 'agent_1')).toMatchObject({ group: 'Acme (agent_1)', agent_id: 'agent_1' });
    expect(toStatsRow('g', stats)).not.toHaveProperty('agent_id');
  });
});
