import { callsOverTime, durationHistogram } from '../lib/calls/call-trends';
import { dayIn, dayStart, isTimeZone } from '../lib/calls/time-zones';
import { parseTimeBound } from '../lib/calls/time-bounds';
import { readCallView, toTurn, transcriptTurns } from '../lib/calls/call-view';
import { toDynamoDBValues } from '../lambda/attribute-values';
import { listKeeper } from '../lib/calls/calls-page';
import { callOutcome } from '../lib/calls/failure-kind';
import { QueryError, readConsoleQuery, toCallRow } from '../lib/console/console-json';

/*
 * The console's pure parts: what a call's outcome is, what its URL's filters mean, how transcript
 * entries read as turns, and how calls spread over days and durations.
 */

const transcribed = { transcription_event_timestamp: 1 };
const at = (iso: string) => Date.parse(iso) / 1000;

describe('callOutcome', () => {
  it('names a failure first, then the verdict, and nothing before a transcription or failure', () => {
    expect(callOutcome({ ...transcribed, call_successful: 'success' })).toBe('success');
    expect(callOutcome({ ...transcribed, call_successful: 'failure' })).toBe('failure');
    expect(callOutcome({ ...transcribed, call_successful: 'odd' })).toBe('unknown');
    expect(callOutcome({ ...transcribed })).toBe('unknown');
    expect(callOutcome({ ...transcribed, status: 'failed', call_successful: 'success' })).toBe('conversation_failed');
    expect(callOutcome({ failure_reason: 'busy' })).toBe('not_connected');
    expect(callOutcome({ has_audio: true })).toBeUndefined();
  });
});

describe('readConsoleQuery', () => {
  const now = new Date('2026-12-02T12:00:00Z');
  it('reads the filters of a URL, with relative periods and `all`', () => {
    const { filter, period } = readConsoleQuery(new URLSearchParams('since=7d&until=2026-12-01&agent=a1&number=%2B1555&batch=b&outcome=failure&q=%20refund%20'), now);
    expect(filter).toEqual({ since: Date.parse('2026-11-25T12:00:00Z') / 1000, until: Date.parse('2026-12-01T23:59:59Z') / 1000, agentId: 'a1', number: '+1555', batchId: 'b', outcome: 'failure', text: 'refund' });
    expect(period).toEqual({ since: filter.since, until: filter.until });
    expect(readConsoleQuery(new URLSearchParams(''), now, '30d').period.since).toBe(Date.parse('2026-11-02T12:00:00Z') / 1000);
    expect(readConsoleQuery(new URLSearchParams('since=all'), now, '30d').period).toEqual({ since: null, until: null });
    expect(readConsoleQuery(new URLSearchParams('agent=&q='), now).filter).toMatchObject({ agentId: undefined, text: undefined });
  });

  it('refuses what it cannot read, saying which parameter', () => {
    expect(() => readConsoleQuery(new URLSearchParams('since=soon'), now)).toThrow(new QueryError('since: Cannot read "soon" as a time: use 2025-11-24, 2025-11-24T16:00Z, or 7d, 24h, 30m.'));
    expect(() => readConsoleQuery(new URLSearchParams('outcome=<b>'), now)).toThrow(/^outcome: one of success, failure, unknown, not_connected, conversation_failed/);
    expect(() => readConsoleQuery(new URLSearchParams('since=2026-12-01&until=2026-11-01'), now)).toThrow(/since is after until/);
  });
});

describe('listKeeper', () => {
  it('matches text in titles and summaries in any case, outcomes, and --failed', () => {
    const keep = listKeeper({ text: 'ReFuNd' });
    expect(keep({ call_summary_title: 'Refund asked' })).toBe(true);
    expect(keep({ transcript_summary: 'wants a REFUND' })).toBe(true);
    expect(keep({ agent_name: 'refund bot' })).toBe(false);
    expect(listKeeper({ outcome: 'not_connected' })({ failure_reason: 'busy' })).toBe(true);
    expect(listKeeper({ failedOnly: true })({ ...transcribed })).toBe(false);
  });
});

describe('toCallRow', () => {
  it('gives null for what is absent or not of its type, never a stored object where text belongs', () => {
    expect(toCallRow({ conversation_id: 'c', call_summary_title: { html: '<b>' }, cost: '12', agent_name: 7 })).toMatchObject({ title: null, cost: null, agent_name: null, outcome: null, channel: null });
  });
});

describe('transcript turns', () => {
  it('reads an SDK-shaped entry: tool calls with their params, results with errors, feedback, interruptions', () => {
    expect(toTurn({
      role: 'agent', message: null, time_in_call_secs: 9, interrupted: true, feedback: { score: 'dislike', time_in_call_secs: 10 },
      tool_calls: [{ tool_name: 'lookup', params_as_json: '{"id":1}' }],
      tool_results: [{ tool_name: 'lookup', result_value: 'timeout', is_error: true }],
    })).toEqual({ role: 'agent', message: null, time_in_call_secs: 9, interrupted: true, feedback: 'dislike', tool_calls: [{ name: 'lookup', params: '{"id":1}' }], tool_results: [{ name: 'lookup', is_error: true, result: 'timeout' }] });
  });

  it('reads whatever else comes as absent, never throwing', () => {
    for (const odd of [null, 'text', 42, [], { role: 5, time_in_call_secs: 'soon', tool_calls: 'none', tool_results: [null, 'x'] }]) {
      expect(() => toTurn(odd)).not.toThrow();
    }
    expect(toTurn({ role: 5, message: { text: 'hi' }, tool_results: ['x'] })).toMatchObject({ role: 'unknown', message: '{"text":"hi"}', tool_results: [{ name: 'tool', is_error: false, result: 'x' }] });
    expect(transcriptTurns({ data: {} })).toBeNull();
    expect(transcriptTurns(undefined)).toBeNull();
    expect(transcriptTurns({ data: { transcript: [{ role: 'user', message: 'hi' }] } })).toHaveLength(1);
  });
});

describe('trends', () => {
  const items = [
    { ...transcribed, start_time_unix_secs: at('2026-11-30T23:30:00Z'), call_successful: 'success', cost: 100, cost_fiat: 0.5, call_duration_secs: 61 },
    { ...transcribed, start_time_unix_secs: at('2026-12-01T00:30:00Z'), call_successful: 'failure', cost: 50, call_duration_secs: 5 },
    { failure_reason: 'busy', start_time_unix_secs: at('2026-12-03T10:00:00Z') },
    { has_audio: true },
  ];

  const now = at('2026-12-03T12:00:00Z');

  it('counts each day in the time zone asked for, with the days between at zero', () => {
    const utc = callsOverTime(items, 'UTC', { now });
    expect(utc.unit).toBe('day');
    expect(utc.rows.map((d) => [d.day, d.calls])).toEqual([['2026-11-30', 1], ['2026-12-01', 1], ['2026-12-02', 0], ['2026-12-03', 1]]);
    // In Paris (UTC+1) both calls fall on 1 December.
    const paris = callsOverTime(items, 'Europe/Paris', { now }).rows;
    expect(paris[0]).toEqual({ day: '2026-12-01', calls: 2, success: 1, failure: 1, unknown: 0, not_connected: 0, conversation_failed: 0, other: 0, cost: 150, cost_usd: 0.5, cost_usd_calls: 1, success_rate: 0.5 });
    expect(paris.at(-1)).toMatchObject({ day: '2026-12-03', not_connected: 1, success_rate: null });
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('spans the whole period asked for, and turns to months past the most days a chart shows', () => {
    const week = callsOverTime(items, 'UTC', { since: at('2026-11-27T00:00:00Z'), until: at('2026-12-04T00:00:00Z'), now });
    expect(week.rows.map((d) => d.day)).toEqual(['2026-11-27', '2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04']);
    expect(callsOverTime([], 'UTC', { since: at('2026-12-01T00:00:00Z'), now }).rows.map((d) => d.calls)).toEqual([0, 0, 0]);
    // Stray start times (1978, 5138) and a period to the year 9999: drawn from January 2023 to a year
    // from now, in months; the strays are counted in the stats, not spread over empty centuries.
    const stray = callsOverTime([...items, { ...transcribed, start_time_unix_secs: at('1978-01-01T00:00:00Z') }, { ...transcribed, start_time_unix_secs: at('5138-01-01T00:00:00Z') }], 'UTC', { now, until: at('9999-12-31T00:00:00Z') });
    expect(stray.unit).toBe('month');
    expect(stray.rows[0]).toMatchObject({ day: '2023-01', calls: 0 });
    expect(stray.rows.at(-1)).toMatchObject({ day: '2027-12', calls: 0 });
    expect(stray.rows.find((r) => r.day === '2026-12')).toMatchObject({ calls: 2 });
    expect(stray.rows.length).toBe(60);
  });

  it('reads a plain date as that day in the time zone, clocks changing included', () => {
    expect(dayStart('2025-12-01', 'America/Los_Angeles')).toBe(at('2025-12-01T08:00:00Z'));
    expect(parseTimeBound('2025-12-01', new Date(), 'until', 'America/Los_Angeles')).toBe(at('2025-12-02T07:59:59Z'));
    // 6 September 2026 in Santiago starts at 01:00: its midnight is skipped.
    expect(dayStart('2026-09-06', 'America/Santiago')).toBe(at('2026-09-06T04:00:00Z'));
    expect(dayIn(dayStart('2026-09-06', 'America/Santiago') - 1, 'America/Santiago')).toBe('2026-09-05');
    // 30 March 2025 in Paris has 23 hours.
    expect(parseTimeBound('2025-03-30', new Date(), 'until', 'Europe/Paris') - dayStart('2025-03-30', 'Europe/Paris')).toBe(23 * 3600 - 1);
    expect(dayIn(at('2025-12-01T07:59:59Z'), 'America/Los_Angeles')).toBe('2025-11-30');
    expect(parseTimeBound('2025-12-01', new Date())).toBe(at('2025-12-01T00:00:00Z'));
  });

  it('spreads durations in even buckets from 0 past the longest', () => {
    expect(durationHistogram(items)).toEqual([
      { from_secs: 0, to_secs: 10, calls: 1 }, { from_secs: 10, to_secs: 20, calls: 0 }, { from_secs: 20, to_secs: 30, calls: 0 },
      { from_secs: 30, to_secs: 40, calls: 0 }, { from_secs: 40, to_secs: 50, calls: 0 }, { from_secs: 50, to_secs: 60, calls: 0 }, { from_secs: 60, to_secs: 70, calls: 1 },
    ]);
    // Two hours in 15-minute buckets; a day-long outlier in whole hours: never more than 12 buckets and the last.
    expect(durationHistogram([{ call_duration_secs: 7200 }]).map((b) => b.to_secs - b.from_secs)).toEqual(Array(9).fill(900));
    expect(durationHistogram([{ call_duration_secs: 100_000 }])).toHaveLength(10);
    expect(durationHistogram([])).toEqual([]);
  });
});

describe('a call S3 will not answer for', () => {
  it('shows the rest of the call, saying the audio could not be read and the transcript is missing', async () => {
    // S3 without s3:ListBucket: 403 (Forbidden for HEAD, AccessDenied for GET) whether or not the object is there.
    const item = { conversation_id: 'c1', transcription_event_timestamp: 1, call_successful: 'success', transcript_s3_key: 'raw/calls/c1/t.json', audio_s3_key: 'audio/calls/c1/1.mp3', has_audio: true };
    const refuse = (name: string) => Object.assign(new Error(name), { name });
    const target = {
      description: 'stack', local: false, tableName: 't', bucketName: 'b',
      dynamodb: { send: async () => ({ Item: toDynamoDBValues(item) }) },
      // A 403 to a HEAD has no body: the SDK names it Unknown, with the status in $metadata.
      s3: { send: async (command: object) => { throw command.constructor.name === 'HeadObjectCommand' ? Object.assign(refuse('Unknown'), { $metadata: { httpStatusCode: 403 } }) : refuse('AccessDenied'); } },
    } as never;
    const view = await readCallView(target, 'c1');
    expect(view).toMatchObject({ outcome: 'success', transcript: null, transcript_status: 'missing', audio: { status: 'missing', reason: 'not_readable' } });
  });
});
