import * as fs from 'fs';
import * as path from 'path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';

/*
 * The functions' code, built by esbuild in one way wherever it is built:
 * - the npm package ships each function pre-bundled under dist/functions/<name>/ (written by
 *   `npm run build:package`, beside the compiled construct in dist/lib/), so a consumer's synth
 *   needs neither esbuild nor Docker;
 * - this repository's app, run from source, bundles lambda/ at synth with the same options.
 * Both name the bundle as if it were written to dist/functions/<name>/index.js, so they give the
 * same JavaScript bytes, and the same source map wherever node_modules sits beside lambda/.
 */

/** In the package, this file is compiled into dist/lib/ and the bundles are in dist/functions/. */
const SHIPPED_BUNDLES = path.join(__dirname, '..', 'functions');
/** In this repository, this file runs from source in lib/, beside lambda/. */
const SOURCE_ROOT = path.join(__dirname, '..');

/** The construct's functions: their handler files under lambda/. */
export const FUNCTION_ENTRIES = ['handler.ts', 'reconciler-handler.ts', 'deletion-handler.ts', 'analytics/stream-handler.ts'] as const;
export type FunctionEntry = (typeof FUNCTION_ENTRIES)[number];

/** The folder a function's bundle is shipped in: `analytics/stream-handler.ts` -> `analytics-stream-handler`. */
export function bundleName(entry: string): string {
  return entry.replace(/\.ts$/, '').replace(/[\\/]/g, '-');
}

/** Where the package keeps a function's bundle, relative to its root. */
export const BUNDLES_DIR = path.join('dist', 'functions');

type Esbuild = typeof import('esbuild');

/**
 * esbuild's options for every function: all dependencies bundled, the AWS SDK included (versions
 * pinned by the lock file, and a faster cold start than the runtime's copy), minified, with a
 * source map. The benchmark bundles its floor with them too, to compare like with like.
 */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  // Stack traces name files and lines (NODE_OPTIONS=--enable-source-maps); the sources
  // themselves would triple the bundle.
  sourcesContent: false,
  logLevel: 'silent',
} as const;

/**
 * Bundles one handler under lambda/ and writes index.js and its source map into `outDir`. Needs
 * esbuild, a devDependency: only this repository builds bundles.
 */
export function writeFunctionBundle(root: string, entry: string, outDir: string): void {
  let esbuild: Esbuild;
  try {
    esbuild = require('esbuild') as Esbuild;
  } catch {
    throw new Error(`Bundling lambda/${entry} from source needs esbuild: run npm ci in this repository.`);
  }
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: [path.join(root, 'lambda', entry)],
    // The bundle's name as shipped, whatever folder it is written to: the source map's paths
    // are relative to it, so both ways of building give the same bytes.
    outfile: path.join(root, BUNDLES_DIR, bundleName(entry), 'index.js'),
    write: false,
    ...BUNDLE_OPTIONS,
    mainFields: [...BUNDLE_OPTIONS.mainFields],
  });
  fs.mkdirSync(outDir, { recursive: true });
  for (const file of result.outputFiles) fs.writeFileSync(path.join(outDir, path.basename(file.path)), file.contents);
}

/**
 * A function's code: the pre-bundled copy when the construct runs from the npm package, else
 * lambda/ bundled at synth (local bundling, never Docker). The asset's hash is the bundle's, so
 * both ways give the same asset for the same code.
 */
export function functionCode(entry: FunctionEntry): Code {
  const shipped = path.join(SHIPPED_BUNDLES, bundleName(entry));
  if (fs.existsSync(path.join(shipped, 'index.js'))) return Code.fromAsset(shipped);
  const source = path.join(SOURCE_ROOT, 'lambda', entry);
  if (!fs.existsSync(source)) {
    throw new Error(
      `Found neither the bundle of ${entry} (${shipped}) nor its source (${source}). If your CDK app is itself bundled, ` +
        'leave elevenlabs-webhook-receiver out of that bundle (mark it external), so that it finds the function bundles it ships.',
    );
  }
  return Code.fromAsset(path.join(SOURCE_ROOT, 'lambda'), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type, never pulled: the local bundler below always answers.
      image: DockerImage.fromRegistry('scratch'),
      // CDK reuses a bundle for the same source folder and options: naming the entry here keeps
      // each function's bundle its own.
      command: ['bundle', entry],
      local: {
        tryBundle(outputDir: string) {
          writeFunctionBundle(SOURCE_ROOT, entry, outputDir);
          return true;
        },
      },
    },
  });
}
