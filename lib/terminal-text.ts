/*
 * Stored text on a terminal. A title, a transcript turn or a collected value comes from a caller
 * or an LLM: printed raw, an ESC or C1 sequence in it could recolour the terminal, set its window
 * title or plant an OSC 8 link, and bidirectional overrides or zero-width characters could make
 * text read differently from what it is. The command-line tools print stored text only through
 * terminalText; --json escapes the same characters instead (see toJson).
 */

/** Line breaks and tabs: a space where a value must stay on one line. */
const LINE_BREAKS = /(?:\r\n|[\n\r\t\v\f\u0085\u2028\u2029])+/g;

/**
 * Everything but printable text: C0 and C1 controls and DEL, and every format character (Unicode's
 * Cf: bidirectional marks, embeddings, overrides and isolates, zero-width characters, the soft
 * hyphen, invisible operators, tag characters, interlinear annotation marks).
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\p{Cf}]/gu;

/**
 * A value as printable text: control, bidirectional and zero-width characters removed, and line
 * breaks and tabs turned into one space. `lineBreaks: 'keep'` keeps each line break as `\n`, for
 * text already laid out in lines. Objects are written as JSON (sets as arrays), undefined and null
 * as nothing. The leftovers of an escape sequence (`[31m`) stay visible, and harmless: cutting out
 * whole sequences would need their grammar, and an unterminated one would swallow the text after it.
 */
export function terminalText(value: unknown, lineBreaks: 'space' | 'keep' = 'space'): string {
  const text =
    value === undefined || value === null ? ''
    : typeof value === 'string' ? value
    : typeof value === 'object' ? JSON.stringify(value, (_key, v) => (v instanceof Set ? [...v] : v))
    : String(value);
  if (lineBreaks === 'space') return text.replace(LINE_BREAKS, ' ').replace(UNPRINTABLE, '');
  return text.split(/\r\n|[\n\r\u0085\u2028\u2029]/).map((line) => line.replace(/[\t\v\f]/g, ' ').replace(UNPRINTABLE, '')).join('\n');
}

/**
 * JSON text with every character terminalText removes (and U+2028, U+2029) written as a `\uXXXX`
 * escape, so printing it cannot drive a terminal while parsing it gives back the same values.
 * JSON.stringify escapes C0 controls itself; outside strings JSON holds only ASCII punctuation.
 */
export function escapeUnprintableJson(json: string): string {
  // Each UTF-16 unit escaped on its own: a tag character (U+E0000 on) is a surrogate pair.
  const escape = (c: string) => c.split('').map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  return json.replace(/[\u007f-\u009f\u2028\u2029\p{Cf}]/gu, escape);
}

/** Characters a terminal draws two columns wide: East Asian wide and full-width forms, emoji. */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]|\p{Emoji_Presentation}/u;
/** Characters drawn over the one before: combining marks (and format characters, already removed). */
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}]/u;

function charColumns(char: string): number {
  return ZERO_WIDTH.test(char) ? 0 : WIDE.test(char) ? 2 : 1;
}

/** How many terminal columns printable text takes (wcwidth's rules, for the common scripts). */
export function columnWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charColumns(char);
  return width;
}

/** Text cut to at most `width` columns, ending in `…` when cut; never splits a character. */
export function fitColumns(text: string, width: number): string {
  if (columnWidth(text) <= width) return text;
  let fitted = '';
  let used = 0;
  for (const char of text) {
    const columns = charColumns(char);
    if (used + columns > width - 1) break;
    fitted += char;
    used += columns;
  }
  return `${fitted}…`;
}

/** Text cut or padded with spaces to exactly `width` columns. */
export function padColumns(text: string, width: number): string {
  const fitted = fitColumns(text, width);
  return fitted + ' '.repeat(Math.max(0, width - columnWidth(fitted)));
}
