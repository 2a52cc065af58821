import { rawCallFolder, rawEventKey } from '../lambda/object-keys';

describe('rawEventKey', () => {
  const signature = 'ab'.repeat(32);
  const signedAt = 1767225600; // 2026-01-01

  it('files a body under its call and type, by signing time and an id derived from the signature', () => {
    const key = rawEventKey(signedAt, signature, { type: 'post_call_audio', data: { conversation_id: 'conv_1' } });
    expect(key).toMatch(/^raw\/calls\/conv_1\/post_call_audio\/1767225600-[0-9a-f]{32}\.json$/);
    expect(key.startsWith(rawCallFolder('conv_1', 'post_call_audio'))).toBe(true);
    // The same request again lands on the same key; the signature itself is not in it.
    expect(rawEventKey(signedAt, signature, { type: 'post_call_audio', data: { conversation_id: 'conv_1' } })).toBe(key);
    expect(key).not.toContain(signature);
    expect(rawEventKey(signedAt, 'cd'.repeat(32), { type: 'post_call_audio', data: { conversation_id: 'conv_1' } })).not.toBe(key);
  });

  it.each([
    ['not JSON', undefined],
    ['no data', { type: 'post_call_audio' }],
    ['a numeric conversation id', { type: 'x', data: { conversation_id: 12 } }],
    ['an empty conversation id', { type: 'x', data: { conversation_id: '' } }],
    ['half a surrogate pair in the id', { type: 'x', data: { conversation_id: 'conv_\ud83d' } }],
    ['an id too long for a key', { type: 'x', data: { conversation_id: 'c'.repeat(513) } }],
  ])('files a body with %s by day, attributed to no call', (_name, json) => {
    expect(rawEventKey(signedAt, signature, json)).toMatch(/^raw\/unattributed\/2026\/01\/01\/1767225600-[0-9a-f]{32}\.json$/);
  });

  it('keeps ids in one path segment and reads an odd type as unknown', () => {
    expect(rawEventKey(signedAt, signature, { type: 'a/b', data: { conversation_id: '../x/y' } })).toMatch(/^raw\/calls\/\.\.%2Fx%2Fy\/a%2Fb\//);
    expect(rawEventKey(signedAt, signature, { type: 7, data: { conversation_id: 'conv_2' } })).toMatch(/^raw\/calls\/conv_2\/unknown\//);
    expect(rawEventKey(signedAt, signature, { type: '.', data: { conversation_id: '..' } })).toMatch(/^raw\/calls\/%2E%2E\/%2E\//);
  });
});
