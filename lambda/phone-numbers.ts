/*
 * Phone numbers in one form. ElevenLabs sends E.164 numbers with their `+` in most places, but some
 * as bare digits (a WhatsApp user id, SIP numbers the docs type as JSON numbers): a number stored
 * two ways would be two people to `--number` and the `by_number` index.
 */

/**
 * E.164 allows at most 15 digits and no leading 0 (a country code never starts with one); fewer
 * than 8 is a short code or an extension. A national number (`07700 900734`) is not full either.
 */
const BARE_NUMBER = /^[1-9]\d{7,14}$/;
const FULL_NUMBER = /^\+?([1-9]\d{7,14})$/;
/** What people type between digits: spaces, dashes, dots, brackets. */
const SEPARATORS = /[\s\-.()]/g;

/** Index keys are capped at 2048 bytes by DynamoDB; no number is anywhere near this. */
const MAX_NUMBER_CHARS = 512;

/**
 * A number as stored: 8 to 15 digits not starting with 0 (text or a JSON integer) get their `+`;
 * any other text (`+1...` already, extensions, short codes, national numbers, SIP URIs) is kept as
 * sent, without surrounding spaces; anything else is undefined.
 */
export function normalizedNumber(value: unknown): string | undefined {
  const text = typeof value === 'number' ? (Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || text === '' || text.length > MAX_NUMBER_CHARS) return undefined;
  return BARE_NUMBER.test(text) ? `+${text}` : text;
}

/**
 * Every form a number may be stored under: with and without `+` for a full number, however typed
 * (`+1 415 555-0100`; items stored before numbers were normalized lack the `+`), otherwise just as
 * given.
 */
export function storedNumberForms(input: string): string[] {
  const digits = FULL_NUMBER.exec(input.replace(SEPARATORS, ''))?.[1];
  return digits === undefined ? [input] : [`+${digits}`, digits];
}
