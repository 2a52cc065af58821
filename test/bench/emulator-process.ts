/* The emulators' child process, from bench.ts's side: started with an IPC channel, always stopped. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface EmulatorProcess {
  /** The environment that points a process (and the Lambda handler) at the emulators. */
  readonly environment: Record<string, string>;
  readonly pid: number;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..');

/** Starts test/bench/emulator-child.ts under tsx and waits for its endpoints. */
export async function startEmulatorProcess(): Promise<EmulatorProcess> {
  const child: ChildProcess = fork(join(__dirname, 'emulator-child.ts'), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let exited = child.exitCode !== null;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  // Whatever happens to this process (an error, process.exit), the emulators do not outlive it.
  const onExit = () => {
    if (!exited) child.kill('SIGTERM');
  };
  process.on('exit', onExit);

  const stop = async () => {
    process.off('exit', onExit);
    if (exited) return;
    if (child.connected) child.send('close');
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exit;
    clearTimeout(timer);
  };

  try {
    const environment = await new Promise<Record<string, string>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the emulators did not start within 60 s')), 60_000);
      child.once('message', (message: { environment: Record<string, string> }) => {
        clearTimeout(timer);
        resolve(message.environment);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the emulators' process ended (${code}) before it started them`));
      });
    });
    return { environment, pid: child.pid as number, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
