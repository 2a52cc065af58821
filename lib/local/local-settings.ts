import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `npm start` keeps its emulator data and generated secret: `.local/` (git-ignored), or `RECEIVER_LOCAL_DIR`. */
export function localPaths(env: NodeJS.ProcessEnv) {
  const dir = env.RECEIVER_LOCAL_DIR || join(__dirname, '..', '..', '.local');
  return { dir, secretFile: join(dir, 'webhook-secret'), dataDir: join(dir, 'data') };
}

/**
 * Creates the folder readable by its owner only (0700), or makes it so: it holds the secret and
 * the calls, personal data. A folder made by an older version, or by hand, is narrowed too.
 * @throws Error for a shared folder (sticky bit, such as /tmp), which must not be narrowed
 */
export function preparePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (statSync(dir).mode & 0o1000) throw new Error(`${dir} is a folder shared by all users (its sticky bit is set): set RECEIVER_LOCAL_DIR to a folder of its own.`);
  chmodSync(dir, 0o700);
}

/** Empties the folder (the secret and the emulators' data) but keeps the named entries, such as the lock. */
export function emptyDir(dir: string, keep: readonly string[]): void {
  for (const name of readdirSync(dir)) {
    if (!keep.includes(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** The names `npm start` gives the local table and bucket. */
export const LOCAL_TABLE_NAME = 'elevenlabs-calls';
export const LOCAL_BUCKET_NAME = 'elevenlabs-calls';

/** Fixed ports, so tools and `aws --endpoint-url` find the emulators; each can be changed. */
export function localPorts(env: NodeJS.ProcessEnv) {
  const port = (name: string, fallback: number) => {
    const value = env[name] ? Number(env[name]) : fallback;
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number, got ${env[name]}`);
    return value;
  };
  // dynalite's and s3rver's own default ports; the console's beside the webhook's, never the same.
  return { port: port('PORT', 3000), dynamodbPort: port('DYNAMODB_PORT', 4567), s3Port: port('S3_PORT', 4568), consolePort: port('CONSOLE_PORT', 3001) };
}

/** A secret shaped like the ones ElevenLabs issues. */
export function generateWebhookSecret(): string {
  return `wsec_${randomBytes(32).toString('hex')}`;
}

/** The local secret: ELEVENLABS_WEBHOOK_SECRET, else the one kept with the data, else none yet. */
export function readLocalSecret(env: NodeJS.ProcessEnv): { secret: string; source: string } | undefined {
  if (env.ELEVENLABS_WEBHOOK_SECRET) return { secret: env.ELEVENLABS_WEBHOOK_SECRET, source: 'ELEVENLABS_WEBHOOK_SECRET' };
  const { secretFile } = localPaths(env);
  if (existsSync(secretFile)) return { secret: readFileSync(secretFile, 'utf8').trim(), source: secretFile };
  return undefined;
}

/** Reads the local secret, generating and keeping one the first time. */
export function localSecret(env: NodeJS.ProcessEnv): { secret: string; source: string } {
  const existing = readLocalSecret(env);
  if (existing) return existing;
  const { dir, secretFile } = localPaths(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const secret = generateWebhookSecret();
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  return { secret, source: `${secretFile} (generated)` };
}
