import { formatCallDetail } from '../lib/calls/call-detail';
import { formatList, isShortIdOf, shortIds } from '../lib/calls/call-list';
import { toCsv, toJson } from '../lib/calls/calls-format';
import { computeStats } from '../lib/calls/calls-stats';
import { formatStats } from '../lib/calls/stats-format';
import { columnsOf, HOSTILE, UNPRINTABLE } from './support/hostile-text';

/* What `calls` prints: within a terminal's width, with ids `show` takes, and no stored text that drives the terminal. */

const call = (id: string, extra: Record<string, unknown> = {}) => ({
  conversation_id: id,
  agent_id: 'agent_1',
  start_time: '2025-11-24T16:00:00Z',
  start_time_unix_secs: 1_764_000_000,
  call_duration_secs: 125,
  cost: 438,
  call_successful: 'success',
  ...extra,
});

const LONG = {
  agent_name: 'Agent with a very long name indeed '.repeat(5),
  direction: 'outbound',
  external_number: '+1555010012345678901234567890',
  call_duration_secs: 3_600_000,
  cost: 12_345_678_901,
  call_successful: 'unknown outcome of a long kind',
  call_summary_title: 'A title that goes on and on '.repeat(20),
};

describe('calls list as text', () => {
  it('fits every line in 120 columns, however long the values', () => {
    const items = [
      call(`conv_${'x'.repeat(60)}1`, LONG),
      call(`conv_${'x'.repeat(60)}2`, { ...LONG, call_summary_title: '長いタイトルと絵文字😀'.repeat(20), agent_name: '営業'.repeat(20) }),
      call('conv_short', { failure_reason: 'a very long reason for not connecting '.repeat(5), failure_provider: 'sip' }),
      call('abc'),
    ];
    const lines = formatList(items).trimEnd().split('\n');
    expect(lines).toHaveLength(items.length + 2);
    for (const line of lines) expect(columnsOf(line)).toBeLessThanOrEqual(120);
  });

  it('starts each line with a short id, the end of the conversation id', () => {
    const text = formatList([call('conv_7901kphone0inbound0000001', { direction: 'inbound', external_number: '+15550100123', call_summary_title: 'Order status' })]);
    expect(text.split('\n')[1]).toMatch(/^d0000001\s+2025-11-24 16:00Z\s+agent_1\s+in \+15550100123\s+2m 05s\s+438 cr\s+success\s+Order status$/);
  });

  it('gives ids that differ only near the start as many characters as keep them apart', () => {
    const ids = ['conv_7901kfail0sip000000000001', 'conv_7901kfail0twilio0000000001', 'conv_7901kphone0inbound0000001', 'abc'];
    const short = shortIds(ids);
    expect(short).toEqual(['00000000001', 'o0000000001', 'ound0000001', 'abc']);
    ids.forEach((id, i) => expect(ids.filter((other) => isShortIdOf(short[i], other))).toEqual([id]));
  });

  it('shows at least 8 characters, and no more than 16 however alike the ids', () => {
    expect(shortIds(['conv_01jx8abcdefgh', 'conv_01jx8zyxwvuts'])).toEqual(['abcdefgh', 'zyxwvuts']);
    expect(shortIds([`a${'0'.repeat(20)}`, `b${'0'.repeat(20)}`]).map((s) => s.length)).toEqual([16, 16]);
  });

  it('says why a call did not connect where a title would be', () => {
    const line = formatList([call('conv_failed0001', { failure_reason: 'busy', failure_provider: 'sip', call_successful: undefined })]).split('\n')[1];
    expect(line).toMatch(/not connected\s+busy \(sip\)$/);
  });

  it('prints no control, bidirectional or zero-width character from stored text', () => {
    const text = formatList([call(`conv_${HOSTILE}`, { agent_name: HOSTILE, external_number: HOSTILE, call_successful: HOSTILE, call_summary_title: HOSTILE })]);
    expect(text).not.toMatch(UNPRINTABLE);
    expect(text).toContain('a[31mred');
  });
});

describe('calls show as text', () => {
  const item = call(`conv_${HOSTILE}`, {
    agent_name: HOSTILE,
    call_summary_title: HOSTILE,
    transcript_summary: `${HOSTILE}\nsecond line`,
    termination_reason: HOSTILE,
    data_collection: { [`field${HOSTILE}`]: HOSTILE, nested: { value: HOSTILE } },
    evaluation: { [HOSTILE]: HOSTILE },
    evaluation_scores: { [HOSTILE]: HOSTILE },
    dynamic_variables: { [HOSTILE]: HOSTILE },
    external_number: HOSTILE,
  });
  const transcript = {
    data: {
      transcript: [
        { role: HOSTILE, time_in_call_secs: 2, message: `${HOSTILE}\nand more`, tool_calls: [{ tool_name: HOSTILE, params_as_json: HOSTILE }], tool_results: [{ tool_name: HOSTILE, result_value: HOSTILE, is_error: true }] },
      ],
    },
  };
  const text = formatCallDetail(item, 'bucket', transcript);

  it('prints no control, bidirectional or zero-width character from the item, transcript, tool calls or variables', () => {
    expect(text).not.toMatch(UNPRINTABLE);
    expect(text.match(/\]0;pwned/g)?.length).toBeGreaterThanOrEqual(15);
  });

  it('keeps each value on its own line', () => {
    expect(text).toContain('a[31mred[0m ]8;;https://evil.example/\\link]8;;\\ ]0;pwned 2J evil zerowidthiso softhyphen tag op mongol annotx second line');
    expect(text).toMatch(/^ {2}\[0:02\] a\[31mred.*: a\[31mred.* and more$/m);
  });
});

describe('calls stats as text', () => {
  it('prints no control, bidirectional or zero-width character from top numbers, reasons or collected data', () => {
    const stats = computeStats([call('c1', { external_number: HOSTILE, termination_reason: HOSTILE, transcription_event_timestamp: 1, data_collection: { [HOSTILE]: HOSTILE } })]);
    const text = formatStats(HOSTILE, stats);
    expect(text).not.toMatch(UNPRINTABLE);
    expect(text).toMatch(/top numbers {4}a\[31mred/);
  });
});

describe('machine-readable output', () => {
  it('escapes control, bidirectional and zero-width characters in JSON, which parses back to the stored values', () => {
    const value = [{ conversation_id: 'c1', call_summary_title: HOSTILE }];
    const json = toJson(value);
    expect(json).not.toMatch(UNPRINTABLE);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('keeps CSV values and their line breaks, but no control character a terminal would run', () => {
    const csv = toCsv(['t', 'f'], [{ t: `${HOSTILE}\nnext line`, f: '\x1b=HYPERLINK("x")' }]);
    expect(csv.replace(/\n/g, '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(csv).toContain('a[31mred');
    expect(csv).toContain('\u202eevil\u202c');
    expect(csv).toContain('next line"');
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
  });
});
