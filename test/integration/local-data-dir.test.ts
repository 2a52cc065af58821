import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runLocalServerToExit, startLocalServerProcess } from '../support/local-server-process';

/*
 * `npm start` as its own process, twice on one data folder: the second start and `--reset` are
 * refused while the first runs, and a lock left by a killed receiver does not get in the way.
 */
let localDir: string;
let running: Awaited<ReturnType<typeof startLocalServerProcess>>;

const lockFile = () => join(localDir, 'receiver.pid');
const secretFile = () => join(localDir, 'webhook-secret');
const sendSigned = () => running.run('bin/send.ts', 'post_call_transcription.phone');

beforeAll(async () => {
  localDir = mkdtempSync(join(tmpdir(), 'receiver-data-dir-'));
  // As an older version, or a `mkdir` by hand, may have left it.
  chmodSync(localDir, 0o755);
  running = await startLocalServerProcess({ RECEIVER_LOCAL_DIR: localDir });
}, 40_000);

afterAll(async () => {
  await running?.stop();
  rmSync(localDir, { recursive: true, force: true });
});

describe('the data folder of npm start', () => {
  it('is readable by its owner only, even when it was created wider', () => {
    expect(statSync(localDir).mode & 0o777).toBe(0o700);
    expect(statSync(secretFile()).mode & 0o777).toBe(0o600);
  });

  it('refuses a second start while a receiver runs on it, naming the folder and that receiver\'s pid', async () => {
    const pid = Number(readFileSync(lockFile(), 'utf8'));
    const second = await runLocalServerToExit({ RECEIVER_LOCAL_DIR: localDir });
    expect(second.code).toBe(1);
    expect(second.output).toContain(`Could not start: ${localDir} is in use by the receiver with pid ${pid}.`);
    expect(second.output).not.toContain('Webhook URL');
  });

  it('refuses --reset while a receiver runs on it, before removing anything; the receiver still answers 200', async () => {
    const secret = readFileSync(secretFile(), 'utf8');
    // The same ports too, as a user would retype the same command.
    const [port, dynamodbPort, s3Port] = running.ports.map(String);
    const reset = await runLocalServerToExit({ RECEIVER_LOCAL_DIR: localDir, PORT: port, DYNAMODB_PORT: dynamodbPort, S3_PORT: s3Port }, ['--reset']);
    expect(reset.code).toBe(1);
    expect(reset.output).toMatch(/Could not reset and start: .* is in use by the receiver with pid \d+\.[\s\S]*Nothing was changed\./);
    expect(readFileSync(secretFile(), 'utf8')).toBe(secret);
    expect(existsSync(join(localDir, 'data'))).toBe(true);
    const sent = await sendSigned();
    expect(sent.stdout).toMatch(/^200 \{"status":"stored"/m);
  });

  it('is not blocked by the lock of a receiver that was killed', async () => {
    const pid = Number(readFileSync(lockFile(), 'utf8'));
    const exited = new Promise((resolve) => running.server.once('exit', resolve));
    process.kill(pid, 'SIGKILL');
    await exited;
    expect(Number(readFileSync(lockFile(), 'utf8'))).toBe(pid);
    running = await startLocalServerProcess({ RECEIVER_LOCAL_DIR: localDir });
    expect(Number(readFileSync(lockFile(), 'utf8'))).not.toBe(pid);
    // Same folder, same secret: the restarted receiver takes the call the killed one stored.
    expect((await sendSigned()).stdout).toMatch(/^200 \{"status":"duplicate"/m);
  }, 40_000);

  it('is released when the receiver stops', async () => {
    await running.stop();
    expect(existsSync(lockFile())).toBe(false);
    expect(existsSync(secretFile())).toBe(true);
  });

  it('is released when the start fails', async () => {
    const taken: Server = createServer();
    const dynamodbPort = await freePort();
    await new Promise<void>((resolve) => taken.listen(dynamodbPort, '127.0.0.1', resolve));
    try {
      const failed = await runLocalServerToExit({ RECEIVER_LOCAL_DIR: localDir, DYNAMODB_PORT: String(dynamodbPort) });
      expect(failed.code).toBe(1);
      expect(failed.output).toContain('A port is taken');
      expect(existsSync(lockFile())).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('is emptied by --reset when no receiver runs on it: no calls, a new secret', async () => {
    const secret = readFileSync(secretFile(), 'utf8');
    running = await startLocalServerProcess({ RECEIVER_LOCAL_DIR: localDir }, ['--reset']);
    expect(running.output()).toContain(`Emptied ${localDir}`);
    expect(readFileSync(secretFile(), 'utf8')).not.toBe(secret);
    expect(statSync(localDir).mode & 0o777).toBe(0o700);
    expect((await sendSigned()).stdout).toMatch(/^200 \{"status":"stored"/m);
  }, 40_000);

  it.each([
    ['a bad ALLOWED_SOURCE_IPS, naming the entry', { ALLOWED_SOURCE_IPS: '127.0.0.0/8, notanip' }, /Could not reset and start: ALLOWED_SOURCE_IPS: "notanip" is not an IP address or CIDR range/],
    ['an API base URL the key must not go to', { ELEVENLABS_API_KEY: 'sk_test', ELEVENLABS_API_BASE_URL: 'http://api.example.com' }, /Could not reset and start: .*ELEVENLABS_API_BASE_URL/],
    ['a port that is not a number', { PORT: 'abc' }, /Could not reset and start: PORT must be a port number/],
  ])('is not touched by a start (or --reset) refused for %s', async (_name, env, message) => {
    const other = mkdtempSync(join(tmpdir(), 'receiver-bad-setting-'));
    try {
      writeFileSync(join(other, 'keep-me'), 'calls');
      const refused = await runLocalServerToExit({ RECEIVER_LOCAL_DIR: other, ...env }, ['--reset']);
      expect(existsSync(join(other, 'keep-me'))).toBe(true);
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(message);
      expect(refused.output).not.toContain('api.example.com');
      expect(existsSync(join(other, 'webhook-secret'))).toBe(false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
