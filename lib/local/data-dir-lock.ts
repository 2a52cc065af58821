import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * One receiver per data folder. A second one (or `--reset`) on a folder in use would delete or
 * replace the secret and the emulators' files under the running receiver.
 */

/** The file, in the data folder, that names the process using it. */
export const LOCK_FILE_NAME = 'receiver.pid';

/** Another receiver, still running, uses the folder. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(readonly dir: string, readonly pid: number) {
    super(
      `${dir} is in use by the receiver with pid ${pid}. Stop it first (Ctrl-C in its terminal, or kill ${pid}), ` +
        `or set RECEIVER_LOCAL_DIR to another folder. If pid ${pid} is not a receiver, delete ${join(dir, LOCK_FILE_NAME)}.`,
    );
  }
}

export interface DataDirLock {
  readonly file: string;
  /** Removes the lock if it is still this process's; safe to call more than once. */
  release(): void;
}

/** Whether a process with this id exists (EPERM: it does, but belongs to someone else). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function lockHolder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the folder (which must exist) for this process. A lock left by a process that is gone is
 * taken over. The lock file is written whole under another name and linked into place, so no one
 * ever reads a half-written one.
 * @throws DataDirInUseError when a running process holds it
 */
export function lockDataDir(dir: string, pid = process.pid): DataDirLock {
  const file = join(dir, LOCK_FILE_NAME);
  const draft = `${file}.${pid}`;
  writeFileSync(draft, `${pid}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(draft, file);
        return {
          file,
          release() {
            if (lockHolder(file) === pid) rmSync(file, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = lockHolder(file);
      if (holder !== undefined && holder !== pid && isRunning(holder)) throw new DataDirInUseError(dir, holder);
      // Left by a process that was killed: nobody is using the folder.
      rmSync(file, { force: true });
    }
    throw new Error(`Could not lock ${dir}: ${file} keeps reappearing. Is another receiver starting on it?`);
  } finally {
    rmSync(draft, { force: true });
  }
}
