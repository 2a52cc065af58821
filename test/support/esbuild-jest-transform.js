// A jest transformer over esbuild: strips TypeScript types (tsc --noEmit checks them), emits
// CommonJS with a source map. @swc/jest and jest 30 pull platform binaries that this project's
// registry does not carry for every OS, which breaks `npm ci` elsewhere; esbuild is here anyway.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { transformSync, version } = require('esbuild');

const OPTIONS = {
  loader: 'ts',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'external',
  // jest runs CommonJS: turn import() into require() so modules load through jest.
  supported: { 'dynamic-import': false },
};
const SELF = readFileSync(__filename);

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { ...OPTIONS, sourcefile: filename });
    return { code, map };
  },
  getCacheKey(source, filename) {
    return createHash('sha256').update(SELF).update(version).update(filename).update(source).digest('hex');
  },
};
