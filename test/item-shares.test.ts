import fc from 'fast-check';
import { EVENT_TIMESTAMP_ATTRIBUTE, STORE_ERROR_ATTRIBUTE, storeErrorDetailAttribute } from '../lambda/call-item';
import { BOOKKEEPING_BYTES, fitToShare, SHARED_ATTRIBUTES, SHARED_BYTES, SHARED_TEXT_MAX_CHARS, sharesFit, splitShared } from '../lambda/item-shares';
import { attributeBytes, attributesBytes, DYNAMODB_ITEM_LIMIT_BYTES, surelyFits } from '../lambda/item-size';
import { ITEM_SHARES, TRANSCRIPTION_SHARE } from '../lambda/event-shares';
import { compact, type Attributes } from '../lambda/storable';

/** A character that takes 3 bytes of UTF-8: the worst case per UTF-16 unit. */
const WIDE = '€';

describe('the shares of the 400 KB item', () => {
  it('add up, with the identity and the bookkeeping, to less than DynamoDB\'s limit', () => {
    expect(sharesFit(ITEM_SHARES)).toBe(true);
    expect(sharesFit([...ITEM_SHARES, { ...TRANSCRIPTION_SHARE, bytes: DYNAMODB_ITEM_LIMIT_BYTES }])).toBe(false);
  });

  it('hold every identity attribute at its cap within the identity share', () => {
    const widest = Object.fromEntries(SHARED_ATTRIBUTES.map((name) => [name, WIDE.repeat(SHARED_TEXT_MAX_CHARS)]));
    expect(attributesBytes(widest)).toBeLessThanOrEqual(SHARED_BYTES);
    // Text past the cap is cut, and said so.
    const cut: string[] = [];
    const { shared } = splitShared({ call_sid: 'x'.repeat(100_000), agent_id: 'a' }, cut);
    expect([(shared.call_sid as string).length, cut]).toEqual([SHARED_TEXT_MAX_CHARS, ['call_sid']]);
  });

  it('hold the storage layer\'s own attributes, at their largest, within the bookkeeping share', () => {
    const kinds = Object.keys(EVENT_TIMESTAMP_ATTRIBUTE);
    const webhookTypes = ['post_call_transcription', 'post_call_audio', 'call_initiation_failure', 'post_call_transcription_otel'] as const;
    const now = new Date().toISOString();
    const bookkeeping: Attributes = {
      conversation_id: WIDE.repeat(512),
      updated_at: now,
      expires_at: 9_999_999_999,
      transcript_deleted_at: now,
      audio_deleted_at: now,
      audio_fetch_status: 'deleted',
      ...Object.fromEntries([...new Set(Object.values(EVENT_TIMESTAMP_ATTRIBUTE))].map((name) => [name, 9_999_999_999])),
      // Sets are counted as lists here, a little more than DynamoDB counts them.
      events_received: kinds,
      [STORE_ERROR_ATTRIBUTE]: [...webhookTypes],
      ...Object.fromEntries(webhookTypes.map((type) => [storeErrorDetailAttribute(type), { error: 'x'.repeat(200), event_timestamp: 9_999_999_999, raw_s3_key: 'k'.repeat(1024), at: now }])),
    };
    expect(attributesBytes(bookkeeping)).toBeLessThanOrEqual(BOOKKEEPING_BYTES);
  });
});

describe('fitToShare', () => {
  const text = fc.oneof(fc.string({ maxLength: 50 }), fc.string({ unit: fc.constantFrom('a', WIDE, '😀'), minLength: 1_000, maxLength: 60_000 }));
  const leaf = fc.oneof(text, fc.double(), fc.boolean(), fc.constant(null));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 30 }), fc.dictionary(fc.string({ maxLength: 20 }), tie('value'), { maxKeys: 30 })),
  }));
  const names = fc.constantFrom('dynamic_variables', 'data_collection', 'evaluation', 'evaluation_scores', 'feedback', 'transcript_summary', 'termination_reason', 'cost', 'main_language', 'agent_name', 'extra_map', 'other');

  it('always brings a writer\'s own attributes within its share, whatever they hold', () => {
    fc.assert(
      fc.property(fc.dictionary(names, value, { minKeys: 1, maxKeys: 12 }), fc.constantFrom(...ITEM_SHARES), (raw, share) => {
        const cut: string[] = [];
        const fitted = fitToShare(compact(raw), share, cut);
        const withList = cut.length ? { ...fitted, [share.truncatedAttribute]: [...new Set(cut)] } : fitted;
        expect(attributesBytes(withList)).toBeLessThanOrEqual(share.bytes);
      }),
      { numRuns: 150, endOnFailure: true },
    );
  });

  it('leaves what fits as it is, and never says "fits" from string lengths when it does not', () => {
    fc.assert(
      fc.property(fc.dictionary(names, value, { minKeys: 1, maxKeys: 8 }), (raw) => {
        const attributes = compact(raw);
        const size = attributesBytes(attributes);
        // The cheap bound may only say "fits" when the exact size does.
        expect(surelyFits(attributes, size - 1)).toBe(false);
        const share = { ...TRANSCRIPTION_SHARE, bytes: size + 1024 };
        expect(fitToShare(attributes, share, [])).toBe(attributes);
        for (const name of Object.keys(attributes)) expect(attributeBytes(name, attributes[name])).toBeLessThanOrEqual(size);
      }),
      { numRuns: 150, endOnFailure: true },
    );
  });

  it('never leaves out what the share keeps, even when everything else must go', () => {
    // A share so small that the last pass, by size over scalars, is reached.
    // 1024 bytes are kept for the list of what was cut: 30 left, room for one number.
    const share = { bytes: 1024 + 30, owned: [], droppable: ['a'], kept: ['count'], truncatedAttribute: 'cut' };
    const attributes = compact({ a: 'x'.repeat(100), b: { c: 'y'.repeat(50) }, d: 'z'.repeat(50), e: 7, count: 3 });
    const cut: string[] = [];
    const fitted = fitToShare(attributes, share, cut);
    expect(fitted).toEqual({ count: 3 });
    expect(cut).toEqual(['a', 'b', 'd', 'e']);
  });

  it('counts a string set by its elements', () => {
    expect(attributeBytes('s', new Set(['ab', 'c']))).toBe(1 + 3 + (1 + 2) + (1 + 1));
  });
});
