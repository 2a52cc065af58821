import fc from 'fast-check';
import { decodeAudioBase64 } from '../lambda/audio-base64';
import { PayloadError } from '../lambda/errors';

const MP3 = Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000\u00ff\u00fb\u0090\u0064 frames of a recording', 'latin1');

describe('decodeAudioBase64', () => {
  it.each([
    ['standard base64', MP3.toString('base64')],
    ['base64 without padding', MP3.toString('base64').replace(/=+$/, '')],
    ['base64url', MP3.toString('base64url')],
    ['base64 in 76-character lines (MIME)', MP3.toString('base64').replace(/(.{76})/g, '$1\r\n')],
    ['base64 with spaces and a final newline', `${MP3.toString('base64').replace(/(.{8})/g, '$1 ')}\n`],
    ['a data URI', `data:audio/mpeg;base64,${MP3.toString('base64')}`],
  ])('decodes %s to the same bytes', (_name, text) => {
    expect(decodeAudioBase64(text).equals(MP3)).toBe(true);
  });

  it.each([
    ['the docs placeholder', 'base64-encoded-audio-data...'],
    ['a placeholder in angle brackets', '<base64_encoded_audio>'],
    ['text with a non-ASCII character', `${MP3.toString('base64').slice(0, 8)}é${MP3.toString('base64').slice(8)}`],
    ['padding in the middle', `${Buffer.from('ab').toString('base64')}${MP3.toString('base64')}`],
    ['a truncated final group of one character', `${Buffer.alloc(6, 7).toString('base64')}A`],
    ['nothing but padding', '=='],
  ])('refuses %s with a PayloadError', (_name, text) => {
    expect(() => decodeAudioBase64(text)).toThrow(PayloadError);
  });

  it('decodes whatever Node encodes, however it is wrapped, and refuses any character outside the alphabets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean(), fc.boolean(), fc.nat(80), (bytes, url, pad, width) => {
        const buffer = Buffer.from(bytes);
        let text = buffer.toString(url ? 'base64url' : 'base64');
        if (!pad) text = text.replace(/=+$/, '');
        if (width > 3) text = text.replace(new RegExp(`(.{${width}})`, 'g'), '$1\n');
        expect(decodeAudioBase64(text).equals(buffer)).toBe(true);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 3, maxLength: 300 }), fc.nat(), fc.constantFrom('!', '.', '*', '#', '<', '>', '"', 'é', '\u0000', '%', '&'), (bytes, at, bad) => {
        const text = Buffer.from(bytes).toString('base64');
        const i = at % text.length;
        expect(() => decodeAudioBase64(text.slice(0, i) + bad + text.slice(i))).toThrow(PayloadError);
      }),
      { numRuns: 500 },
    );
  });
});
