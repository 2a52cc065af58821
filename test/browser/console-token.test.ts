import { describeInBrowser, launchChromium } from './browser';
import { httpGet, nonLoopbackIPv4, startConsoleProcess, type ConsoleProcess } from './console-process';

/*
 * CONSOLE_HOST=0.0.0.0: the console listens beyond this machine, so it prints a token with its URL
 * and answers nothing without it; given once in the URL, a cookie carries it after.
 */

let app: ConsoleProcess;
let token: string;

beforeAll(async () => {
  app = await startConsoleProcess({ CONSOLE_HOST: '0.0.0.0' });
  token = new URL(app.consoleUrl).searchParams.get('token') ?? '';
}, 90_000);

afterAll(async () => {
  await app?.local.stop();
});

const get = (path: string, headers: Record<string, string> = {}, host = '127.0.0.1') => httpGet(host, app.consolePort, path, headers);

/** The cookie a Set-Cookie header sets, as a Cookie header sends it back. */
const cookieOf = (setCookie: string[] | string | undefined) => String([setCookie ?? []].flat()[0] ?? '').split(';')[0];

describe('the console beyond loopback (CONSOLE_HOST=0.0.0.0)', () => {
  it('prints a URL other machines can open (this machine\'s address, or 127.0.0.1 when it has none), carrying a token', () => {
    const external = nonLoopbackIPv4() ?? '127.0.0.1';
    expect(app.consoleUrl).toBe(`http://${external}:${app.consolePort}/?token=${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  });

  it('answers nothing without the token, or with a wrong one', async () => {
    for (const path of ['/', '/calls.json', '/analytics.json', '/assets/console.js', `/?token=${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`, '/?token=']) {
      const answer = await get(path);
      expect({ path, status: [401, 403].includes(answer.status) ? 'refused' : answer.status }).toEqual({ path, status: 'refused' });
      expect({ path, cookie: answer.headers['set-cookie'] }).toEqual({ path, cookie: undefined });
    }
  });

  const ip = nonLoopbackIPv4();
  (ip ? it : it.skip)(`is reached on this machine's other address${ip ? ` (${ip})` : ''}, and refuses it there too without the token`, async () => {
    const answer = await get('/calls.json', {}, ip);
    expect([401, 403]).toContain(answer.status);
  });

  it('takes the token once in the URL and sets an HttpOnly, SameSite=Strict cookie that opens the rest', async () => {
    const first = await get(`/calls?token=${encodeURIComponent(token)}`);
    expect([200, 302, 303]).toContain(first.status);
    const setCookie = String([first.headers['set-cookie'] ?? []].flat()[0] ?? '');
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const cookie = cookieOf(first.headers['set-cookie']);
    expect(cookie).toMatch(/=/);
    const json = await get('/calls.json', { Cookie: cookie });
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body.toString())).toMatchObject({ calls: [] });
    expect((await get('/', { Cookie: cookie })).status).toBe(200);
    expect((await get('/', { Cookie: `${cookie}x` })).status).not.toBe(200);
  });
});

describeInBrowser('the console beyond loopback, in Chromium', () => {
  it('opens from the printed URL, drops the token from the address bar, and keeps working by its cookie', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const origin = new URL(app.consoleUrl).origin;
      await page.goto(app.consoleUrl);
      await page.locator('[data-testid=empty]').waitFor();
      await expect(page.locator('[data-testid=empty]').innerText()).resolves.toContain('npm run send');
      expect(page.url()).not.toContain('token');
      // Another page, and its data, with no token in the URL: the cookie carries it.
      const data = page.waitForResponse((response) => new URL(response.url()).pathname === '/analytics.json');
      await page.goto(`${origin}/analytics`);
      expect((await data).status()).toBe(200);
      await page.locator('[data-testid=period-note]').waitFor();
      await page.locator('[data-testid=empty]').waitFor();
      // The cookie is the browser's alone: page scripts cannot read it.
      expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).toBe('');
    } finally {
      await browser.close();
    }
  });
});
