import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** `npm start` as a user runs it, in its own process, on free ports and a throw-away data folder. */
const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Starts bin/local-server.ts and resolves once its banner is printed. */
export async function startLocalServerProcess(extraEnv: Record<string, string> = {}) {
  const localDir = mkdtempSync(join(tmpdir(), 'receiver-commands-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, RECEIVER_LOCAL_DIR: localDir, PORT: String(ports[0]), DYNAMODB_PORT: String(ports[1]), S3_PORT: String(ports[2]), POWERTOOLS_LOG_LEVEL: 'SILENT', ...extraEnv };
  delete env.ELEVENLABS_WEBHOOK_SECRET;
  const server = spawn(TSX, ['bin/local-server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
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
  /** Runs another entry point (send, calls, backfill) against this server's ports and secret. */
  const run = (script: string, ...args: string[]) =>
    promisify(execFile)(TSX, [script, ...args], { cwd: ROOT, env }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout + error.stderr }),
    );
  return {
    server,
    ports,
    localDir,
    output: () => output,
    run,
    /** Waits until the server has printed something matching. */
    async waitForOutput(pattern: RegExp, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    /** Stops it as Ctrl-C would (tsx passes the signal on to the server), forcing it if it hangs. */
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(localDir, { recursive: true, force: true });
    },
  };
}
