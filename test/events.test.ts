import { PayloadError } from '../lambda/errors';
import { parseEvent } from '../lambda/events';
import { exampleNames, loadExample } from './support/webhooks';

/** Signed after every example's event, as ElevenLabs signs after the event. */
const SIGNED_AT = 1_800_000_000;
const parse = (body: unknown, signedAt = SIGNED_AT) => parseEvent(typeof body === 'string' ? body : JSON.stringify(body), signedAt);

function payloadErrorOf(fn: () => unknown): PayloadError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return error as PayloadError;
  }
  throw new Error('expected a PayloadError');
}

describe('parseEvent', () => {
  it.each(exampleNames())('parses the %s example with its type and ids', (name) => {
    const example = loadExample(name);
    const event = parse(example);
    expect(event.type).toBe(example.type);
    expect(event.eventTimestamp).toBe(example.event_timestamp);
    if (event.type === 'unknown') throw new Error('example parsed as unknown');
    expect(event.data.conversation_id).toBe(example.data.conversation_id);
    expect(event.data.agent_id).toBe(example.data.agent_id);
  });

  it('accepts event_timestamp and start time as numeric strings or ISO dates', () => {
    const example = loadExample('post_call_transcription');
    example.event_timestamp = '1739537297';
    example.data.metadata.start_time_unix_secs = '2025-02-14T12:48:17Z';
    example.data.metadata.call_duration_secs = '22';
    const event = parse(example);
    if (event.type !== 'post_call_transcription') throw new Error(event.type);
    expect(event.eventTimestamp).toBe(1739537297);
    expect(event.data.metadata?.start_time_unix_secs).toBe(1739537297);
    expect(event.data.metadata?.call_duration_secs).toBe(22);
  });

  it('recognises millisecond timestamps', () => {
    const example = loadExample('post_call_transcription');
    example.event_timestamp = 1739537297123;
    example.data.metadata.start_time_unix_secs = '1739537297000';
    const event = parse(example);
    if (event.type !== 'post_call_transcription') throw new Error(event.type);
    expect(event.eventTimestamp).toBe(1739537297);
    expect(event.data.metadata?.start_time_unix_secs).toBe(1739537297);
  });

  it('falls back to the signature time when event_timestamp is beyond any date', () => {
    expect(parse({ type: 'post_call_audio', event_timestamp: 9e18, data: { conversation_id: 'c', full_audio: 'AAAA' } }, 42).eventTimestamp).toBe(42);
  });

  it('never dates an event later than its signature allows, so one signed event cannot freeze its call', () => {
    const audio = (event_timestamp: number) => ({ type: 'post_call_audio', event_timestamp, data: { conversation_id: 'c', full_audio: 'AAAA' } });
    // Year 5138, as a signed body can claim: ordered as if sent at the signing time plus the clock allowance.
    expect(parse(audio(99_999_999_999), SIGNED_AT).eventTimestamp).toBe(SIGNED_AT + 300);
    expect(parseEvent(JSON.stringify(audio(SIGNED_AT + 3600)), SIGNED_AT, 60).eventTimestamp).toBe(SIGNED_AT + 60);
    // Within the allowance, and any time before, the event's own time stands.
    expect(parse(audio(SIGNED_AT + 120), SIGNED_AT).eventTimestamp).toBe(SIGNED_AT + 120);
    expect(parse(audio(SIGNED_AT - 86_400), SIGNED_AT).eventTimestamp).toBe(SIGNED_AT - 86_400);
  });

  it('falls back to the signature time when event_timestamp is missing or null', () => {
    expect(parse({ type: 'post_call_audio', data: { conversation_id: 'c', full_audio: 'AAAA' } }, 42).eventTimestamp).toBe(42);
    expect(parse({ type: 'post_call_audio', event_timestamp: null, data: { conversation_id: 'c', full_audio: 'AAAA' } }, 42).eventTimestamp).toBe(42);
  });

  it('reads optional fields of the wrong type as absent instead of losing the call', () => {
    const example = loadExample('post_call_transcription.phone');
    example.data.metadata.cost = { credits: 3 };
    example.data.metadata.phone_call = 'inbound';
    example.data.analysis.data_collection_results = [1, 2];
    example.data.agent_name = 17;
    example.data.transcript = null;
    const event = parse(example);
    if (event.type !== 'post_call_transcription') throw new Error(event.type);
    expect(event.data.metadata?.cost).toBeUndefined();
    expect(event.data.metadata?.phone_call).toBeUndefined();
    expect(event.data.analysis?.data_collection_results).toBeUndefined();
    expect(event.data.agent_name).toBeUndefined();
    expect(event.data.metadata?.call_duration_secs).toBe(21);
  });

  it('tolerates a transcription whose metadata, analysis and client data are null', () => {
    const event = parse({ type: 'post_call_transcription', event_timestamp: 1, data: { conversation_id: 'c', agent_id: 'a', metadata: null, analysis: null, conversation_initiation_client_data: null } });
    expect(event.type).toBe('post_call_transcription');
  });

  it('returns an unknown type as unknown, keeping its name', () => {
    expect(parse({ type: 'post_call_summary_v2', event_timestamp: 7, data: { anything: true } })).toEqual({ type: 'unknown', originalType: 'post_call_summary_v2', eventTimestamp: 7 });
  });

  it('does not treat inherited property names as known types', () => {
    expect(parse({ type: 'constructor', data: {} }).type).toBe('unknown');
  });

  it.each([
    ['not JSON', '{"type": "post_call_audio",', /not valid JSON/],
    ['a JSON array', '[1,2]', /envelope/],
    ['an envelope without type', { data: {} }, /envelope/],
    ['a transcription without conversation_id', { type: 'post_call_transcription', data: { agent_id: 'a' } }, /conversation_id/],
    ['an audio event without audio', { type: 'post_call_audio', data: { conversation_id: 'c' } }, /full_audio/],
    ['a failure with an empty conversation_id', { type: 'call_initiation_failure', data: { conversation_id: '' } }, /conversation_id/],
    ['an id too long for a DynamoDB key', { type: 'call_initiation_failure', data: { conversation_id: 'x'.repeat(513) } }, /conversation_id/],
    ['an id with half a surrogate pair (no UTF-8 key or S3 key holds it)', { type: 'post_call_audio', data: { conversation_id: 'conv_\ud83d', full_audio: 'SUQz' } }, /conversation_id/],
  ])('rejects %s with a PayloadError', (_label, body, message) => {
    expect(payloadErrorOf(() => parse(body)).message).toMatch(message);
  });

  it('never echoes payload content in its error message', () => {
    const error = payloadErrorOf(() => parse({ type: 'post_call_transcription', data: { conversation_id: 12345, agent_id: 'secret-agent-name' } }));
    expect(error.message).not.toMatch(/12345|secret-agent-name/);
  });
});
