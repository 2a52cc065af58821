import * as fs from 'node:fs';
import * as path from 'node:path';
import { build, type Plugin } from 'esbuild';

/*
 * The command-line tools (bin/*.ts) as the tests run them: each bundled once per test process by
 * esbuild (what tsx transforms them with too) and started with plain node, which takes half the
 * time of starting them through tsx, a second saved per process over the hundred or so the tests
 * start. Packages stay external, loaded from node_modules as under tsx; each module of this
 * repository keeps its own __dirname, which some use to find their files.
 */

const ROOT = path.join(__dirname, '..', '..');
/** Inside node_modules, so that the bundles' external packages resolve from this repository. */
const OUT_DIR = path.join(ROOT, 'node_modules', '.cache', 'receiver-tool-bundles', String(process.pid));

/** `__dirname` as the module's own folder, not the bundle's. */
const ownDirname: Plugin = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = fs.readFileSync(args.path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      return { contents: `const __dirname = ${JSON.stringify(path.dirname(args.path))};\n${source}`, loader: 'ts' };
    });
  },
};

process.on('exit', () => fs.rmSync(OUT_DIR, { recursive: true, force: true }));

const built = new Map<string, Promise<string>>();

/** The bundled JavaScript of a tool, `bin/calls.ts` say, built on first use. */
export function toolBundle(script: string): Promise<string> {
  let bundle = built.get(script);
  if (!bundle) {
    const outfile = path.join(OUT_DIR, `${script.replace(/[\\/]/g, '-')}.js`);
    bundle = build({
      entryPoints: [path.join(ROOT, script)],
      absWorkingDir: ROOT,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      outfile,
      plugins: [ownDirname],
      logLevel: 'silent',
    }).then(() => outfile);
    built.set(script, bundle);
  }
  return bundle;
}

/** The command and arguments that run a tool as `npm run` would: `[node, [bundle, ...args]]`. */
export async function toolCommand(script: string, args: readonly string[]): Promise<[string, string[]]> {
  return [process.execPath, [await toolBundle(script), ...args]];
}
