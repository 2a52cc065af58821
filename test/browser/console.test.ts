import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { getCall } from '../../lib/calls/calls-query';
import { resolveTarget } from '../../lib/calls/calls-target';
import { describeInBrowser, launchChromium, screenshot, type LaunchedBrowser } from './browser';
import { AGENTS, sendBrowserTestCalls, xss, type SeededCalls } from './console-calls';
import { connectOutcome, httpGet, nonLoopbackIPv4, startConsoleProcess, type ConsoleProcess } from './console-process';

/*
 * The console end to end: `npm start` in its own process, calls sent to its webhook as ElevenLabs
 * sends them, then the console read over plain HTTP (headers, ranges, hosts) and in Chromium
 * (list, filters, a call with its audio, analytics, markup in every field).
 */

/* Code run in the page: this project compiles for Node, without the DOM's types, so the little it uses is declared here. */
declare const document: any;
declare const window: any;
interface AudioElement { readyState: number; currentTime: number; duration: number; paused: boolean; seeking: boolean; error: { message: string } | null; play(): Promise<void>; pause(): void }
interface CanvasElement { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null }

let app: ConsoleProcess;
let calls: SeededCalls;
let origin: string;

beforeAll(async () => {
  // As bin/ does: the SDK's notice about Node 20 is not this test's business.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  app = await startConsoleProcess();
  origin = new URL(app.consoleUrl).origin;
  calls = await sendBrowserTestCalls(app.webhookUrl, app.secret);
}, 90_000);

afterAll(async () => {
  await app?.local.stop();
});

const consoleGet = (path: string, headers: Record<string, string> = {}) => httpGet('127.0.0.1', app.consolePort, path, headers);
const audioPath = (id: string) => `/calls/${encodeURIComponent(id)}/audio.mp3`;

describe('the console over HTTP', () => {
  it('prints its loopback URL in the banner, on its own port', () => {
    expect(app.consoleUrl).toBe(`http://127.0.0.1:${app.consolePort}/`);
    expect(app.consolePort).not.toBe(app.webhookPort);
  });

  it('serves the stored MP3 byte for byte, and a Range as 206 with its slice', async () => {
    // What the bucket holds, read with the SDK where the item points.
    const target = await resolveTarget({}, { ...process.env, ...app.env });
    const item = await getCall(target, calls.ids.success);
    const object = await target.s3.send(new GetObjectCommand({ Bucket: target.bucketName, Key: item!.audio_s3_key as string }));
    const stored = Buffer.from(await object.Body!.transformToByteArray());
    target.dynamodb.destroy();
    target.s3.destroy();
    expect(stored.equals(calls.successAudio)).toBe(true);

    const whole = await consoleGet(audioPath(calls.ids.success));
    expect(whole.status).toBe(200);
    expect(whole.headers['content-type']).toBe('audio/mpeg');
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.body.equals(stored)).toBe(true);

    const range = await consoleGet(audioPath(calls.ids.success), { Range: 'bytes=1000-1999' });
    expect(range.status).toBe(206);
    expect(range.headers['content-range']).toBe(`bytes 1000-1999/${stored.length}`);
    expect(range.body.equals(stored.subarray(1000, 2000))).toBe(true);

    const tail = await consoleGet(audioPath(calls.ids.success), { Range: `bytes=${stored.length - 100}-` });
    expect(tail.status).toBe(206);
    expect(tail.headers['content-range']).toBe(`bytes ${stored.length - 100}-${stored.length - 1}/${stored.length}`);
    expect(tail.body.equals(stored.subarray(stored.length - 100))).toBe(true);

    const download = await consoleGet(`${audioPath(calls.ids.success)}?download=1`);
    expect(download.headers['content-disposition']).toMatch(/^attachment/);
    // A call that never connected has no audio.
    expect((await consoleGet(audioPath(calls.ids.notConnected))).status).toBe(404);
  });

  it('refuses a request whose Host is not its own (DNS rebinding)', async () => {
    for (const path of ['/', '/calls.json', `/calls/${calls.ids.success}.json`, audioPath(calls.ids.success), '/analytics.json']) {
      for (const host of [`evil.example:${app.consolePort}`, `127.0.0.1.evil.example:${app.consolePort}`, `127.0.0.1:${app.consolePort + 1}`, 'evil.example']) {
        const answer = await consoleGet(path, { Host: host });
        expect({ path, host, status: [403, 421].includes(answer.status) ? 'refused' : answer.status }).toEqual({ path, host, status: 'refused' });
        expect(answer.body.toString()).not.toContain(calls.ids.success);
      }
    }
    // Its own names are served: the check refuses others, not everything.
    expect((await consoleGet('/calls.json', { Host: `localhost:${app.consolePort}` })).status).toBe(200);
    expect((await consoleGet('/calls.json', { Host: `127.0.0.1:${app.consolePort}` })).status).toBe(200);
  });

  it('sends no CORS header on any answer, and a CSP that allows only its own origin', async () => {
    const paths = ['/', '/calls', '/analytics', '/calls.json', `/calls/${calls.ids.success}`, `/calls/${calls.ids.success}.json`, `/calls/${calls.ids.success}/transcription.json`, audioPath(calls.ids.success), '/analytics.json', '/assets/console.js', '/assets/console.css', '/no/such/page', '/calls/nope.json'];
    const answers = [
      ...(await Promise.all(paths.map(async (path) => ({ path, answer: await consoleGet(path, { Origin: 'http://evil.example' }) })))),
      { path: '/ (foreign Host)', answer: await consoleGet('/', { Host: 'evil.example', Origin: 'http://evil.example' }) },
    ];
    // Each answered as it should (so the headers checked are those of real answers).
    const statuses = answers.map(({ path, answer }) => [path, [403, 421].includes(answer.status) ? 'refused' : answer.status]);
    expect(statuses).toEqual([...paths.map((path) => [path, path === '/no/such/page' || path === '/calls/nope.json' ? 404 : 200]), ['/ (foreign Host)', 'refused']]);
    for (const { path, answer } of answers) {
      const cors = Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));
      expect({ path, cors }).toEqual({ path, cors: [] });
    }
    for (const path of ['/', `/calls/${calls.ids.success}`, '/analytics']) {
      const { status, headers } = answers.find((a) => a.path === path)!.answer;
      expect(status).toBe(200);
      const csp = String(headers['content-security-policy'] ?? '');
      const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...sources]) => [name, sources]));
      expect(directives.get('default-src')).toEqual(["'self'"]);
      expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
      expect(directives.get('object-src')).toEqual(["'none'"]);
      // Every source list names the console itself (or none, or data: images) and nothing else: no host, no scheme, no inline code.
      for (const [name, sources] of directives) {
        const allowed = ["'self'", "'none'", ...(name === 'img-src' ? ['data:'] : [])];
        expect({ name, others: sources.filter((source) => !allowed.includes(source)) }).toEqual({ name, others: [] });
      }
      for (const name of ['script-src', 'style-src', 'connect-src', 'media-src']) expect([name, directives.get(name) ?? directives.get('default-src')]).toEqual([name, ["'self'"]]);
    }
  });

  const ip = nonLoopbackIPv4();
  (ip ? it : it.skip)(`refuses connections on this machine's non-loopback address${ip ? ` (${ip})` : ' (none here: skipped)'}`, async () => {
    expect(await connectOutcome('127.0.0.1', app.consolePort)).toBe('connected');
    expect(await connectOutcome(ip!, app.consolePort)).toBe('ECONNREFUSED');
  });
  if (!ip) console.warn('This machine has no non-loopback IPv4 address: the console\'s loopback-only binding is not tested here.');

  it('is not served on the webhook\'s port (the one a tunnel exposes)', async () => {
    for (const path of ['/', '/calls', '/calls.json', '/analytics', '/analytics.json', '/assets/console.js', `/calls/${calls.ids.success}/audio.mp3`]) {
      const answer = await httpGet('127.0.0.1', app.webhookPort, path);
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(answer.body.toString()).not.toMatch(/id="app"|conv_browser/);
    }
  });
});

/** What a page did that it must not: dialogs, requests elsewhere, script errors, console errors (CSP violations among them). */
function watch(page: Page) {
  const seen = { dialogs: [] as string[], foreign: [] as string[], pageErrors: [] as string[], consoleErrors: [] as string[] };
  page.on('dialog', (dialog) => {
    seen.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) seen.foreign.push(url);
  });
  page.on('pageerror', (error) => seen.pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.consoleErrors.push(message.text());
  });
  return seen;
}

const rowIds = (page: Page) => page.locator('tr[data-testid=call-row]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-conversation-id')));

/** Waits until the list shows exactly these rows (in this order). */
async function expectRows(page: Page, ids: string[]) {
  await page.waitForFunction((wanted) => {
    const shown = [...document.querySelectorAll('tr[data-testid=call-row]')].map((row) => row.getAttribute('data-conversation-id'));
    return JSON.stringify(shown) === JSON.stringify(wanted);
  }, ids, { timeout: 10_000 }).catch(() => undefined);
  expect(await rowIds(page)).toEqual(ids);
}

async function applyFilters(page: Page, values: Record<string, string>) {
  const form = page.locator('form[data-testid=filters]');
  for (const [name, value] of Object.entries(values)) {
    const field = form.locator(`[name="${name}"]`);
    if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(value);
    else await field.fill(value);
  }
  await form.locator('button[type=submit]').click();
}

/** The audio element's state, read in the page. */
const audioState = (page: Page) =>
  page.locator('audio[data-testid=audio]').evaluate((audio: AudioElement) => ({ readyState: audio.readyState, currentTime: audio.currentTime, duration: audio.duration, paused: audio.paused, error: audio.error?.message ?? null }));

/** Pixels a canvas has drawn (not transparent). */
const drawnPixels = (page: Page, selector: string) =>
  page.locator(selector).evaluate((canvas: CanvasElement) => {
    const context = canvas.getContext('2d');
    if (!context || canvas.width === 0 || canvas.height === 0) return 0;
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) drawn++;
    return drawn;
  });

describeInBrowser('the console in Chromium', () => {
  let browser: LaunchedBrowser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('lists the sent calls newest first, and filters them by outcome, text and agent through the URL', async () => {
    const page = await browser.newPage({ width: 1280, height: 800 });
    const seen = watch(page);
    await page.goto(`${origin}/`);
    await page.locator('table[data-testid=calls]').waitFor();
    await expectRows(page, calls.newestFirst);
    const success = page.locator(`tr[data-testid=call-row][data-conversation-id="${calls.ids.success}"]`);
    await expect(success.innerText()).resolves.toContain('Order A123 status');
    await expect(success.innerText()).resolves.toContain(AGENTS.support.name);
    await expect(page.locator('[data-testid=period-note]').innerText()).resolves.toMatch(/\S/);
    await expect(page.locator('nav a[href="/analytics"]').innerText()).resolves.toBe('Analytics');
    await screenshot(page, 'list');

    await applyFilters(page, { outcome: 'failure' });
    await page.waitForURL(/[?&]outcome=failure(&|$)/);
    await expectRows(page, [calls.ids.failure]);

    await applyFilters(page, { outcome: 'not_connected' });
    await page.waitForURL(/[?&]outcome=not_connected(&|$)/);
    await expectRows(page, [calls.ids.notConnected]);

    // Case-insensitive, over titles and summaries ("Order A123 status").
    await applyFilters(page, { outcome: '', q: 'a123' });
    await page.waitForURL((url) => url.searchParams.get('q') === 'a123' && !url.searchParams.has('outcome'));
    await expectRows(page, [calls.ids.success]);

    await applyFilters(page, { q: '', agent: AGENTS.sales.id });
    await page.waitForURL((url) => url.searchParams.get('agent') === AGENTS.sales.id && !url.searchParams.has('q'));
    await expectRows(page, [calls.ids.failure]);

    // A filtered list is a link: opened afresh it shows the same rows.
    await page.goto(`${origin}/calls?outcome=success`);
    await expectRows(page, [calls.ids.xss, calls.ids.success]);

    // A row leads to its call.
    await page.goto(`${origin}/`);
    await expectRows(page, calls.newestFirst);
    await success.locator(`a[href="/calls/${calls.ids.success}"]`).first().click();
    await page.waitForURL(`${origin}/calls/${calls.ids.success}`);
    await page.locator('[data-testid=call-facts]').waitFor();

    expect(seen).toEqual({ dialogs: [], foreign: [], pageErrors: [], consoleErrors: [] });
    await page.close();
  });

  it('lists the calls on a phone without the page scrolling sideways', async () => {
    const page = await browser.newPage({ width: 390, height: 844 });
    const seen = watch(page);
    await page.goto(`${origin}/`);
    await expectRows(page, calls.newestFirst);
    await screenshot(page, 'list-phone');
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
    expect(widths.page).toBeLessThanOrEqual(widths.viewport);
    expect(seen).toEqual({ dialogs: [], foreign: [], pageErrors: [], consoleErrors: [] });
    await page.close();
  });

  it('shows a call\'s transcript and plays its MP3; clicking a turn (or Enter on it) plays from its time', async () => {
    const page = await browser.newPage({ width: 1280, height: 900 });
    const seen = watch(page);
    await page.goto(`${origin}/calls/${calls.ids.success}`);
    const turns = page.locator('ol[data-testid=transcript] li[data-testid=turn]');
    await turns.first().waitFor();
    expect(await turns.evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-time'))))).toEqual(calls.successTurnTimes);
    expect(await turns.evaluateAll((items) => items.map((item) => item.getAttribute('data-role')))).toEqual(['agent', 'user', 'agent', 'agent', 'user']);
    await expect(turns.nth(1).innerText()).resolves.toContain('I want to know where my order A123 is.');
    await expect(turns.nth(2).innerText()).resolves.toContain('lookup_order');
    await expect(page.locator('[data-testid=summary]').innerText()).resolves.toContain('Jordan called about order A123');
    await expect(page.locator('[data-testid=call-facts]').innerText()).resolves.toContain(AGENTS.support.name);
    await expect(page.locator('[data-testid=evaluation]').innerText()).resolves.toContain('order_status_given');
    await expect(page.locator('[data-testid=data-collection]').innerText()).resolves.toContain('Jordan');

    const audio = page.locator('audio[data-testid=audio]');
    expect(await audio.getAttribute('src')).toBe(audioPath(calls.ids.success));
    expect(await page.locator('a[data-testid=download-audio]').getAttribute('href')).toBe(`${audioPath(calls.ids.success)}?download=1`);
    expect(await page.locator('a[data-testid=download-transcription]').getAttribute('href')).toBe(`/calls/${calls.ids.success}/transcription.json`);

    // It plays: data for the current position at least, and time moves.
    await audio.evaluate((element: AudioElement) => element.play());
    await page.waitForFunction(() => {
      const element = document.querySelector('audio[data-testid=audio]') as AudioElement;
      return element.readyState >= 2 && element.currentTime > 0.2 && !element.paused;
    }, undefined, { timeout: 10_000 }).catch(() => undefined);
    const playing = await audioState(page);
    expect(playing).toMatchObject({ readyState: expect.any(Number), paused: false, error: null });
    expect(playing.readyState).toBeGreaterThanOrEqual(2);
    expect(playing.currentTime).toBeGreaterThan(0.2);
    expect(playing.duration).toBeCloseTo(22, 0);
    await audio.evaluate((element: AudioElement) => element.pause());

    // Forward, back, and from the keyboard: each lands on the turn's time, and that turn is the current one.
    for (const [time, how] of [[11, 'click'], [5, 'click'], [16, 'Enter']] as const) {
      const turn = page.locator(`li[data-testid=turn][data-time="${time}"]`);
      if (how === 'click') await turn.click();
      else {
        await turn.focus();
        await page.keyboard.press('Enter');
      }
      await page.waitForFunction((t) => {
        const element = document.querySelector('audio[data-testid=audio]') as AudioElement;
        return Math.abs(element.currentTime - t) < 0.5 && !element.seeking;
      }, time, { timeout: 5_000 }).catch(() => undefined);
      const state = await audioState(page);
      expect({ time, how, currentTime: state.currentTime, near: Math.abs(state.currentTime - time) < 0.5 }).toEqual({ time, how, currentTime: state.currentTime, near: true });
      expect({ time, paused: state.paused }).toEqual({ time, paused: false });
      await page.waitForFunction((t) => document.querySelector(`li[data-testid=turn][aria-current="true"]`)?.getAttribute('data-time') === String(t), time, { timeout: 3_000 }).catch(() => undefined);
      expect(await page.locator('li[data-testid=turn][aria-current="true"]').evaluateAll((items) => items.map((item) => item.getAttribute('data-time')))).toEqual([String(time)]);
    }
    await audio.evaluate((element: AudioElement) => element.pause());
    await screenshot(page, 'call');

    // ElevenLabs' own example MP3 (speech) plays too.
    await page.goto(`${origin}/calls/${calls.ids.web}`);
    await page.locator('audio[data-testid=audio]').evaluate((element: AudioElement) => element.play());
    await page.waitForFunction(() => (document.querySelector('audio[data-testid=audio]') as AudioElement).currentTime > 0.2, undefined, { timeout: 10_000 }).catch(() => undefined);
    const web = await audioState(page);
    expect(web.error).toBeNull();
    expect(web.readyState).toBeGreaterThanOrEqual(2);
    expect(web.duration).toBeCloseTo(calls.webAudio.length * 8 / 32_000, 0);
    expect(web.currentTime).toBeGreaterThan(0.2);

    // A call that never connected says so once, with why (no empty conversation, audio or analysis sections).
    await page.goto(`${origin}/calls/${calls.ids.notConnected}`);
    await expect(page.locator('[data-testid=never-connected]').innerText()).resolves.toMatch(/never connected/);
    expect(await page.locator('audio').count()).toBe(0);
    expect(await page.getByText(/never connected/).count()).toBe(1);

    expect(seen).toEqual({ dialogs: [], foreign: [], pageErrors: [], consoleErrors: [] });
    await page.close();
  });

  it('draws the analytics charts with the same numbers as `npm run calls -- stats` for the same filters', async () => {
    for (const [query, args] of [['since=2d', ['--since', '2d']], [`since=2d&agent=${AGENTS.support.id}`, ['--since', '2d', '--agent', AGENTS.support.id]]] as const) {
      const cli = await app.local.run('bin/calls.ts', 'stats', '--json', ...args);
      expect(cli.code).toBe(0);
      const [{ stats }] = JSON.parse(cli.stdout);
      const answer = await consoleGet(`/analytics.json?${query}&tz=Europe/Paris`);
      expect(answer.status).toBe(200);
      expect({ query, stats: JSON.parse(answer.body.toString()).stats }).toEqual({ query, stats });
    }

    const cli = await app.local.run('bin/calls.ts', 'stats', '--json', '--since', '2d');
    const [{ stats }] = JSON.parse(cli.stdout);
    expect(stats.calls).toBe(5);
    const page = await browser.newPage({ width: 1280, height: 900 });
    const seen = watch(page);
    const fetched = page.waitForResponse((response) => new URL(response.url()).pathname === '/analytics.json');
    await page.goto(`${origin}/analytics?since=2d`);
    // The numbers the page itself fetched are those of `calls stats` (its time zone the browser's).
    const pageAnswer = await fetched;
    expect(new URL(pageAnswer.url()).searchParams.get('tz')).toBe('Europe/Paris');
    expect((await pageAnswer.json()).stats).toEqual(stats);

    await page.locator('[data-testid=stat-calls]').waitFor();
    const tile = async (name: string) => (await page.locator(`[data-testid=stat-${name}]`).innerText()).trim();
    expect(await tile('calls')).toBe(String(stats.calls));
    const mss = (s: number) => `${Math.floor(Math.round(s) / 60)}:${String(Math.round(s) % 60).padStart(2, '0')}`;
    expect(await tile('p50')).toBe(mss(stats.duration_secs.p50));
    expect(await tile('p90')).toBe(mss(stats.duration_secs.p90));
    expect(await tile('success-rate')).toContain(`${Math.round(stats.call_successful.success_rate * 1000) / 10}%`);
    expect((await tile('cost')).replace(/[^\d]/g, '')).toBe(String(stats.total_cost));

    const names = ['calls-per-day', 'duration', 'cost-per-day', 'success-rate', 'termination-reasons', 'channels', 'top-numbers', 'evaluation', ...Object.keys(stats.data_collection).map((field) => `data-collection-${field}`)];
    for (const name of names) {
      const canvas = `figure[data-testid="chart-${name}"] canvas`;
      await page.locator(canvas).waitFor({ timeout: 5_000 });
      // Chart.js animates: wait for the first pixels rather than a fixed time.
      await page.waitForFunction((selector) => {
        const element = document.querySelector(selector) as CanvasElement | null;
        const context = element?.getContext('2d');
        if (!element || !context || !element.width || !element.height) return false;
        const data = context.getImageData(0, 0, element.width, element.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
        return false;
      }, canvas, { timeout: 5_000 }).catch(() => undefined);
      expect({ name, drawn: (await drawnPixels(page, canvas)) > 100 }).toEqual({ name, drawn: true });
    }
    // The tables beside the charts carry the same numbers.
    const tableText = (name: string) => page.locator(`figure[data-testid="chart-${name}"] table`).evaluate((table) => table.textContent ?? '');
    for (const [channel, count] of Object.entries(stats.channels as Record<string, number>)) {
      expect(await tableText('channels')).toContain(channel);
      expect(await tableText('channels')).toContain(String(count));
    }
    for (const reason of Object.keys(stats.termination_reasons)) expect(await tableText('termination-reasons')).toContain(reason);
    for (const { number } of stats.top_numbers as { number: string }[]) expect((await tableText('top-numbers')).replace(/[\s()-]/g, '')).toContain(number.replace(/[\s()-]/g, ''));
    await screenshot(page, 'analytics');
    expect(seen).toEqual({ dialogs: [], foreign: [], pageErrors: [], consoleErrors: [] });
    await page.close();
  });

  it('shows markup in every field of a call as text, running none of it (even with the CSP off)', async () => {
    // The CSP would block inline handlers anyway: with it bypassed, only the escaping stands between the payload and the page.
    const unguarded = await launchChromium({ bypassCSP: true });
    try {
      const page = await unguarded.newPage({ width: 1280, height: 900 });
      const seen = watch(page);
      const injected = () =>
        page.evaluate(() => ({
          images: document.querySelectorAll('img[src="x"]').length,
          svgs: document.querySelectorAll('svg[onload]').length,
          scripts: [...document.querySelectorAll('script')].map((script) => script.getAttribute('src')),
          handlers: [...document.querySelectorAll('*')].flatMap((element) => [...element.attributes].filter((attribute) => attribute.name.startsWith('on')).map((attribute) => `${element.tagName} ${attribute.name}`)),
        }));
      const clean = { images: 0, svgs: 0, scripts: ['/assets/console.js'], handlers: [] };

      await page.goto(`${origin}/calls/${calls.ids.xss}`);
      await page.locator('ol[data-testid=transcript] li[data-testid=turn]').first().waitFor();
      // Folded sections opened, so what they hold is rendered too.
      await page.locator('details').evaluateAll((all) => all.forEach((details) => ((details as { open: boolean }).open = true)));
      await screenshot(page, 'xss-call');
      // An injected handler would have fired by now (the image's error comes at once).
      await page.waitForTimeout(300);
      expect(seen.dialogs).toEqual([]);
      expect(await injected()).toEqual(clean);
      const text = (await page.locator('body').textContent()) ?? '';
      for (const field of ['title', 'summary', 'agent', 'message', 'tool', 'value', 'rationale', 'variable']) expect({ field, shown: text.includes(xss(field)) }).toEqual({ field, shown: true });
      for (const field of ['title', 'summary', 'message', 'tool', 'value']) {
        expect({ field, visible: await page.getByText(xss(field)).first().isVisible() }).toEqual({ field, visible: true });
      }

      await page.goto(`${origin}/`);
      await expectRows(page, calls.newestFirst);
      await expect(page.locator(`tr[data-testid=call-row][data-conversation-id="${calls.ids.xss}"]`).innerText()).resolves.toContain(xss('title'));
      expect(await injected()).toEqual(clean);

      await page.goto(`${origin}/analytics?since=2d`);
      await page.locator('figure[data-testid="chart-data-collection-caller_name"]').waitFor();
      expect(await page.locator('figure[data-testid="chart-data-collection-caller_name"] table').evaluate((table) => table.textContent)).toContain(xss('value'));
      expect(await injected()).toEqual(clean);

      await page.waitForTimeout(300);
      expect(seen).toEqual({ dialogs: [], foreign: [], pageErrors: [], consoleErrors: [] });
    } finally {
      await unguarded.close();
    }
  });
});
