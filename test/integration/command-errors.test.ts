import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../support/local-server-process';
import { toolCommand } from '../support/tool-bundles';

/*
 * `npm run calls` and `npm run send` as a user runs them when something is wrong: a mistyped
 * option, times the wrong way round, npm start not running, no AWS credentials. Nothing here
 * reaches AWS: credentials and region are taken away, instance metadata is off, and every AWS
 * endpoint points at a closed local port.
 */
const ROOT = join(__dirname, '..', '..');

let awsDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  awsDir = mkdtempSync(join(tmpdir(), 'no-aws-'));
  writeFileSync(join(awsDir, 'config'), '');
  writeFileSync(join(awsDir, 'credentials'), '');
  const closed = await freePort();
  env = { ...process.env, DYNAMODB_PORT: String(closed), S3_PORT: String(closed), PORT: String(closed) };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  Object.assign(env, {
    AWS_PROFILE: 'no-such-profile-for-tests',
    AWS_CONFIG_FILE: join(awsDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: `http://127.0.0.1:${closed}`,
  });
});

afterAll(() => rmSync(awsDir, { recursive: true, force: true }));

async function run(script: string, args: string[], extraEnv: Record<string, string> = {}) {
  return promisify(execFile)(...(await toolCommand(script, args)), { cwd: ROOT, env: { ...env, ...extraEnv } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('the npm scripts', () => {
  // The other tests start the tools bundled (test/support/tool-bundles.ts); users start them with
  // npm run, through tsx: that path works too.
  it('run the tools through tsx as the README says', async () => {
    for (const [script, usage] of [['calls', 'Usage: npm run calls'], ['send', 'Usage: npm run send']]) {
      const { stdout } = await promisify(execFile)('npm', ['run', '--silent', script, '--', '--help'], { cwd: ROOT, env });
      expect(stdout).toContain(usage);
    }
  });
});

describe('a command line that cannot run', () => {
  it('names an unknown option of calls in one line, then the usage, and exits 2', async () => {
    const result = await run('bin/calls.ts', ['list', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Unknown option '--bogus'\.\n\nUsage: npm run calls/);
    expect(result.stderr).not.toContain('TypeError');
  });

  it('says what is wrong with an unknown command, a show without an id, and a --url that is not one', async () => {
    const unknown = await run('bin/calls.ts', ['frobnicate']);
    expect([unknown.code, unknown.stderr.split('\n')[0]]).toEqual([2, "Unknown command 'frobnicate': list, show, stats, rebuild, sql or export."]);
    const show = await run('bin/calls.ts', ['show']);
    expect([show.code, show.stderr.split('\n')[0]]).toEqual([2, 'show needs the id of a call (the short id list prints, or the whole conversation id).']);
    const url = await run('bin/send.ts', ['post_call_audio', '--url', 'notaurl', '--secret', 'wsec_x']);
    expect([url.code, url.stderr.split('\n')[0]]).toEqual([2, '--url notaurl is not a URL: give it as https://host/elevenlabs/webhook.']);
  });

  it('does the same for send', async () => {
    const result = await run('bin/send.ts', ['post_call_audio', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Unknown option '--bogus'\.\n\nUsage: npm run send/);
  });

  it('refuses an option the command does not take instead of ignoring it: stats --limit, list --by-agent, show --limit', async () => {
    for (const [args, message] of [
      [['stats', '--limit', '5'], 'stats does not take --limit (list does).'],
      [['list', '--by-agent'], 'list does not take --by-agent (stats does).'],
      [['show', 'abc', '--limit', '2'], 'show does not take --limit (list does).'],
    ] as const) {
      const result = await run('bin/calls.ts', [...args]);
      expect([result.code, result.stderr.split('\n')[0]]).toEqual([2, message]);
      expect(result.stderr).toContain('\n\nUsage: npm run calls');
    }
  });

  it('says --since is after --until, before reading anything', async () => {
    const result = await run('bin/calls.ts', ['list', '--since', '1d', '--until', '7d']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^--since 1d \(.*\) is after --until 7d \(.*\): no call can match/);
    expect(result.stderr.split('\n')[0]).not.toMatch(/npm start|ValidationException/);
  });
});

describe('nowhere to read from', () => {
  it('asks whether npm start is running when nothing answers at the emulators', async () => {
    const result = await run('bin/calls.ts', ['stats']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`Nothing answers at the local emulators (DynamoDB 127.0.0.1:${env.DYNAMODB_PORT}, S3 127.0.0.1:${env.S3_PORT}): is npm start running? (--stack NAME reads a deployed stack.)\n`);
  });

  it.each([['--stack', 'calls-stack'], ['--table', 'calls-table']])('says to set a region and credentials for %s when there are none', async (option, name) => {
    const result = await run('bin/calls.ts', ['list', option, name]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^Cannot read (stack|table) ${name}: no AWS region \\(AWS_PROFILE=no-such-profile-for-tests\\)\\.\\nSet AWS_REGION .*\\n$`));
    expect(result.stderr).not.toMatch(/ProviderError|\s+at /);
  });

  it('has the console say the same before it serves anything: nothing running, no region, no credentials', async () => {
    const local = await run('bin/console.ts', []);
    expect([local.code, local.stderr]).toEqual([1, expect.stringMatching(/^Nothing answers at the local emulators .*: is npm start running\?/)]);
    const region = await run('bin/console.ts', ['--stack', 'calls-stack']);
    expect([region.code, region.stderr]).toEqual([1, expect.stringMatching(/^Cannot read stack calls-stack: no AWS region/)]);
    const credentials = await run('bin/console.ts', ['--table', 'calls-table', '--bucket', 'b'], { AWS_REGION: 'eu-west-1' });
    expect([credentials.code, credentials.stderr]).toEqual([1, expect.stringMatching(/^Cannot read table calls-table: no AWS credentials/)]);
    expect(`${local.stdout}${region.stdout}${credentials.stdout}`).not.toContain('Console:');
  });

  it('has the console name a missing stack, and a missing permission with the ones it needs', async () => {
    // AWS as far as these two answers go: CloudFormation knows no such stack, DynamoDB denies the Query.
    const aws = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (String(req.headers['x-amz-target'] ?? '').startsWith('DynamoDB_')) {
          res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', message: 'User: arn:aws:iam::123456789012:user/reviewer is not authorized to perform: dynamodb:Query on resource: calls-table/index/by_month' }));
        } else {
          res.writeHead(400, { 'Content-Type': 'text/xml' });
          res.end('<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id Nope does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>');
        }
      });
    });
    await new Promise<void>((resolve) => aws.listen(0, '127.0.0.1', resolve));
    const signedIn = { AWS_PROFILE: '', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL: `http://127.0.0.1:${(aws.address() as AddressInfo).port}` };
    try {
      const stack = await run('bin/console.ts', ['--stack', 'Nope'], signedIn);
      expect([stack.code, stack.stderr]).toEqual([1, 'Could not read calls from stack Nope: ValidationError: Stack with id Nope does not exist\n']);
      const denied = await run('bin/console.ts', ['--table', 'calls-table', '--bucket', 'b'], signedIn);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/^Not allowed to read table calls-table: User: .* is not authorized to perform: dynamodb:Query .*\nReading calls takes dynamodb:Query, GetItem and BatchGetItem on the table and its indexes, and s3:GetObject and s3:ListBucket on the bucket/);
    } finally {
      await new Promise((resolve) => aws.close(resolve));
    }
  });

  it('says which credentials are needed when a region is set but no credentials are found', async () => {
    const result = await run('bin/calls.ts', ['show', 'abc', '--table', 'calls-table'], { AWS_REGION: 'eu-west-1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Cannot read table calls-table: no AWS credentials \(AWS_PROFILE=no-such-profile-for-tests\): .*\.\nSet AWS_PROFILE to a profile made by aws configure \(or aws sso login\), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\.\n$/);
  });

  it('says nothing is listening when send finds no receiver', async () => {
    const result = await run('bin/send.ts', ['post_call_audio', '--secret', 'wsec_test']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`Nothing is listening at http://localhost:${env.PORT}/elevenlabs/webhook: is npm start running (or is --url right)?\n`);
  });
});
