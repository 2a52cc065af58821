import { columnWidth, escapeUnprintableJson, fitColumns, padColumns, terminalText } from '../lib/terminal-text';
import { HOSTILE, UNPRINTABLE } from './support/hostile-text';


describe('terminalText', () => {
  it('removes C0 and C1 controls, bidirectional controls and zero-width characters, keeping the printable rest', () => {
    expect(terminalText(HOSTILE)).toBe('a[31mred[0m ]8;;https://evil.example/\\link]8;;\\ ]0;pwned 2J evil zerowidthiso softhyphen tag op mongol annotx');
  });

  it('removes every bidirectional mark, override and isolate, and every zero-width character listed', () => {
    const invisible = '\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff\x7f\x9f';
    expect(terminalText(`x${invisible}y`)).toBe('xy');
  });

  it('puts a value with line breaks and tabs on one line', () => {
    expect(terminalText('one\r\ntwo\n\nthree\tfour\u2028five\rsix\x85seven')).toBe('one two three four five six seven');
  });

  it('keeps line breaks (as \\n only) when asked, still removing controls', () => {
    expect(terminalText('one\r\ntwo\x1b[2J\rthree\tfour', 'keep')).toBe('one\ntwo[2J\nthree four');
  });

  it('writes objects as JSON and nothing for undefined or null', () => {
    expect([terminalText({ a: ['\x1b'] }), terminalText(new Set(['x'])), terminalText(3), terminalText(undefined), terminalText(null)]).toEqual(['{"a":["\\u001b"]}', '["x"]', '3', '', '']);
  });
});

describe('escapeUnprintableJson', () => {
  it('escapes what JSON.stringify leaves raw, and parses back to the same value', () => {
    const value = { t: HOSTILE, s: 'line\u2028sep' };
    const json = escapeUnprintableJson(JSON.stringify(value));
    expect(json).not.toMatch(UNPRINTABLE);
    expect(json).toContain('\\u009b2J');
    expect(json).toContain('\\u202eevil');
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe('terminal columns', () => {
  it('counts East Asian wide characters and emoji as two columns and combining marks as none', () => {
    expect([columnWidth('abc'), columnWidth('長い'), columnWidth('😀'), columnWidth('e\u0301')]).toEqual([3, 4, 2, 1]);
  });

  it('cuts to a width with an ellipsis, never splitting a character, and pads to it', () => {
    expect(fitColumns('abcdef', 4)).toBe('abc…');
    expect(fitColumns('長い長い', 4)).toBe('長…');
    expect(fitColumns('😀😀😀', 4)).toBe('😀…');
    expect(fitColumns('abcd', 4)).toBe('abcd');
    expect(padColumns('長', 4)).toBe('長  ');
  });
});
