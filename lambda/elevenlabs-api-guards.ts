import { pipeline, type Readable, Transform } from 'node:stream';
import { ConfigurationError } from './errors';

/*
 * What keeps the ElevenLabs API client safe against a wrong address or a misbehaving answer: the
 * key goes only to a checked base URL, a redirect is named by its origin alone, bodies are read
 * within a bound, and a stalled download ends. The client decides what each refusal means.
 */

/** Error answers carry a short code: a longer body is not worth reading. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Plain http is allowed only here (tests and local fakes); the URL parser has already turned `127.1` into `127.0.0.1`. */
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/** https, or plain http to this machine (tests and local fakes). */
const secureOrLoopback = (url: URL) => url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname));

/** Where the base URL and the key are set, for the fix an error suggests. */
export interface BaseUrlSettings {
  readonly baseUrl: string;
  readonly apiKey: string;
}

/** The environment variables the Lambda functions, `npm start` and the commands read. */
const ENVIRONMENT_SETTINGS: BaseUrlSettings = { baseUrl: 'ELEVENLABS_API_BASE_URL', apiKey: 'ELEVENLABS_API_KEY' };

/**
 * The base URL without its trailing slashes, once it is safe to send the key to: https, or http to
 * a loopback address. Never quotes the value: a slip of the hand could have put the key there.
 * Exported so a deployment can check it before the first request does; `settings` names what the
 * error tells the user to fix: the construct's props at synth, the environment variables otherwise.
 * @throws ConfigurationError `environment` saying what is wrong
 */
export function checkedBaseUrl(value: string, settings: BaseUrlSettings = ENVIRONMENT_SETTINGS): string {
  const fix = `set ${settings.baseUrl} to https://api.elevenlabs.io or your data-residency address`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError('environment', `The ElevenLabs API base URL is not a URL: ${fix}.`);
  }
  if (!secureOrLoopback(url)) {
    throw new ConfigurationError('environment', `The ElevenLabs API base URL must use https, so the API key never travels in the clear (plain http only to localhost, 127.0.0.0/8 or ::1, for tests): ${fix}.`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigurationError('environment', `The ElevenLabs API base URL must not carry a user name, password, query or fragment (the key goes in ${settings.apiKey}): ${fix}.`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** ` to https://elsewhere.example`: where a redirect points, as an origin only (its path or query could carry a token). */
export function redirectTarget(response: Response, from: string): string {
  const location = response.headers.get('location');
  if (!location) return '';
  try {
    const { origin } = new URL(location, from);
    return origin === 'null' ? '' : ` to ${origin}`;
  } catch {
    return '';
  }
}

/**
 * Where a redirect may be followed without the API key (a recording served from signed storage):
 * an https URL, or http to a loopback address as for the base URL; undefined otherwise.
 */
export function keylessLocation(response: Response, from: string): string | undefined {
  const location = response.headers.get('location');
  if (!location) return undefined;
  try {
    const url = new URL(location, from);
    return secureOrLoopback(url) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Drops an unread body, so its connection is freed rather than held until it is collected. */
export async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/**
 * The body, read as a stream and abandoned (the rest cancelled) as soon as it passes `maxBytes`,
 * whether or not it announced its length; undefined when it is larger.
 */
export async function readAtMost(response: Response, maxBytes: number): Promise<Uint8Array | undefined> {
  // A compressed answer's content-length counts compressed bytes: only the count of what is read can judge it.
  const announced = response.headers.get('content-encoding') ? NaN : Number(response.headers.get('content-length'));
  if (announced > maxBytes) {
    await discardBody(response);
    return undefined;
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  for (let total = 0; ; ) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, total);
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
}

const utf8 = new TextDecoder();

/** ElevenLabs' short error code as `, code` (`invalid_api_key`, `conversation_not_found`), never free text that could echo input; '' when none. */
export async function errorCode(response: Response): Promise<string> {
  let code: unknown;
  try {
    const bytes = await readAtMost(response, MAX_ERROR_BODY_BYTES);
    code = bytes && (JSON.parse(utf8.decode(bytes)) as { detail?: { status?: unknown } } | null)?.detail?.status;
  } catch {
    // No readable code: the status alone says enough.
  }
  return typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? `, ${code}` : '';
}

/**
 * Ends the stream with `idleError()` when no byte has come for `idleMs`: a stalled download
 * must not hold the function until it times out.
 */
export function withIdleTimeout(source: Readable, idleMs: number, idleError: () => Error): Readable {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => source.destroy(idleError()), idleMs);
  };
  const guarded = new Transform({
    transform(chunk, _encoding, done) {
      arm();
      done(null, chunk);
    },
  });
  arm();
  pipeline(source, guarded, () => clearTimeout(timer));
  return guarded;
}
