import { formatCallDetail } from '../lib/calls/call-detail';
import { formatList, formatStats, toCsv, toJson } from '../lib/calls/calls-format';
import { computeStats } from '../lib/calls/calls-stats';
import { HOSTILE, UNPRINTABLE } from './support/hostile-text';

/* What `calls` prints: no stored text that drives the terminal. */

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

describe('calls list as text', () => {
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
    expect(text).toContain('a[31mred[0m ]8;;https://evil.example/\\link]8;;\\ ]0;pwned 2J evil zerowidthiso second line');
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
