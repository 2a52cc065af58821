import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUNDLES_DIR, bundleName, FUNCTION_ENTRIES, writeFunctionBundle } from '../lib/function-bundles';

/*
 * `npm run build:package` (and `npm pack`, through prepack): the construct library in dist/.
 * jsii compiles lib/index.ts and what it imports to dist/lib/ and dist/lambda/ (JavaScript and
 * declarations) and writes the .jsii assembly Construct Hub reads; esbuild bundles each function
 * into dist/functions/<name>/ as the repository's own synth does (lib/function-bundles.ts).
 */

const root = path.join(__dirname, '..');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
fs.rmSync(path.join(root, '.jsii'), { force: true });

// jsii supports Node 22 and 24 and warns at length on 20, on which it compiles this package all the
// same (this repository's CI runs Node 20).
execFileSync(path.join(root, 'node_modules', '.bin', 'jsii'), ['--fail-on-warnings'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: process.versions.node.split('.')[0] },
});

for (const entry of FUNCTION_ENTRIES) {
  writeFunctionBundle(root, entry, path.join(root, BUNDLES_DIR, bundleName(entry)));
}
const sizes = FUNCTION_ENTRIES.map((entry) => {
  const bytes = fs.statSync(path.join(root, BUNDLES_DIR, bundleName(entry), 'index.js')).size;
  return `${bundleName(entry)} ${(bytes / 1024).toFixed(0)} KB`;
});
console.log(`Built dist/: the construct (jsii) and ${FUNCTION_ENTRIES.length} function bundles (${sizes.join(', ')}).`);
