import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError } from './errors';

/** ElevenLabs' 30-minute window, as its SDKs apply it. */
export const DEFAULT_TOLERANCE_SECONDS = 30 * 60;
/** Clocks drift; a signature from further in the future than this is refused (the SDKs do not check). */
export const DEFAULT_FUTURE_TOLERANCE_SECONDS = 5 * 60;

export interface SignatureHeader {
  /** Unix seconds at which ElevenLabs signed. */
  readonly timestamp: number;
  /** Every `v0` hex digest found (more than one during a secret rotation or a comma-joined duplicate header). */
  readonly signatures: readonly string[];
}

export interface VerifyOptions {
  readonly secret: string;
  /** Unix seconds; a parameter so tests can fix the clock. */
  readonly nowUnixSecs: number;
  readonly toleranceSeconds?: number;
  readonly futureToleranceSeconds?: number;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Splits `t=<unix seconds>,v0=<hex>[,v0=<hex>...]`. Tolerates spaces and the repeated `t` of a
 * duplicated header joined with commas, as long as every `t` agrees.
 * @throws SignatureError `missing` or `malformed`
 */
export function parseSignatureHeader(header: string | undefined): SignatureHeader {
  if (header === undefined || header.trim() === '') {
    throw new SignatureError('missing', 'No ElevenLabs-Signature header: is the webhook configured with an HMAC secret?');
  }
  const timestamps = new Set<string>();
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamps.add(value);
    else if (key === 'v0' && HEX_SHA256.test(value)) signatures.push(value.toLowerCase());
  }
  const [t] = timestamps;
  if (timestamps.size !== 1 || !/^\d{1,12}$/.test(t) || signatures.length === 0) {
    throw new SignatureError('malformed', 'ElevenLabs-Signature must look like t=<unix seconds>,v0=<64 hex digits>.');
  }
  return { timestamp: Number(t), signatures };
}

/**
 * A body exactly as received: bytes, or the text API Gateway hands over for JSON, whose UTF-8
 * encoding is those bytes (kept as text, a multi-megabyte body is not copied twice).
 */
export type RawBody = Buffer | string;

/** The size of a raw body in bytes. */
export function rawBodyBytes(rawBody: RawBody): number {
  return typeof rawBody === 'string' ? Buffer.byteLength(rawBody) : rawBody.length;
}

/** Text is digested this many UTF-16 units at a time, so it is never encoded whole into a copy. */
const TEXT_CHUNK = 64 * 1024;

/** The `v0` digest: HMAC-SHA256 of `<t>.<raw body>` keyed with the secret as UTF-8 text. */
export function computeSignature(secret: string, timestamp: number, rawBody: RawBody): string {
  const hmac = createHmac('sha256', secret).update(`${timestamp}.`);
  if (typeof rawBody !== 'string') return hmac.update(rawBody).digest('hex');
  for (let start = 0; start < rawBody.length; ) {
    let end = Math.min(start + TEXT_CHUNK, rawBody.length);
    // Never between the halves of a surrogate pair: each half alone would encode as U+FFFD.
    const last = rawBody.charCodeAt(end - 1);
    if (end < rawBody.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    hmac.update(rawBody.slice(start, end), 'utf8');
    start = end;
  }
  return hmac.digest('hex');
}

/** A complete header value, for senders and tests. */
export function signPayload(secret: string, rawBody: RawBody, timestamp: number): string {
  return `t=${timestamp},v0=${computeSignature(secret, timestamp, rawBody)}`;
}

/**
 * Refuses a signature dated outside the window: older than `toleranceSeconds`, or further ahead
 * than `futureToleranceSeconds`. Cheap, so it runs before the secret is even read.
 * @throws SignatureError `expired` or `future`
 */
export function checkSignatureTime(header: SignatureHeader, options: Omit<VerifyOptions, 'secret'>): void {
  const age = options.nowUnixSecs - header.timestamp;
  if (age > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    throw new SignatureError('expired', `Signature is ${age} s old: replayed request, or a clock far off?`);
  }
  if (-age > (options.futureToleranceSeconds ?? DEFAULT_FUTURE_TOLERANCE_SECONDS)) {
    throw new SignatureError('future', `Signature is dated ${-age} s in the future: is this machine's clock right?`);
  }
}

/**
 * The body's signature with this secret, when any `v0` of the header is it (constant-time compare).
 * @returns the matching digest (hex), or undefined
 */
export function matchingSignature(secret: string, header: SignatureHeader, rawBody: RawBody): string | undefined {
  const digest = computeSignature(secret, header.timestamp, rawBody);
  const expected = Buffer.from(digest, 'hex');
  return header.signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected)) ? digest : undefined;
}

export const MISMATCH_MESSAGE = 'Signature does not match: is the stored secret the one ElevenLabs shows, and is the raw body passed unchanged?';

/**
 * Checks that `rawBody` (the exact bytes received, never re-serialized JSON) was signed with the
 * secret within the time window.
 * @returns the signing time in unix seconds
 * @throws SignatureError `missing`, `malformed`, `expired`, `future` or `mismatch`
 */
export function verifySignature(header: string | undefined, rawBody: RawBody, options: VerifyOptions): number {
  const parsed = parseSignatureHeader(header);
  checkSignatureTime(parsed, options);
  if (matchingSignature(options.secret, parsed, rawBody) === undefined) throw new SignatureError('mismatch', MISMATCH_MESSAGE);
  return parsed.timestamp;
}
