import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { signPayload } from '../lambda/signature';

/** The example payloads `npm run send` knows by name. */
export const EXAMPLES_DIR = join(__dirname, '..', 'test', 'fixtures', 'elevenlabs');

/** A payload file's bytes, or a bundled example's when the argument names one. */
export function resolvePayload(nameOrPath: string): { body: Buffer; source: string } {
  const example = join(EXAMPLES_DIR, `${nameOrPath.replace(/\.json$/, '')}.json`);
  const file = existsSync(nameOrPath) ? nameOrPath : existsSync(example) ? example : undefined;
  if (!file) throw new Error(`No file or bundled example named ${nameOrPath}`);
  return { body: readFileSync(file), source: file };
}

export interface SendOptions {
  readonly url: string;
  readonly secret: string;
  readonly body: Buffer;
  /** Seconds added to the signing time; negative values make a stale signature. @default 0 */
  readonly timestampOffsetSeconds?: number;
}

/**
 * Signs the bytes as ElevenLabs does and POSTs them, chunked (as ElevenLabs sends audio).
 * @returns the status and the answer's text
 */
export function sendWebhook(options: SendOptions): Promise<{ status: number; body: string }> {
  const timestamp = Math.floor(Date.now() / 1000) + (options.timestampOffsetSeconds ?? 0);
  const url = new URL(options.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
        'elevenlabs-signature': signPayload(options.secret, options.body, timestamp),
      },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      response.on('error', reject);
    });
    request.end(options.body);
  });
}
