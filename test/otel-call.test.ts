import { otelCall } from '../lambda/otel-call';

/*
 * Fixtures follow what ElevenLabs documents of the trace, and nothing more:
 * https://elevenlabs.io/docs/eleven-agents/customization/opentelemetry-traces
 * - "Trace shape" (post-call): root `elevenlabs.conversation` with `elevenlabs.source` =
 *   `post_call_webhook`; children `elevenlabs.recv.user_transcript`, `elevenlabs.recv.agent_response`;
 *   `elevenlabs.tool.{name}` under an agent response.
 * - "OTLP JSON structure": resource attributes `service.name` = `elevenlabs-convai` and
 *   `elevenlabs.conversation_id`, scope `elevenlabs.convai` 1.0.0, nanosecond times as decimal
 *   strings, `status: {code: 1}`.
 * - Monitoring "Trace shape": `elevenlabs.turn.N`, `elevenlabs.event.{type}` (not sent by the webhook).
 */

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const T0 = 1_764_000_000;
const nanos = (secs: number) => `${Math.round(secs * 1000)}000000`;

type Attr = { key: string; value: Record<string, unknown> };
const str = (key: string, value: string): Attr => ({ key, value: { stringValue: value } });

let nextId = 1;
function span(name: unknown, from: number, to: number, extra: Record<string, unknown> = {}) {
  return {
    traceId: TRACE_ID,
    spanId: (nextId++).toString(16).padStart(16, '0'),
    name,
    startTimeUnixNano: nanos(T0 + from),
    endTimeUnixNano: nanos(T0 + to),
    status: { code: 1 },
    ...extra,
  };
}

function traces(spans: unknown[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', 'elevenlabs-convai'), str('elevenlabs.conversation_id', 'conv_9001k1zph3fkeh5s8xg9z90swaqa')] },
        scopeSpans: [{ scope: { name: 'elevenlabs.convai', version: '1.0.0' }, spans }],
      },
    ],
  };
}

/** A call as the docs draw it: greeting, a question, a tool call, the answer. */
function documentedCall() {
  const root = span('elevenlabs.conversation', 0, 42.5, { attributes: [str('elevenlabs.source', 'post_call_webhook')] });
  const answer = span('elevenlabs.recv.agent_response', 9, 12, { parentSpanId: root.spanId });
  return traces([
    root,
    span('elevenlabs.recv.agent_response', 0, 3, { parentSpanId: root.spanId }),
    span('elevenlabs.recv.user_transcript', 4, 8, { parentSpanId: root.spanId }),
    answer,
    span('elevenlabs.tool.lookup_order', 9.2, 10.1, { parentSpanId: answer.spanId }),
    span('elevenlabs.tool.lookup_order', 10.2, 10.9, { parentSpanId: answer.spanId }),
    span('elevenlabs.tool.transfer_to_number', 11, 11.5, { parentSpanId: answer.spanId }),
    span('elevenlabs.recv.user_transcript', 13, 15, { parentSpanId: root.spanId }),
  ]);
}

describe('otelCall on the documented trace shape', () => {
  it('gives the call window and counts turns and tool calls by span name', () => {
    const call = otelCall(documentedCall());
    expect(call.start).toBe(T0);
    expect(call.end).toBe(T0 + 43);
    expect(call.attributes).toEqual({
      user_turns: 2,
      agent_turns: 2,
      tool_calls: 3,
      tools_used: new Set(['lookup_order', 'transfer_to_number']),
    });
  });

  it('counts tool spans wherever they sit and in any order', () => {
    const call = otelCall(traces([span('elevenlabs.tool.a', 5, 6), span('elevenlabs.conversation', 0, 10), span('elevenlabs.tool.b', 1, 2)]));
    expect(call.attributes).toEqual({ user_turns: 0, agent_turns: 0, tool_calls: 2, tools_used: new Set(['a', 'b']) });
  });

  it('reads spans across several resources and scopes', () => {
    const a = traces([span('elevenlabs.conversation', 0, 5), span('elevenlabs.recv.user_transcript', 1, 2)]);
    const b = traces([span('elevenlabs.recv.agent_response', 6, 9)]);
    const call = otelCall({ resourceSpans: [...a.resourceSpans, ...b.resourceSpans] });
    expect(call).toEqual({ start: T0, end: T0 + 9, attributes: { user_turns: 1, agent_turns: 1, tool_calls: 0 } });
  });

  it('says nothing of tools when none was called (DynamoDB refuses an empty set)', () => {
    const call = otelCall(traces([span('elevenlabs.conversation', 0, 1)]));
    expect(call.attributes).toEqual({ user_turns: 0, agent_turns: 0, tool_calls: 0 });
    expect(call.attributes).not.toHaveProperty('tools_used');
  });

  it('claims no counts for spans without the documented root: not a trace of a call', () => {
    const call = otelCall(traces([span('elevenlabs.recv.user_transcript', 1, 2), span('elevenlabs.tool.x', 2, 3)]));
    expect(call.attributes).toEqual({});
    expect(call.start).toBe(T0 + 1);
    expect(call.end).toBe(T0 + 3);
  });

  it('does not count the monitoring shape, nor names that only resemble the documented ones', () => {
    const call = otelCall(
      traces([
        span('elevenlabs.conversation', 0, 9),
        span('elevenlabs.turn.0', 0, 1),
        span('elevenlabs.event.user_transcript', 0, 1),
        span('elevenlabs.event.agent_response', 0, 1),
        span('Elevenlabs.recv.user_transcript', 0, 1),
        span('elevenlabs.recv.user_transcript ', 0, 1),
        span('elevenlabs.tool.', 0, 1),
        span('elevenlabs.tool', 0, 1),
        span('elevenlabs.tools.x', 0, 1),
      ]),
    );
    expect(call.attributes).toEqual({ user_turns: 0, agent_turns: 0, tool_calls: 0 });
  });

  it('reads no attribute at all: none the docs name carries an item attribute', () => {
    // Keys seen in public code but not in ElevenLabs' docs, with every AnyValue kind and broken ones.
    const attributes = [
      str('elevenlabs.termination_reason', 'end_call tool'),
      { key: 'elevenlabs.session.duration_ms', value: { intValue: '21000' } },
      { key: 'elevenlabs.cost', value: { doubleValue: 0.12 } },
      { key: 'elevenlabs.flag', value: { boolValue: true } },
      { key: 'elevenlabs.list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 7 }] } } },
      { key: 'elevenlabs.map', value: { kvlistValue: { values: [{ key: '__proto__', value: { stringValue: 'x' } }] } } },
      { key: 'elevenlabs.bytes', value: { bytesValue: 'AAEC' } },
      { key: 'elevenlabs.null', value: null },
      { key: 42, value: 'not an AnyValue' },
      null,
      'junk',
    ];
    const call = otelCall(traces([span('elevenlabs.conversation', 0, 21, { attributes, events: [{ name: 'x', attributes }] })]));
    expect(call.attributes).toEqual({ user_turns: 0, agent_turns: 0, tool_calls: 0 });
  });
});

describe('otelCall on the call window (unchanged from the window-only reader)', () => {
  it('rounds the start down and the end up', () => {
    const call = otelCall(traces([{ startTimeUnixNano: '1764000000900000000', endTimeUnixNano: '1764000021500000000' }]));
    expect(call).toMatchObject({ start: T0, end: T0 + 22 });
  });

  it('takes numbers as well as decimal strings, and ignores times that are not times', () => {
    const call = otelCall(
      traces([
        { startTimeUnixNano: 1_764_000_005e9, endTimeUnixNano: 1_764_000_006e9 },
        { startTimeUnixNano: '1e30', endTimeUnixNano: '-5' },
        { startTimeUnixNano: 'soon', endTimeUnixNano: null },
        { startTimeUnixNano: { n: 1 }, endTimeUnixNano: [1] },
        { startTimeUnixNano: Number.NaN, endTimeUnixNano: Infinity },
      ]),
    );
    expect(call).toEqual({ start: T0 + 5, end: T0 + 6, attributes: {} });
  });

  it('has no window when no span has a time', () => {
    expect(otelCall(traces([span('elevenlabs.conversation', 0, 1, { startTimeUnixNano: undefined, endTimeUnixNano: 'x' })]))).toEqual({
      start: undefined,
      end: undefined,
      attributes: { user_turns: 0, agent_turns: 0, tool_calls: 0 },
    });
  });
});

describe('otelCall on hostile input', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'garbage'],
    ['a number', 42],
    ['an array', [{ resourceSpans: [] }]],
    ['resourceSpans not a list', { resourceSpans: { 0: { scopeSpans: [] } } }],
    ['resources of every wrong type', { resourceSpans: [null, 1, 'x', [], { scopeSpans: 'x' }, { scopeSpans: [null, { spans: {} }, { spans: [null, 7, 'span', []] }] }] }],
  ])('answers nothing, without throwing, for %s', (_, input) => {
    expect(otelCall(input)).toEqual({ start: undefined, end: undefined, attributes: {} });
  });

  it('ignores names that are not text', () => {
    const call = otelCall(traces([span('elevenlabs.conversation', 0, 1), span(7, 0, 1), span(['elevenlabs.tool.x'], 0, 1), span({ toString: () => 'elevenlabs.tool.y' }, 0, 1), span(null, 0, 1)]));
    expect(call.attributes).toEqual({ user_turns: 0, agent_turns: 0, tool_calls: 0 });
  });

  it('stores tool names well formed and within the JSON transcription\'s bounds, and says when it cut', () => {
    const cut: string[] = [];
    const call = otelCall(traces([span('elevenlabs.conversation', 0, 1), span('elevenlabs.tool.half\ud800', 0, 1), span(`elevenlabs.tool.${'x'.repeat(513)}`, 0, 1), span(`elevenlabs.tool.${'y'.repeat(64)}`, 0, 1)]), cut);
    expect(call.attributes.tool_calls).toBe(3);
    expect(call.attributes.tools_used).toEqual(new Set(['half\ufffd', 'x'.repeat(64), 'y'.repeat(64)]));
    expect(cut).toEqual(['tools_used']);
  });

  it('trusts no inherited key: a prototype offering spans is not a trace', () => {
    const inherited = Object.create({ resourceSpans: documentedCall().resourceSpans });
    expect(otelCall(inherited)).toEqual({ start: undefined, end: undefined, attributes: {} });
    const scope = Object.create({ spans: [span('elevenlabs.conversation', 0, 1)] });
    expect(otelCall({ resourceSpans: [{ scopeSpans: [scope] }] }).attributes).toEqual({});
    const named = Object.create({ name: 'elevenlabs.conversation', startTimeUnixNano: nanos(T0) });
    expect(otelCall(traces([named]))).toEqual({ start: undefined, end: undefined, attributes: {} });
  });

  it('is not fooled by a polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.resourceSpans = documentedCall().resourceSpans;
    proto.name = 'elevenlabs.conversation';
    try {
      expect(otelCall({})).toEqual({ start: undefined, end: undefined, attributes: {} });
      expect(otelCall(traces([{ startTimeUnixNano: nanos(T0) }])).attributes).toEqual({});
    } finally {
      delete proto.resourceSpans;
      delete proto.name;
    }
  });

  it('takes `__proto__` in a parsed payload for an ordinary key, and sets no prototype', () => {
    const parsed = JSON.parse(`{"__proto__": {"resourceSpans": []}, "resourceSpans": [{"scopeSpans": [{"spans": [{"name": "elevenlabs.conversation", "__proto__": {"name": "elevenlabs.tool.evil"}}]}]}]}`);
    const call = otelCall(parsed);
    expect(call.attributes).toEqual({ user_turns: 0, agent_turns: 0, tool_calls: 0 });
    expect(Object.getPrototypeOf(call.attributes)).toBe(Object.prototype);
  });

  it('answers nothing rather than half, when a forged object throws while read', () => {
    const throwing = { get name(): string { throw new Error('boom'); } };
    expect(otelCall(traces([span('elevenlabs.conversation', 0, 1), throwing]))).toEqual({ start: undefined, end: undefined, attributes: {} });
    const proxy = new Proxy({}, { getOwnPropertyDescriptor: () => { throw new Error('boom'); }, has: () => { throw new Error('boom'); } });
    expect(() => otelCall(proxy)).not.toThrow();
    expect(() => otelCall({ resourceSpans: [proxy] })).not.toThrow();
  });

  it('walks a huge trace once, quickly', () => {
    const spans: unknown[] = [span('elevenlabs.conversation', 0, 3600)];
    for (let i = 0; i < 100_000; i++) {
      spans.push(span(i % 2 ? 'elevenlabs.recv.user_transcript' : 'elevenlabs.recv.agent_response', i / 100, i / 100 + 0.5));
      spans.push(span(`elevenlabs.tool.t${i % 50}`, i / 100, i / 100 + 0.1));
      spans.push(null, 'junk', { name: { deep: { deeper: [] } } });
    }
    const started = performance.now();
    const call = otelCall(traces(spans));
    const elapsedMs = performance.now() - started;
    expect(call.attributes).toMatchObject({ user_turns: 50_000, agent_turns: 50_000, tool_calls: 100_000 });
    expect(call.attributes.tools_used?.size).toBe(50);
    expect(call.end).toBe(T0 + 3600);
    // 500,000 entries in well under a second once warm (about 0.15 s); the bound is loose for a cold,
    // busy runner and still catches anything worse than linear.
    expect(elapsedMs).toBeLessThan(5000);
  });
});
