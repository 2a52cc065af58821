import { formatList } from '../lib/calls/call-list';
import { formatDuration, toCallJson, toCsv } from '../lib/calls/calls-format';
import { buildCallsRequests, byNewestFirst, FIRST_LISTED_MONTH, monthsNewestFirst } from '../lib/calls/calls-query';
import { computeStats, percentile, statsByAgent } from '../lib/calls/calls-stats';
import { parseTimeBound } from '../lib/calls/time-bounds';

const answered = (id: string, agent: string, duration: number, cost: number, successful: string, extra: Record<string, unknown> = {}) => ({
  conversation_id: id,
  agent_id: agent,
  start_time_unix_secs: 1_764_000_000 + duration,
  call_duration_secs: duration,
  cost,
  call_successful: successful,
  transcription_event_timestamp: 1,
  ...extra,
});

const KNOWN_SET = [
  answered('c1', 'a', 60, 100, 'success', { external_number: '+1', termination_reason: 'end_call', data_collection: { plan: 'pro', ok: true } }),
  answered('c2', 'a', 120, 200, 'failure', { external_number: '+1', termination_reason: 'end_call', data_collection: { plan: 'basic' } }),
  answered('c3', 'b', 30, 50, 'unknown', { external_number: '+2', termination_reason: 'remote hangup', data_collection: { plan: 'pro', ok: null } }),
  answered('c4', 'b', 600, 900, 'success'),
  { conversation_id: 'c5', agent_id: 'b', failure_reason: 'busy', external_number: '+3', start_time_unix_secs: 1_764_000_001 },
];

describe('computeStats', () => {
  const stats = computeStats(KNOWN_SET);

  it('counts calls, answered and never connected', () => {
    expect([stats.calls, stats.answered, stats.failed, stats.other]).toEqual([5, 4, 1, 0]);
  });

  it('counts never connected and failed conversations apart, audio alone as awaiting, so the parts add up', () => {
    const mixed = computeStats([...KNOWN_SET, answered('c6', 'a', 0, 0, 'failure', { status: 'failed' }), answered('c8', 'a', 5, 0, 'unknown', { error_code: 1002 }), { conversation_id: 'c7', audio_s3_key: 'k' }]);
    expect([mixed.calls, mixed.answered, mixed.failed, mixed.not_connected, mixed.conversation_failed, mixed.other]).toEqual([8, 4, 3, 1, 2, 1]);
  });

  it('sums and ranks durations (nearest-rank percentiles)', () => {
    expect(stats.duration_secs).toEqual({ total: 810, average: 202.5, p50: 60, p90: 600 });
  });

  it('totals cost and computes the success rate over evaluated calls only', () => {
    expect(stats.total_cost).toBe(1250);
    expect(stats.call_successful).toEqual({ success: 2, failure: 1, unknown: 1, success_rate: 2 / 3 });
  });

  it('ranks termination reasons, numbers and collected values by frequency', () => {
    expect(stats.termination_reasons).toEqual({ end_call: 2, 'remote hangup': 1 });
    expect(stats.top_numbers).toEqual([{ number: '+1', calls: 2 }, { number: '+2', calls: 1 }, { number: '+3', calls: 1 }]);
    expect(stats.data_collection).toEqual({ plan: { pro: 2, basic: 1 }, ok: { null: 1, true: 1 } });
  });

  it('splits per agent, largest first', () => {
    expect(statsByAgent(KNOWN_SET).map((g) => [g.agent_id, g.stats.calls, g.stats.total_cost])).toEqual([['b', 3, 950], ['a', 2, 300]]);
  });

  it('counts keys and values named like object properties as any other, touching no prototype', () => {
    const hostile = JSON.parse('[{"conversation_id":"h1","data_collection":{"constructor":"entries","__proto__":"polluted","toString":"__proto__"},"external_number":"constructor","termination_reason":"toString"},{"conversation_id":"h2","data_collection":{"constructor":"entries"},"external_number":"constructor","termination_reason":"toString"}]');
    const hostileStats = computeStats(hostile);
    expect(typeof Object.entries).toBe('function');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(hostileStats.data_collection)).toBe('{"constructor":{"entries":2},"__proto__":{"polluted":1},"toString":{"__proto__":1}}');
    expect(JSON.stringify(hostileStats.termination_reasons)).toBe('{"toString":2}');
    expect(hostileStats.top_numbers).toEqual([{ number: 'constructor', calls: 2 }]);
  });

  it('has no averages or rate for no calls', () => {
    expect(computeStats([])).toMatchObject({ calls: 0, duration_secs: { average: null, p50: null }, call_successful: { success_rate: null } });
  });

  it('takes the nearest rank', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([5], 50)).toBe(5);
  });
});

describe('buildCallsRequests', () => {
  it('queries the agent index, newest first, with the time range in the key condition', () => {
    const [request, ...more] = buildCallsRequests('t', { agentId: 'a', since: 10, until: 20 });
    expect([request.ordered, more]).toEqual([false, []]);
    expect(request.input).toMatchObject({ IndexName: 'by_agent', ScanIndexForward: false, KeyConditionExpression: '#pk = :pk AND #start BETWEEN :since AND :until' });
  });

  it('queries the number index for a number, and filters by number on the agent index when both are given', () => {
    expect(buildCallsRequests('t', { number: 'sip:alice' })[0].input).toMatchObject({ IndexName: 'by_number', KeyConditionExpression: '#pk = :pk', ExpressionAttributeValues: { ':pk': 'sip:alice' } });
    expect(buildCallsRequests('t', { agentId: 'a', number: '+1' })[0].input).toMatchObject({ IndexName: 'by_agent', FilterExpression: '#number = :number0' });
  });

  it('queries a full number in both stored forms, with + and without, typed either way', () => {
    for (const typed of ['+15550100123', '15550100123']) {
      const requests = buildCallsRequests('t', { number: typed });
      expect(requests).toMatchObject([
        { ordered: false, input: { IndexName: 'by_number', ExpressionAttributeValues: { ':pk': '+15550100123' } } },
        { ordered: false, input: { IndexName: 'by_number', ExpressionAttributeValues: { ':pk': '15550100123' } } },
      ]);
    }
    expect(buildCallsRequests('t', { number: '+1234567' })).toHaveLength(1);
    expect(buildCallsRequests('t', { agentId: 'a', number: '15550100123' })[0].input).toMatchObject({ FilterExpression: '#number IN (:number0, :number1)', ExpressionAttributeValues: { ':number0': '+15550100123', ':number1': '15550100123' } });
  });

  it('queries the campaign index for --batch, with the time range, and filters by agent there', () => {
    const requests = buildCallsRequests('t', { batchId: 'btc_1', agentId: 'a', since: 10 });
    expect(requests).toHaveLength(1);
    expect(requests[0].input).toMatchObject({
      IndexName: 'by_batch',
      KeyConditionExpression: '#pk = :pk AND #start BETWEEN :since AND :until',
      FilterExpression: '#agentId = :agentId0',
      ExpressionAttributeNames: { '#pk': 'batch_call_id', '#agentId': 'agent_id' },
      ExpressionAttributeValues: { ':pk': 'btc_1', ':agentId0': 'a', ':since': 10 },
    });
  });

  it('never scans: without a campaign, agent or number, it queries the month index month by month, newest first', () => {
    const now = new Date('2026-12-02T10:00:00Z');
    const requests = buildCallsRequests('t', { since: Date.parse('2026-10-15T00:00:00Z') / 1000, failedOnly: true }, now);
    expect(requests.map((r) => r.input.ExpressionAttributeValues[':pk'])).toEqual(['2026-12', '2026-11', '2026-10']);
    expect(requests[0]).toMatchObject({ ordered: true, keysOnly: true, input: { IndexName: 'by_month', ScanIndexForward: false, KeyConditionExpression: '#pk = :pk AND #start BETWEEN :since AND :until' } });
    // The month index holds keys only: --failed is judged on the items read afresh.
    expect(requests[0].input.FilterExpression).toBeUndefined();
  });

  it('walks months back to the first listed month without --since, and from --until (or a day past now) back', () => {
    const now = new Date('2026-12-31T23:00:00Z');
    expect(monthsNewestFirst(undefined, undefined, now)[0]).toBe('2027-01');
    expect(monthsNewestFirst(undefined, undefined, now).at(-1)).toBe(FIRST_LISTED_MONTH);
    expect(monthsNewestFirst(undefined, undefined, now)).toHaveLength(49);
    expect(monthsNewestFirst(Date.parse('2024-12-10T00:00:00Z') / 1000, Date.parse('2025-02-01T00:00:00Z') / 1000, now)).toEqual(['2025-02', '2025-01', '2024-12']);
    expect(monthsNewestFirst(0, undefined, now).at(-1)).toBe(FIRST_LISTED_MONTH);
    expect(monthsNewestFirst(Date.parse('2027-06-01T00:00:00Z') / 1000, undefined, now)).toEqual([]);
  });

  it('sorts newest first with undated calls last', () => {
    const sorted = [{ start_time_unix_secs: 1 }, {}, { start_time_unix_secs: 3 }].sort(byNewestFirst);
    expect(sorted).toEqual([{ start_time_unix_secs: 3 }, { start_time_unix_secs: 1 }, {}]);
  });
});

describe('formatting', () => {
  it('writes durations for people', () => {
    expect([formatDuration(5), formatDuration(125), formatDuration(3720), formatDuration(undefined)]).toEqual(['5s', '2m 05s', '1h 02m', '-']);
  });

  it('prints show --json with the transcription event as stored, however deep it nests', () => {
    const deep = `{"type":"post_call_transcription","data":{"conversation_id":"c","x":${'['.repeat(6_000)}1${']'.repeat(6_000)}}}`;
    const printed = toCallJson({ conversation_id: 'c', events_received: new Set(['post_call_transcription']) }, deep);
    const parsed = JSON.parse(printed);
    expect(parsed.call).toEqual({ conversation_id: 'c', events_received: ['post_call_transcription'] });
    expect(parsed.transcript_event.data.conversation_id).toBe('c');
    expect(JSON.parse(toCallJson({ conversation_id: 'c' }, undefined)).transcript_event).toBeNull();
  });

  it('escapes CSV cells with commas, quotes and line breaks', () => {
    expect(toCsv(['a', 'b'], [{ a: 'x,y', b: 'say "hi"\nthen' }])).toBe('a,b\n"x,y","say ""hi""\nthen"\n');
  });

  it('keeps text a spreadsheet would run as a formula, or read as a number, as text', () => {
    expect(toCsv(['n', 't', 'x'], [{ n: '+15550100123', t: '=HYPERLINK("http://x")', x: -3 }])).toBe('n,t,x\n\'+15550100123,"\'=HYPERLINK(""http://x"")",-3\n');
  });

  it('lists calls one line each, summaries on one line', () => {
    const text = formatList([answered('c1', 'a', 60, 100, 'success', { transcript_summary: 'line one\nline two', start_time: '2025-11-24T16:00:00Z' })]);
    expect(text.split('\n')[1]).toMatch(/^c1\s+2025-11-24 16:00Z\s+a\s+web\s+1m 00s\s+100 cr\s+success\s+line one line two$/);
  });
});

describe('parseTimeBound', () => {
  const now = new Date('2026-01-10T00:00:00Z');
  it('reads dates, times and spans back from now', () => {
    expect(parseTimeBound('2026-01-01', now)).toBe(Date.parse('2026-01-01T00:00:00Z') / 1000);
    expect(parseTimeBound('2026-01-01T12:30Z', now)).toBe(Date.parse('2026-01-01T12:30:00Z') / 1000);
    expect(parseTimeBound('7d', now)).toBe(Date.parse('2026-01-03T00:00:00Z') / 1000);
    expect(parseTimeBound('24h', now)).toBe(Date.parse('2026-01-09T00:00:00Z') / 1000);
  });
  it('reads a date alone as the end of that day for until', () => {
    expect(parseTimeBound('2026-01-01', now, 'until')).toBe(Date.parse('2026-01-01T23:59:59Z') / 1000);
  });

  it('refuses anything else with the accepted forms', () => {
    expect(() => parseTimeBound('last week', now)).toThrow(/7d, 24h/);
    expect(() => parseTimeBound('5', now)).toThrow(/7d, 24h/);
  });
});
