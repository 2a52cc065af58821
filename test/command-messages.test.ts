import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainReadError, resolveTarget } from '../lib/calls/calls-target';
import { parseTimeRange } from '../lib/calls/time-bounds';
import { parseCommandLine, UsageError } from '../lib/cli';
import { resolvePayload, sendWebhook } from '../lib/send-webhook';
import { freePort } from './support/local-server-process';

/* The messages a person gets when a command cannot do what was asked. */

describe('parseCommandLine', () => {
  const options = { since: { type: 'string' }, json: { type: 'boolean' } } as const;

  it('names an unknown option in one line, as a usage error', () => {
    const parse = () => parseCommandLine({ args: ['list', '--bogus'], allowPositionals: true, options });
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(/^Unknown option '--bogus'\.$/);
  });

  it('names an option missing its value, or given one it does not take', () => {
    expect(() => parseCommandLine({ args: ['--since'], options })).toThrow(new UsageError("Option '--since <value>' argument missing."));
    expect(() => parseCommandLine({ args: ['--json=yes'], options })).toThrow(UsageError);
  });

  it('reads a good command line as parseArgs does', () => {
    expect(parseCommandLine({ args: ['list', '--since', '7d', '--json'], allowPositionals: true, options })).toMatchObject({ values: { since: '7d', json: true }, positionals: ['list'] });
  });
});

describe('parseTimeRange', () => {
  const now = new Date('2026-01-10T00:00:00Z');

  it('refuses a --since after --until before anything is read, saying so', () => {
    expect(() => parseTimeRange('1d', '7d', now)).toThrow(UsageError);
    expect(() => parseTimeRange('1d', '7d', now)).toThrow('--since 1d (2026-01-09T00:00Z) is after --until 7d (2026-01-03T00:00Z): no call can match.');
  });

  it('takes a range in order, either end alone, or none', () => {
    expect(parseTimeRange('7d', '1d', now)).toEqual({ since: Date.parse('2026-01-03T00:00:00Z') / 1000, until: Date.parse('2026-01-09T00:00:00Z') / 1000 });
    expect(parseTimeRange('2026-01-01', '2026-01-01', now).until! - parseTimeRange('2026-01-01', '2026-01-01', now).since!).toBe(86_399);
    expect(parseTimeRange(undefined, undefined, now)).toEqual({ since: undefined, until: undefined });
  });

  it('reports an unreadable time as a usage error', () => {
    expect(() => parseTimeRange('yesterday', undefined, now)).toThrow(UsageError);
  });
});

describe('explainReadError', () => {
  const LOCAL = 'local emulators (DynamoDB 127.0.0.1:4567, S3 127.0.0.1:4568)';
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4567'), { code: 'ECONNREFUSED' });

  it('asks whether npm start is running only when the emulators refuse the connection', () => {
    expect(explainReadError(refused, LOCAL, true)).toBe(`Nothing answers at the ${LOCAL}: is npm start running? (--stack NAME reads a deployed stack.)`);
  });

  it('describes the emulators without the hint, so no other message carries it', async () => {
    const target = await resolveTarget({}, { DYNAMODB_PORT: '4567', S3_PORT: '4568' });
    expect(target.description).toBe(LOCAL);
    target.dynamodb.destroy();
    target.s3.destroy();
  });

  it('gives any other error of the emulators by name and message, without the hint', () => {
    const invalid = Object.assign(new Error('Invalid KeyConditionExpression'), { name: 'ValidationException' });
    expect(explainReadError(invalid, LOCAL, true)).toBe(`Could not read calls from ${LOCAL}: ValidationException: Invalid KeyConditionExpression`);
  });

  it('says which AWS credentials are needed when none are found', () => {
    const error = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(explainReadError(error, 'stack calls', false, {})).toBe('Cannot read stack calls: no AWS credentials: Could not load credentials from any providers.\nSet AWS_PROFILE to a profile made by aws configure (or aws sso login), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.');
  });

  it('says to set a region when none is found', () => {
    expect(explainReadError(new Error('Region is missing'), 'table calls', false, {})).toMatch(/^Cannot read table calls: no AWS region\.\nSet AWS_REGION .*aws configure; AWS_PROFILE picks the profile/);
  });

  it('names the profile it looked in', () => {
    expect(explainReadError(new Error('Region is missing'), 'table calls', false, { AWS_PROFILE: 'work' })).toMatch(/^Cannot read table calls: no AWS region \(AWS_PROFILE=work\)\.\n/);
  });
});

describe('npm run send', () => {
  let dir: string;
  let initCwd: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'send-payload-'));
    initCwd = process.env.INIT_CWD;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (initCwd === undefined) delete process.env.INIT_CWD;
    else process.env.INIT_CWD = initCwd;
  });

  it('reads a relative path from the folder the command was typed in (INIT_CWD), not the project root', () => {
    writeFileSync(join(dir, 'my-call.json'), '{"type":"post_call_transcription"}');
    process.env.INIT_CWD = dir;
    expect(resolvePayload('my-call.json')).toEqual({ body: Buffer.from('{"type":"post_call_transcription"}'), source: join(dir, 'my-call.json') });
  });

  it('still finds a bundled example by name, and names the path it looked for otherwise', () => {
    process.env.INIT_CWD = dir;
    expect(resolvePayload('post_call_audio').source).toMatch(/test\/fixtures\/elevenlabs\/post_call_audio\.json$/);
    expect(() => resolvePayload('missing.json')).toThrow(`No file ${join(dir, 'missing.json')}, and no bundled example named missing.json.`);
  });

  it('says nothing is listening at the URL, and asks about npm start and --url', async () => {
    const url = `http://127.0.0.1:${await freePort()}/elevenlabs/webhook`;
    await expect(sendWebhook({ url, secret: 'wsec_x', body: Buffer.from('{}') })).rejects.toThrow(`Nothing is listening at ${url}: is npm start running (or is --url right)?`);
  });
});
