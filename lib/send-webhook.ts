import { existsSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { signPayload } from '../lambda/signature';

/** The example payloads `npm run send` knows by name. */
export const EXAMPLES_DIR = join(__dirname, '..', 'test', 'fixtures', 'elevenlabs');

/**
 * A payload file's bytes, or a bundled example's when the argument names one. A relative path is
 * read from `baseDir`: the folder the command was typed in (npm runs scripts from the project
 * root, and says where the caller was in INIT_CWD).
 * @throws Error when neither a file nor an example has that name
 */
export function resolvePayload(nameOrPath: string, baseDir: string = process.env.INIT_CWD || process.cwd()): { body: Buffer; source: string } {
  const path = resolve(baseDir, nameOrPath);
  const example = join(EXAMPLES_DIR, `${nameOrPath.replace(/\.json$/, '')}.json`);
  const file = existsSync(path) && statSync(path).isFile() ? path : existsSync(example) ? example : undefined;
  if (!file) throw new Error(`No file ${path}, and no bundled example named ${nameOrPath}.`);
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
 * @throws Error saying nothing listens at the URL when the connection is refused; the socket's error otherwise
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
    request.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ECONNREFUSED' ? new Error(`Nothing is listening at ${options.url}: is npm start running (or is --url right)?`, { cause: error }) : error),
    );
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      response.on('error', reject);
    });
    request.end(options.body);
  });
}
