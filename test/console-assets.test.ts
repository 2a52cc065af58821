import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildConsoleAssets, CONSOLE_ASSET_BUDGET_GZIP_BYTES } from '../lib/console/assets';

/*
 * The console's front end as the server serves it: built by esbuild, under its size budget, loading
 * nothing from elsewhere, keeping the bundled libraries' licence notices, and never writing stored
 * text as HTML.
 */

const WEB = join(__dirname, '..', 'lib', 'console', 'web');

/** XML namespaces Preact names to create SVG and MathML elements: identifiers, never fetched. */
const NAMESPACES = new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1998/Math/MathML', 'http://www.w3.org/1999/xhtml']);

/** The code without its `/*! ... *\/` licence comments (which name the libraries' home pages). */
const withoutLegalComments = (code: string) => code.replace(/\/\*![\s\S]*?\*\//g, '');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.(tsx?|css)$/.test(name) ? [path] : [];
  });
}

let js: string;
let css: string;
let sizes: { js: number; css: number };

beforeAll(async () => {
  const assets = await buildConsoleAssets();
  [js, css] = [assets.js.toString('utf8'), assets.css.toString('utf8')];
  sizes = { js: gzipSync(assets.js).length, css: gzipSync(assets.css).length };
});

test('the JavaScript and CSS together stay under the budget, gzipped', () => {
  expect(sizes.js + sizes.css).toBeLessThan(CONSOLE_ASSET_BUDGET_GZIP_BYTES);
  // A bundle this small is one that did not pull in the whole of Chart.js or a second UI library.
  expect(sizes.js).toBeLessThan(120 * 1024);
});

test('the JavaScript loads nothing from another origin', () => {
  const code = withoutLegalComments(js);
  const urls = [...code.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*/gi)].map((m) => m[0]).filter((url) => !NAMESPACES.has(url));
  expect(urls).toEqual([]);
  expect(code).not.toMatch(/fetch\(\s*["'`](?:https?:)?\/\//);
  expect(code).not.toMatch(/<(?:link|script)\b/i);
});

test('the CSS imports nothing and uses the system fonts', () => {
  expect(css).not.toMatch(/@import/i);
  expect(css).not.toMatch(/url\(/i);
  expect(css).not.toMatch(/@font-face/i);
  expect(css).toContain('system-ui');
});

test("the bundled libraries' licence notices are kept", () => {
  expect(js).toMatch(/Chart\.js v4[\s\S]*Released under the MIT License/);
  expect(js).toMatch(/@kurkle\/color[\s\S]*Released under the MIT License/);
  expect(js).toMatch(/Preact \| \(c\) 2015-present Jason Miller \| The MIT License/);
});

test('the front end never writes text as HTML', () => {
  for (const file of sourceFiles(WEB)) {
    const source = readFileSync(file, 'utf8');
    expect({ file, html: source.match(/dangerouslySetInnerHTML|innerHTML|outerHTML|insertAdjacentHTML|document\.write/g) }).toEqual({ file, html: null });
  }
});
