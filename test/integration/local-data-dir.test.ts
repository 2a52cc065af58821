import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServerProcess } from '../support/local-server-process';

/* `npm start` as its own process on a data folder of the test's choosing. */
let localDir: string;
let running: Awaited<ReturnType<typeof startLocalServerProcess>>;

const secretFile = () => join(localDir, 'webhook-secret');

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
});
