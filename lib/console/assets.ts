/*
 * The console's JavaScript and CSS, built by esbuild in memory from lib/console/web (Preact and the
 * Chart.js pieces it uses, bundled): two files the console serves itself, nothing loaded from elsewhere.
 */
import { build, type BuildOptions } from 'esbuild';
import * as path from 'node:path';

/** The budget the console's JavaScript and CSS together must stay under, gzipped (issue 13). */
export const CONSOLE_ASSET_BUDGET_GZIP_BYTES = 250 * 1024;

const WEB = path.join(__dirname, 'web');

/**
 * The bundled libraries' licence notices stay in the bundle: Chart.js and @kurkle/color carry theirs
 * as legal comments (kept at the end), Preact's build has none, so it is added here.
 */
const PREACT_NOTICE = '/*! Preact | (c) 2015-present Jason Miller | The MIT License (MIT) */';

const COMMON: BuildOptions = {
  bundle: true,
  write: false,
  minify: true,
  target: 'es2020',
  platform: 'browser',
  legalComments: 'eof',
  logLevel: 'silent',
  absWorkingDir: WEB,
};

async function bundle(entry: string, options: BuildOptions): Promise<Buffer> {
  const result = await build({ ...COMMON, ...options, entryPoints: [path.join(WEB, entry)], outfile: path.join(WEB, 'out', entry) });
  const [file] = result.outputFiles ?? [];
  if (!file) throw new Error(`esbuild produced nothing for ${entry}`);
  return Buffer.from(file.contents);
}

export async function buildConsoleAssets(): Promise<{ js: Buffer; css: Buffer }> {
  const [js, css] = await Promise.all([
    bundle('main.tsx', {
      format: 'iife',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      tsconfig: path.join(WEB, 'tsconfig.json'),
      define: { 'process.env.NODE_ENV': '"production"' },
      footer: { js: PREACT_NOTICE },
    }),
    bundle('console.css', {}),
  ]);
  return { js, css };
}
