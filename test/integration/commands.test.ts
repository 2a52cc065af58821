import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/*
 * The README's commands as a user runs them: `npm start` as its own process, `npm run send`
 * against it, and Ctrl-C leaving no port open behind.
 */
const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

let localDir: string;
let server: ChildProcess;
let output = '';
let env: NodeJS.ProcessEnv;
let ports: number[];

beforeAll(async () => {
  localDir = mkdtempSync(join(tmpdir(), 'receiver-commands-'));
  ports = [await freePort(), await freePort(), await freePort()];
  env = { ...process.env, RECEIVER_LOCAL_DIR: localDir, PORT: String(ports[0]), DYNAMODB_PORT: String(ports[1]), S3_PORT: String(ports[2]), POWERTOOLS_LOG_LEVEL: 'SILENT' };
  delete env.ELEVENLABS_WEBHOOK_SECRET;
  server = spawn(TSX, ['bin/local-server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (c) => (output += c));
  server.stderr!.on('data', (c) => (output += c));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 30_000);
    server.stdout!.on('data', () => {
      if (output.includes('Stop:')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}, 40_000);

afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(localDir, { recursive: true, force: true });
});

const send = (...args: string[]) => promisify(execFile)(TSX, ['bin/send.ts', ...args], { cwd: ROOT, env }).then(
  ({ stdout }) => ({ code: 0, stdout }),
  (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
);

describe('npm start and npm run send', () => {
  it('prints the URL, the generated secret, the emulators and the names', () => {
    const secret = readFileSync(join(localDir, 'webhook-secret'), 'utf8').trim();
    expect(secret).toMatch(/^wsec_[0-9a-f]{64}$/);
    expect(output).toContain(`http://localhost:${ports[0]}/elevenlabs/webhook`);
    expect(output).toContain(secret);
    expect(output).toContain(`http://127.0.0.1:${ports[1]}  table elevenlabs-calls`);
    expect(output).toContain(`http://127.0.0.1:${ports[2]}  bucket elevenlabs-calls`);
  });

  it('sends a bundled example signed with the local secret and prints the answer', async () => {
    const result = await send('post_call_transcription.phone');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^200 \{"status":"stored"/m);
  });

  it('shows what a stale signature gets', async () => {
    const result = await send('post_call_audio', '--timestamp-offset', '-3600');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^401 .*expired|^401 .*old/m);
  });

  it('stops on Ctrl-C and frees every port', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const port of ports) expect(await portIsFree(port)).toBe(true);
  });
});
