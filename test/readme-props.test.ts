import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readmePropsBlock, renderPropsTables } from './support/props-table';

describe('the README\'s props tables', () => {
  it('are the props\' TSDoc, every prop with its default (npm run docs:props rewrites them)', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    expect(readmePropsBlock(readme)).toBe(renderPropsTables());
  });

  it('list every prop of the construct, each with a default', () => {
    const rows = renderPropsTables().split('\n').filter((line) => /^\| `/.test(line));
    expect(rows.length).toBeGreaterThanOrEqual(26);
    expect(rows.filter((row) => row.split(' | ')[2].trim() === '')).toEqual([]);
  });
});
