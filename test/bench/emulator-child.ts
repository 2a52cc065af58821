/*
 * The emulators (dynalite + s3rver) in a child process of their own, so the CPU they spend serving
 * the measured processes is not counted in them. Started by bench.ts with an IPC channel: it sends
 * back the environment that points a process at them, and stops them (removing their data) when
 * asked, when the channel closes (bench.ts ended, even killed) or on SIGTERM/SIGINT.
 */
import { startEmulators, type Emulators } from '../../lib/local/emulators';

let emulators: Emulators | undefined;
let closing = false;

async function stop(code: number) {
  if (closing) return;
  closing = true;
  try {
    await emulators?.close();
  } finally {
    process.exit(code);
  }
}

process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
process.on('message', (message) => {
  if (message === 'close') void stop(0);
});

startEmulators({ log: () => undefined }).then(
  (started) => {
    emulators = started;
    if (closing) return;
    process.send?.({ environment: started.environment });
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
