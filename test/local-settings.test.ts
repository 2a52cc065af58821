import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preparePrivateDir } from '../lib/local/local-settings';

let parent: string;

beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'local-settings-'));
});

afterEach(() => {
  rmSync(parent, { recursive: true, force: true });
});

const modeOf = (dir: string) => statSync(dir).mode & 0o7777;

describe('preparePrivateDir', () => {
  it('creates the folder readable by its owner only', () => {
    const dir = join(parent, 'a', '.local');
    preparePrivateDir(dir);
    expect(modeOf(dir)).toBe(0o700);
  });

  it('narrows a folder that exists with wider permissions', () => {
    const dir = join(parent, '.local');
    mkdirSync(dir);
    chmodSync(dir, 0o775);
    preparePrivateDir(dir);
    expect(modeOf(dir)).toBe(0o700);
  });

  it('refuses a shared folder such as /tmp, and leaves it as it was', () => {
    const dir = join(parent, 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o1777);
    expect(() => preparePrivateDir(dir)).toThrow(`${dir} is a folder shared by all users (its sticky bit is set): set RECEIVER_LOCAL_DIR to a folder of its own.`);
    expect(modeOf(dir)).toBe(0o1777);
  });
});
