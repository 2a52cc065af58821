import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exampleNames } from '../support/webhooks';

/*
 * The README's commands as a user runs them: `npm start` as its own process, `npm run send`
 * against it, `npm run calls` reading back, and Ctrl-C leaving no port open behind.
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

const run = (script: string, ...args: string[]) => promisify(execFile)(TSX, [script, ...args], { cwd: ROOT, env }).then(
  ({ stdout }) => ({ code: 0, stdout }),
  (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
);
const send = (...args: string[]) => run('bin/send.ts', ...args);
const calls = (...args: string[]) => run('bin/calls.ts', ...args);

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

  it('reads back every example sent, with the numbers stats should give', async () => {
    for (const example of exampleNames()) expect((await send(example)).code).toBe(0);
    const list = JSON.parse((await calls('list', '--json')).stdout);
    expect(list.map((c: { conversation_id: string }) => c.conversation_id).sort()).toEqual(
      ['abc', 'conv_7901kfail0sip000000000001', 'conv_7901kfail0twilio0000000001', 'conv_7901kphone0inbound0000001'],
    );
    const [{ stats }] = JSON.parse((await calls('stats', '--json')).stdout);
    expect(stats).toMatchObject({
      calls: 4,
      answered: 2,
      failed: 2,
      duration_secs: { total: 43, average: 21.5, p50: 21, p90: 22 },
      total_cost: 438,
      call_successful: { success: 2, failure: 0, unknown: 0, success_rate: 1 },
      data_collection: { caller_name: { Jordan: 1 }, order_id: { A123: 1 }, needs_follow_up: { false: 1 } },
    });
  });

  it('lists one agent\'s calls through its index, and as CSV', async () => {
    const { stdout } = await calls('list', '--agent', 'agent_7901kdemo0outbound00000001', '--csv');
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('start_time,agent,direction,number,duration_secs,cost,call_successful,title,conversation_id');
    expect(lines.slice(1).map((l) => l.split(',').at(-1)).sort()).toEqual(['conv_7901kfail0sip000000000001', 'conv_7901kfail0twilio0000000001']);
  });

  it('shows one call with its analysis, transcript turns and where its audio is', async () => {
    const shown = (await calls('show', 'abc')).stdout;
    expect(shown).toContain('Call abc');
    expect(shown).toContain('[0:02] user: Hey, can you tell me, like, a fun fact about 11 Labs?');
    expect(shown).toMatch(/audio\s+s3:\/\/elevenlabs-calls\/audio\/xyz\/abc\.mp3 \(\d+ bytes, audio\/mpeg\)/);
  });

  it('stops on Ctrl-C and frees every port', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const port of ports) expect(await portIsFree(port)).toBe(true);
  });
});
