import { PayloadError } from './errors';

/*
 * `full_audio` as bytes. Node decodes base64 leniently (it skips anything outside the alphabet), so
 * a placeholder or a corrupted string would be stored as garbage; audio webhooks are never retried,
 * so what can be decoded unambiguously must not be refused either. The rule: base64 or base64url
 * characters, whitespace anywhere (line breaks), padding optional but only at the end.
 */

const BASE64_DATA = /^[A-Za-z0-9+/\-_]*$/;
const WHITESPACE = /\s+/g;

/**
 * The bytes a decoder yields from `chars` alphabet characters: 3 per 4; a final group of 2 or 3
 * characters yields 1 or 2 bytes; a final group of 1 character cannot yield a byte (truncated data).
 */
function decodedLength(chars: number): number | undefined {
  const rest = chars % 4;
  return rest === 1 ? undefined : Math.floor(chars / 4) * 3 + (rest === 0 ? 0 : rest - 1);
}

function invalid(): PayloadError {
  return new PayloadError('post_call_audio full_audio is not base64: only base64 or base64url characters, whitespace and final padding are accepted.');
}

/**
 * Decodes standard or URL-safe base64, with or without padding or line breaks, behind an optional
 * `data:...;base64,` prefix.
 * @throws PayloadError when the text holds anything else, or decodes to no bytes
 */
export function decodeAudioBase64(fullAudio: string): Buffer {
  let base64 = fullAudio.startsWith('data:') ? fullAudio.slice(fullAudio.indexOf(',') + 1) : fullAudio;
  let padding = 0;
  while (base64.endsWith('=') && padding < 2) {
    base64 = base64.slice(0, -1);
    padding += 1;
  }
  const audio = Buffer.from(base64, 'base64');
  // Fast path, for the clean text ElevenLabs sends: Node skips every character outside the
  // alphabet, so exactly the expected length proves there was none (a final group of 1 excluded).
  if (audio.length === 0 || audio.length !== decodedLength(base64.length)) {
    const data = base64.replace(WHITESPACE, '').replace(/=+$/, '');
    if (!BASE64_DATA.test(data) || decodedLength(data.length) === undefined) throw invalid();
  }
  if (audio.length === 0) throw new PayloadError('post_call_audio full_audio decodes to no bytes.');
  return audio;
}
