import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirInUseError, LOCK_FILE_NAME, lockDataDir } from '../lib/local/data-dir-lock';

let dir: string;
const lockFile = () => join(dir, LOCK_FILE_NAME);

/** The id of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid as number;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('lockDataDir', () => {
  it('writes the pid of the process that takes the folder, and nothing else', () => {
    lockDataDir(dir);
    expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
    expect(readdirSync(dir)).toEqual([LOCK_FILE_NAME]);
  });

  it('refuses a folder held by a running process, naming the folder and its pid', () => {
    lockDataDir(dir, process.pid);
    expect(() => lockDataDir(dir, process.pid + 1)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir, process.pid + 1)).toThrow(`${dir} is in use by the receiver with pid ${process.pid}.`);
  });

  it('takes over a lock whose process is gone', () => {
    writeFileSync(lockFile(), `${deadPid()}\n`);
    lockDataDir(dir);
    expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('takes over an empty or unreadable lock', () => {
    writeFileSync(lockFile(), '');
    lockDataDir(dir);
    expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('releases its own lock, once, and never one another process has since taken', () => {
    const lock = lockDataDir(dir);
    lock.release();
    expect(existsSync(lockFile())).toBe(false);
    lock.release();
    writeFileSync(lockFile(), `${process.ppid}\n`);
    lock.release();
    expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.ppid}\n`);
  });
});
