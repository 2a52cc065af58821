/* Stored text an attacker could plant (a caller, an LLM-written title), and what must never reach a terminal. */

/** Colours, an OSC 8 link, an OSC 0 window title, a C1 CSI (\x9b), a right-to-left override, zero-width characters. */
export const HOSTILE = 'a\x1b[31mred\x1b[0m \x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ \x1b]0;pwned\x07 \x9b2J \u202eevil\u202c zero\u200bwidth\ufeff\u2066iso\u2069 soft\u00adhyphen tag\u{e0041}\u{e007f} op\u2062 mongol\u180e annot\ufff9x\ufffb';

/** Anything but printable text and the line breaks a layout puts between lines. */
export const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\p{Cf}]/u;

/** Terminal columns of text made of ASCII, CJK ideographs and kana, and emoji (counted here without the code under test). */
export function columnsOf(line: string): number {
  return [...line].reduce((sum, c) => sum + (/[\u3040-\u30ff\u4e00-\u9fff\u{1f300}-\u{1faff}]/u.test(c) ? 2 : 1), 0);
}
