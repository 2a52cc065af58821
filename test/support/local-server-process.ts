import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toolCommand } from './tool-bundles';

/** `npm start` as a user runs it, in its own process, on free ports and a throw-away data folder. */
const ROOT = join(__dirname, '..', '..');

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

/** The environment `npm start` gets: free ports, quiet logs, no secret from the caller's shell. */
async function serverEnv(localDir: string, extraEnv: Record<string, string>): Promise<NodeJS.ProcessEnv> {
  // Every port free, the console's too: test files run two at a time.
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RECEIVER_LOCAL_DIR: localDir,
    PORT: String(ports[0]),
    DYNAMODB_PORT: String(ports[1]),
    S3_PORT: String(ports[2]),
    CONSOLE_PORT: String(ports[3]),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...extraEnv,
  };
  delete env.ELEVENLABS_WEBHOOK_SECRET;
  return env;
}

/** Runs bin/local-server.ts expecting it to stop by itself (a refused start): its exit code and output. */
export async function runLocalServerToExit(extraEnv: Record<string, string>, args: string[] = [], timeoutMs = 30_000) {
  const env = await serverEnv(extraEnv.RECEIVER_LOCAL_DIR, extraEnv);
  const child = spawn(...(await toolCommand('bin/local-server.ts', args)), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, output };
}

/**
 * Starts bin/local-server.ts and resolves once its banner is printed. With RECEIVER_LOCAL_DIR in
 * `extraEnv` it uses that folder (and leaves it); otherwise a throw-away one.
 */
export async function startLocalServerProcess(extraEnv: Record<string, string> = {}, args: string[] = []) {
  const ownDir = extraEnv.RECEIVER_LOCAL_DIR === undefined;
  const localDir = extraEnv.RECEIVER_LOCAL_DIR ?? mkdtempSync(join(tmpdir(), 'receiver-commands-'));
  const env = await serverEnv(localDir, extraEnv);
  const ports = [env.PORT, env.DYNAMODB_PORT, env.S3_PORT].map(Number);
  const server = spawn(...(await toolCommand('bin/local-server.ts', args)), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout!.on('data', (c) => (output += c));
  server.stderr!.on('data', (c) => (output += c));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 30_000);
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before coming up:\n${output}`));
    });
    server.stdout!.on('data', () => {
      if (output.includes('Stop:')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  /** Runs another entry point (send, calls, backfill) against this server's ports and secret. */
  const run = async (script: string, ...args: string[]) =>
    promisify(execFile)(...(await toolCommand(script, args)), { cwd: ROOT, env }).then(
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
    /** Stops it as Ctrl-C would (SIGINT), forcing it if it hangs. */
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      if (ownDir) rmSync(localDir, { recursive: true, force: true });
    },
  };
}
