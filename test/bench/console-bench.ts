/*
 * `npm run bench:console`: the console's first screen with 10,000 calls stored locally, against a
 * floor measured in the same run, so the ratios hold on a noisy machine. Not a test: it prints a
 * table and asserts nothing.
 *
 * The emulators (dynalite + s3rver, a temporary data folder) run in a child process of their own
 * (emulator-process.ts), as `npm start`'s run beside `npm run console`. They get 10,000 calls over
 * the last 90 days across four agents: webhook bodies made from the ElevenLabs examples, turned into
 * items by the receiver's own parsing, mapping and UpdateItem requests (console-calls.ts), written
 * with BatchWriteItem; the first calls also go through the store's applyUpdate, to check both give
 * the same items. The console (startConsoleServer, port 0) reads them with clients set up as
 * `npm run console` sets them up for the emulators. Measured:
 * - Floor: what any first page must read with the same SDK client: one Query of the by_month index
 *   (the current month, Limit 50, keys only) and one BatchGetItem of those 50 items.
 * - GET /calls.json (the first page, 50 calls), over HTTP, alternating with the floor: the ratio.
 * - The shell and its two assets (after the first build; the first, cold build at boot too).
 * - With /usr/bin/chromium: from page.goto to the first call row visible, cold (a fresh browser
 *   context: nothing cached) and warm (a reload); and, in the page, from navigation start to the row.
 * - What a period costs: a text search over 30 days and analytics over 30 and 90 days read every
 *   call in the period; their time and how many items they read.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { BatchGetItemCommand, DynamoDBClient, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { startMonth } from '../../lambda/call-item';
import { BY_MONTH_INDEX } from '../../lib/calls-table-schema';
import type { CallsTarget } from '../../lib/calls/calls-target';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/local/emulators';
import { startConsoleServer, type ConsoleServer } from '../../lib/console/server';
import { batchWrite, benchCalls, benchItems, checkAgainstStore, RARE_WORD } from './console-calls';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process';
import { median } from './storage-bench';

const CALLS = 10_000;
const DAYS = 90;
/** Calls stored through the store's applyUpdate too, to check the simulated items against. */
const CHECKED_CALLS = 40;
const PAGE = 50;
const WARM_UP_ROUNDS = 5;
const ROUNDS = 21;
const ASSET_ROUNDS = 15;
const BROWSER_RUNS = 7;
const PERIOD_RUNS = 5;
const CHROMIUM = '/usr/bin/chromium';
const ROW = 'tr[data-testid=call-row]';

/** Reads the console's DynamoDB client made, counted by a middleware: requests, keys from queries, items. */
const reads = { queries: 0, keys: 0, batchGets: 0, items: 0, getItems: 0 };
function resetReads() {
  Object.assign(reads, { queries: 0, keys: 0, batchGets: 0, items: 0, getItems: 0 });
}
function countReads(client: DynamoDBClient) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as { Count?: number; Responses?: Record<string, unknown[]>; Item?: unknown };
      if (context.commandName === 'QueryCommand') {
        reads.queries += 1;
        reads.keys += output.Count ?? 0;
      } else if (context.commandName === 'BatchGetItemCommand') {
        reads.batchGets += 1;
        reads.items += Object.values(output.Responses ?? {}).reduce((sum, items) => sum + items.length, 0);
      } else if (context.commandName === 'GetItemCommand') {
        reads.getItems += 1;
        if (output.Item) reads.items += 1;
      }
      return result;
    },
    { step: 'initialize', name: 'benchCountReads' },
  );
}

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));
const stats = (values: number[]) => ({ median: median(values), max: Math.max(...values), runs: values.length });
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

let sectionStarted = performance.now();
function progress(line: string) {
  const now = performance.now();
  console.error(`  [${((now - sectionStarted) / 1000).toFixed(1)} s] ${line}`);
  sectionStarted = now;
}

/** GET over HTTP (keep-alive, as a browser), the whole body read: ms, status and bytes. */
async function get(url: string): Promise<{ ms: number; status: number; bytes: number; body: Buffer }> {
  const start = performance.now();
  const response = await fetch(url);
  const body = Buffer.from(await response.arrayBuffer());
  return { ms: performance.now() - start, status: response.status, bytes: body.length, body };
}

/** The floor: one Query of the month index (newest month first, Limit 50, keys only), one BatchGetItem of those items. */
async function floorRead(dynamodb: DynamoDBClient, tableName: string, now: Date): Promise<number> {
  const start = performance.now();
  const keys: Record<string, AttributeValue>[] = [];
  // The current month; the one before only when the month has just begun and holds fewer than a page.
  for (let months = 0; keys.length < PAGE && months < 2; months += 1) {
    const month = startMonth(Math.floor(now.getTime() / 1000) - months * 28 * 86_400) as string;
    const page = await dynamodb.send(new QueryCommand({
      TableName: tableName,
      IndexName: BY_MONTH_INDEX.indexName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': BY_MONTH_INDEX.partitionKey.name },
      ExpressionAttributeValues: { ':pk': { S: month } },
      ScanIndexForward: false,
      Limit: PAGE - keys.length,
    }));
    keys.push(...(page.Items ?? []));
  }
  const answer = await dynamodb.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys.map((key) => ({ conversation_id: key.conversation_id })) } } }));
  const items = answer.Responses?.[tableName]?.length ?? 0;
  if (items !== PAGE || answer.UnprocessedKeys?.[tableName]) throw new Error(`floor read ${items} items`);
  return performance.now() - start;
}

type Row = [string, string, string, string, string];

function printTable(title: string, header: Row, rows: Row[]) {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i].length)));
  const line = (row: Row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
}

interface BrowserResult {
  note?: string;
  cold: number[];
  warm: number[];
  coldInPage: InPage[];
  warmInPage: InPage[];
}

/** In the page, ms from navigation start: the JS loaded, /calls.json asked and answered, the first row in the DOM. */
interface InPage {
  js: number;
  jsonStart: number;
  jsonEnd: number;
  row: number;
}

/** The medians of each moment, as text. */
function inPageText(runs: InPage[]): string {
  const at = (key: keyof InPage) => fmt(median(runs.map((run) => run[key])));
  return `in page: JS loaded ${at('js')}, /calls.json ${at('jsonStart')}-${at('jsonEnd')}, row ${at('row')}`;
}

/** The first call row, timed in Debian's Chromium: fresh contexts (cold), then reloads of the last page (warm). */
async function browserFirstScreen(url: string): Promise<BrowserResult> {
  const result: BrowserResult = { cold: [], warm: [], coldInPage: [], warmInPage: [] };
  if (!existsSync(CHROMIUM)) return { ...result, note: `${CHROMIUM} is missing: no browser figures (apt-get install chromium).` };
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return { ...result, note: 'playwright-core is not installed: no browser figures.' };
  }
  let browser: import('playwright-core').Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  } catch (error) {
    return { ...result, note: `Chromium did not start: ${(error as Error).message.split('\n')[0]}` };
  }
  try {
    // In the page: when the first row entered the DOM, from the navigation's start (performance.now's origin).
    // (Text: this project's TypeScript has no DOM types; the page runs it before its own scripts.)
    const observeFirstRow = `new MutationObserver((_, observer) => {
      if (document.querySelector('${ROW}')) { window.firstRowAt = performance.now(); observer.disconnect(); }
    }).observe(document, { childList: true, subtree: true });`;
    const inPage = async (page: import('playwright-core').Page): Promise<InPage> => JSON.parse(String(await page.evaluate(`JSON.stringify((() => {
      const resources = performance.getEntriesByType('resource');
      const js = resources.find((r) => r.name.includes('/assets/console.js'));
      const json = resources.find((r) => r.name.includes('/calls.json'));
      return { js: js ? js.responseEnd : NaN, jsonStart: json ? json.startTime : NaN, jsonEnd: json ? json.responseEnd : NaN, row: window.firstRowAt ?? NaN };
    })())`)), (_key, value) => (value === null ? NaN : value));
    const timed = async (page: import('playwright-core').Page, navigate: () => Promise<unknown>): Promise<number | undefined> => {
      const start = performance.now();
      await navigate();
      try {
        await page.locator(ROW).first().waitFor({ state: 'visible', timeout: 10_000 });
      } catch {
        return undefined;
      }
      return performance.now() - start;
    };
    let page: import('playwright-core').Page | undefined;
    for (let run = 0; run < BROWSER_RUNS; run += 1) {
      if (page) await page.context().close();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript({ content: observeFirstRow });
      page = await context.newPage();
      const p = page;
      const ms = await timed(p, () => p.goto(url, { waitUntil: 'commit' }));
      if (ms === undefined) {
        const text = ((await p.locator('body').innerText().catch(() => '')) || '(empty page)').replace(/\s+/g, ' ').slice(0, 160);
        return { ...result, note: `no ${ROW} visible within 10 s of page.goto (the page shows: ${text})` };
      }
      result.cold.push(ms);
      result.coldInPage.push(await inPage(p));
    }
    for (let run = 0; run < BROWSER_RUNS && page; run += 1) {
      const p = page;
      // Until the new document commits, the old rows are still there: wait for the commit, then the row.
      const ms = await timed(p, () => p.reload({ waitUntil: 'commit' }));
      if (ms === undefined) return { ...result, note: `no ${ROW} visible within 10 s of a reload` };
      result.warm.push(ms);
      result.warmInPage.push(await inPage(p));
    }
    await page?.context().close();
    return result;
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  // As the project's commands do: the SDK's notice about Node versions is not the bench's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const benchStart = performance.now();
  const load = loadavg();
  console.log(`Console bench: ${CALLS.toLocaleString('en')} calls over ${DAYS} days; Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), load average ${load.map((l) => l.toFixed(2)).join(' ')} at start`);

  let emulators: EmulatorProcess | undefined;
  let server: ConsoleServer | undefined;
  const clients: { destroy(): void }[] = [];
  try {
    const now = new Date();
    const calls = benchCalls(CALLS, now, DAYS);
    progress(`${calls.length} calls' webhook bodies made (${calls.reduce((n, c) => n + c.deliveries.length, 0)} deliveries)`);
    emulators = await startEmulatorProcess();
    const env = emulators.environment;
    const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    // As calls-target.ts sets up its clients for npm start's emulators.
    const dynamodb = new DynamoDBClient({ ...common, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, maxAttempts: 1 });
    const s3 = new S3Client({ ...common, endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    // Loading has clients of its own, so the console's counts are its reads alone.
    const loader = { dynamodb: new DynamoDBClient({ ...common, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }), s3: new S3Client({ ...common, endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true }) };
    clients.push(dynamodb, s3, loader.dynamodb, loader.s3);
    const tableName = env.CALLS_TABLE_NAME;
    const bucketName = env.CALLS_BUCKET_NAME;
    progress('emulators started (child process, temporary data folder)');

    const items = benchItems(calls, tableName);
    progress(`${items.length} items built by parseEvent + toCallWrite + buildUpdateRequest, applied as UpdateItem would`);
    const byId = new Map(items.map((item) => [item.conversation_id.S as string, item]));
    const differing = await checkAgainstStore(calls.slice(0, CHECKED_CALLS), byId, { ...loader, tableName, bucketName });
    const checkNote = `${CHECKED_CALLS} calls through the store's applyUpdate (real UpdateItem): ${differing.length === 0 ? 'items identical to the simulated ones' : `${differing.length} DIFFER (${differing.slice(0, 3).join(', ')})`}`;
    progress(checkNote);
    const loadStart = performance.now();
    await batchWrite(loader.dynamodb, tableName, items.slice(CHECKED_CALLS));
    const loadSecs = (performance.now() - loadStart) / 1000;
    progress(`${items.length - CHECKED_CALLS} items written with BatchWriteItem`);

    countReads(dynamodb);
    const target: CallsTarget = { description: 'local emulators (bench)', local: true, tableName, bucketName, dynamodb, s3 };
    const bootStart = performance.now();
    server = await startConsoleServer({ target, port: 0 });
    const base = server.url.replace(/\/$/, '');
    // The first asset answer waits for the build startConsoleServer began: the cold build, plus one GET.
    const firstJs = await get(`${base}/assets/console.js`);
    const coldBuildMs = performance.now() - bootStart;
    const assetsOk = firstJs.status === 200;
    progress(`console at ${base}; first /assets/console.js ${firstJs.status} after ${fmt(coldBuildMs)} ms`);

    // 1 + 2: the floor and the first page, alternating, so a busy moment falls on both.
    const floors: number[] = [];
    const pages: number[] = [];
    const ratios: number[] = [];
    let pageBytes = 0;
    let pageReads = { ...reads };
    let firstPageMs = NaN;
    for (let round = 0; round < WARM_UP_ROUNDS + ROUNDS; round += 1) {
      const floorMs = await floorRead(dynamodb, tableName, now);
      resetReads();
      const answer = await get(`${base}/calls.json`);
      if (answer.status !== 200) throw new Error(`/calls.json answered ${answer.status}: ${answer.body.toString().slice(0, 200)}`);
      const calls = JSON.parse(answer.body.toString()).calls.length;
      if (calls !== PAGE) throw new Error(`/calls.json gave ${calls} calls`);
      if (round === 0) firstPageMs = answer.ms;
      if (round < WARM_UP_ROUNDS) continue;
      pageReads = { ...reads };
      pageBytes = answer.bytes;
      floors.push(floorMs);
      pages.push(answer.ms);
      ratios.push(answer.ms / floorMs);
    }
    progress('floor and /calls.json measured');

    // 3: the shell and its assets, built by now.
    const shell: number[] = [];
    const js: number[] = [];
    const css: number[] = [];
    let sizes = { shell: 0, js: 0, css: 0 };
    for (let round = 0; round < WARM_UP_ROUNDS + ASSET_ROUNDS; round += 1) {
      const [a, b, c] = [await get(`${base}/`), await get(`${base}/assets/console.js`), await get(`${base}/assets/console.css`)];
      if (round < WARM_UP_ROUNDS) continue;
      shell.push(a.ms);
      js.push(b.ms);
      css.push(c.ms);
      sizes = { shell: a.bytes, js: b.bytes, css: c.bytes };
    }
    progress('shell and assets measured');

    // 4: the first screen in a browser.
    const browser = assetsOk ? await browserFirstScreen(`${base}/`) : { cold: [], warm: [], coldInPage: [], warmInPage: [], note: `the assets are not there (/assets/console.js answered ${firstJs.status}): no browser figures` };
    progress('browser measured');

    // 5: what a period costs.
    const periods: { name: string; path: string; ms: number[]; reads: typeof reads; answer: string }[] = [];
    for (const [name, path] of [
      [`text search q=${RARE_WORD}, since=30d`, `/calls.json?q=${RARE_WORD}&since=30d`],
      ['analytics since=30d', '/analytics.json?since=30d'],
      ['analytics since=90d', '/analytics.json?since=90d'],
    ] as const) {
      const ms: number[] = [];
      let answer = '';
      for (let run = 0; run < PERIOD_RUNS; run += 1) {
        resetReads();
        const result = await get(`${base}${path}`);
        if (result.status !== 200) throw new Error(`${path} answered ${result.status}: ${result.body.toString().slice(0, 200)}`);
        const json = JSON.parse(result.body.toString());
        answer = json.calls ? `${json.calls.length} calls${json.next ? ' + more' : ''}` : `${json.stats.calls} calls`;
        ms.push(result.ms);
      }
      periods.push({ name, path, ms, reads: { ...reads }, answer });
    }
    progress('periods measured');

    const floor = stats(floors);
    const page = stats(pages);
    const ratio = stats(ratios);
    const readText = (r: typeof reads) => `${r.queries} Query (${r.keys} keys), ${r.batchGets} BatchGetItem (${r.items} items)`;
    const rows: Row[] = [
      ['floor: Query by_month (50 keys) + BatchGetItem (50)', fmt(floor.median), fmt(floor.max), '1.00x', `${floor.runs} runs`],
      [`GET /calls.json (first page, ${PAGE} calls, ${kb(pageBytes)})`, fmt(page.median), fmt(page.max), `${ratio.median.toFixed(2)}x`, readText(pageReads)],
      [`GET / (shell, ${kb(sizes.shell)})`, fmt(stats(shell).median), fmt(stats(shell).max), '', `${ASSET_ROUNDS} runs`],
      [`GET /assets/console.js (${kb(sizes.js)})`, fmt(stats(js).median), fmt(stats(js).max), '', assetsOk ? 'built' : `answered ${firstJs.status}`],
      [`GET /assets/console.css (${kb(sizes.css)})`, fmt(stats(css).median), fmt(stats(css).max), '', ''],
      ['GET /calls.json, the first after boot (cold code paths)', fmt(firstPageMs), '', `${(firstPageMs / floor.median).toFixed(2)}x`, '1 run'],
      ['assets: first (cold) build at boot, to first JS answer', fmt(coldBuildMs), '', '', 'esbuild, in memory'],
    ];
    if (browser.note) rows.push(['browser: first call row', '-', '-', '', browser.note]);
    else {
      rows.push(
        ['browser cold (fresh context): goto -> first row visible', fmt(median(browser.cold)), fmt(Math.max(...browser.cold)), `${(median(browser.cold) / floor.median).toFixed(1)}x`, `first run ${fmt(browser.cold[0])}; ${inPageText(browser.coldInPage)}`],
        ['browser warm (reload): reload -> first row visible', fmt(median(browser.warm)), fmt(Math.max(...browser.warm)), `${(median(browser.warm) / floor.median).toFixed(1)}x`, inPageText(browser.warmInPage)],
      );
    }
    for (const period of periods) {
      const s = stats(period.ms);
      rows.push([period.name, fmt(s.median), fmt(s.max), `${(s.median / floor.median).toFixed(0)}x`, `${readText(period.reads)}; ${period.answer}`]);
    }
    printTable(`Console, ${CALLS.toLocaleString('en')} calls stored (median and max of the runs, ms; ratio to the floor's median)`, ['', 'median', 'max', 'ratio', 'notes'], rows);
    console.log(`\nStored: ${items.length} items (${CHECKED_CALLS} by applyUpdate, the rest by BatchWriteItem in ${loadSecs.toFixed(1)} s); ${checkNote}.`);
    console.log(`"In page": ms from the navigation's start (the page's performance.now), medians: the JS loaded, /calls.json asked-answered (resource timing), the first row in the DOM.`);
    console.log('Ratio of the first page: the median of each round\'s own ratio; the other ratios: median over the floor\'s median.');
    console.log(`Load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end; ${((performance.now() - benchStart) / 1000).toFixed(0)} s in all.`);
  } finally {
    await server?.close();
    for (const client of clients) client.destroy();
    await emulators?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
