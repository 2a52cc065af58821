import { SignatureError } from '../lambda/errors';
import { computeSignature, parseSignatureHeader, signPayload, verifySignature } from '../lambda/signature';
import { TEST_SECRET } from './support/webhooks';

// The known-answer vector from ElevenLabs' facts: a bug in sign cannot hide a bug in verify.
const VECTOR_BODY = '{"type":"post_call_transcription","event_timestamp":1739537297,"data":{"agent_id":"xyz","conversation_id":"abc"}}';
const VECTOR_T = 1739537297;
const VECTOR_V0 = '6a5d31dd3fd46a0d80c0667c2e711fb998843c37923540dabf6d0be42fc87899';
const body = Buffer.from(VECTOR_BODY);
const at = (now: number) => ({ secret: TEST_SECRET, nowUnixSecs: now });

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return (error as SignatureError).reason;
  }
  return undefined;
}

describe('signature', () => {
  it('computes the shared test vector, from bytes and from text alike', () => {
    expect(computeSignature(TEST_SECRET, VECTOR_T, body)).toBe(VECTOR_V0);
    expect(computeSignature(TEST_SECRET, VECTOR_T, VECTOR_BODY)).toBe(VECTOR_V0);
  });

  it('digests long text in pieces exactly as its UTF-8 bytes, whatever falls on a piece boundary', () => {
    const boundary = 64 * 1024;
    const around = (middle: string) => 'a'.repeat(boundary - 1) + middle + 'b'.repeat(boundary + 7);
    // A pair split by the boundary, a lone high or low surrogate on it, multi-byte characters across it.
    for (const text of [around('\ud83d\ude00'), around('\ud83d'), around('\ude00x'), around('é€😀'), 'x'.repeat(3 * boundary), '']) {
      expect(computeSignature(TEST_SECRET, VECTOR_T, text)).toBe(computeSignature(TEST_SECRET, VECTOR_T, Buffer.from(text)));
    }
  });

  it('accepts the test vector header within the window and returns its time', () => {
    expect(verifySignature(`t=${VECTOR_T},v0=${VECTOR_V0}`, body, at(VECTOR_T + 60))).toBe(VECTOR_T);
  });

  it('accepts spaces, upper-case hex and a rotated second v0', () => {
    const header = ` t=${VECTOR_T} , v0=${'0'.repeat(64)}, v0=${VECTOR_V0.toUpperCase()} `;
    expect(verifySignature(header, body, at(VECTOR_T))).toBe(VECTOR_T);
  });

  it('accepts a duplicated header joined with a comma, as API Gateway delivers it', () => {
    const one = `t=${VECTOR_T},v0=${VECTOR_V0}`;
    expect(verifySignature(`${one},${one}`, body, at(VECTOR_T))).toBe(VECTOR_T);
  });

  it('rejects a tampered body', () => {
    const tampered = Buffer.from(VECTOR_BODY.replace('abc', 'abd'));
    expect(reasonOf(() => verifySignature(`t=${VECTOR_T},v0=${VECTOR_V0}`, tampered, at(VECTOR_T)))).toBe('mismatch');
  });

  it('rejects a changed timestamp, which is part of what is signed', () => {
    expect(reasonOf(() => verifySignature(`t=${VECTOR_T + 1},v0=${VECTOR_V0}`, body, at(VECTOR_T)))).toBe('mismatch');
  });

  it('rejects another secret', () => {
    const header = signPayload('wsec_other', body, VECTOR_T);
    expect(reasonOf(() => verifySignature(header, body, at(VECTOR_T)))).toBe('mismatch');
  });

  it('rejects a signature older than 30 minutes by default', () => {
    const header = `t=${VECTOR_T},v0=${VECTOR_V0}`;
    expect(verifySignature(header, body, at(VECTOR_T + 30 * 60))).toBe(VECTOR_T);
    expect(reasonOf(() => verifySignature(header, body, at(VECTOR_T + 30 * 60 + 1)))).toBe('expired');
  });

  it('rejects a signature more than 5 minutes in the future by default', () => {
    const header = `t=${VECTOR_T},v0=${VECTOR_V0}`;
    expect(verifySignature(header, body, at(VECTOR_T - 5 * 60))).toBe(VECTOR_T);
    expect(reasonOf(() => verifySignature(header, body, at(VECTOR_T - 5 * 60 - 1)))).toBe('future');
  });

  it('honours a configured window', () => {
    const header = `t=${VECTOR_T},v0=${VECTOR_V0}`;
    expect(reasonOf(() => verifySignature(header, body, { ...at(VECTOR_T + 61), toleranceSeconds: 60 }))).toBe('expired');
    expect(reasonOf(() => verifySignature(header, body, { ...at(VECTOR_T - 11), futureToleranceSeconds: 10 }))).toBe('future');
  });

  it.each([
    ['absent', 'missing', undefined],
    ['empty', 'missing', '  '],
    ['without t', 'malformed', `v0=${VECTOR_V0}`],
    ['without v0', 'malformed', `t=${VECTOR_T}`],
    ['with a short digest', 'malformed', `t=${VECTOR_T},v0=abc123`],
    ['with a non-numeric t', 'malformed', `t=yesterday,v0=${VECTOR_V0}`],
    ['with two different t', 'malformed', `t=${VECTOR_T},v0=${VECTOR_V0},t=${VECTOR_T + 1}`],
    ['with only v1', 'malformed', `t=${VECTOR_T},v1=${VECTOR_V0}`],
    ['as garbage', 'malformed', 'Bearer token'],
  ])('rejects a header %s as %s', (_label, reason, header) => {
    expect(reasonOf(() => verifySignature(header, body, at(VECTOR_T)))).toBe(reason);
  });

  it('parses the timestamp and every v0, lower-cased', () => {
    expect(parseSignatureHeader(`t=5,v0=${'A'.repeat(64)}`)).toEqual({ timestamp: 5, signatures: ['a'.repeat(64)] });
  });
});
