import { parseCommandLine, runCli, UsageError } from '../lib/cli';
import { findCallsPage } from '../lib/calls/calls-page';
import { describeTargetOptions, explainReadError, resolveTarget, type CallsTarget } from '../lib/calls/calls-target';
import { startConsoleServer } from '../lib/console/server';
import { localPorts } from '../lib/local/local-settings';
import { terminalText } from '../lib/terminal-text';

const USAGE = `Usage: npm run console -- [--stack NAME | --table NAME --bucket NAME]

  The web console (calls, one page per call with its transcript and audio, analytics), read-only,
  at http://127.0.0.1:3001/ (CONSOLE_PORT; CONSOLE_HOST to listen beyond this machine, which then
  requires the token it prints).

  Where:  the local emulators of a running npm start (default; npm start serves this console too),
          or --stack NAME / --table NAME --bucket NAME for a deployed stack, with your usual AWS
          credentials and region. It reads only: dynamodb:Query, GetItem and BatchGetItem on the
          table and its indexes, s3:GetObject and s3:ListBucket on the bucket (without it S3 answers
          403 for an object that is not there), and cloudformation:DescribeStacks for --stack.`;

async function main(): Promise<number> {
  const { values, positionals } = parseCommandLine({
    allowPositionals: true,
    options: { stack: { type: 'string' }, table: { type: 'string' }, bucket: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length) throw new UsageError(`The console takes no ${positionals[0]}: only where to read.`);
  if (values.bucket && !values.table) throw new UsageError('--bucket goes with --table (a stack names its own).');
  const { consolePort } = localPorts(process.env);
  let target: CallsTarget | undefined;
  try {
    target = await resolveTarget(values);
    // One small read first, so missing credentials, a missing stack or permission are said now, not on the first page.
    await findCallsPage(target, {}, { pageSize: 1 });
  } catch (error) {
    console.error(terminalText(explainReadError(error, target?.description ?? describeTargetOptions(values), target?.local ?? !(values.stack || values.table)), 'keep'));
    return 1;
  }
  const server = await startConsoleServer({ target, host: process.env.CONSOLE_HOST || '127.0.0.1', port: consolePort }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    console.error(`Port ${consolePort} is taken${target?.local ? ': npm start serves this console already, at http://127.0.0.1:' + consolePort + '/' : ''}. Set CONSOLE_PORT to another port, or stop the other process.`);
    return undefined;
  });
  if (!server) return 1;
  console.log(`Console: ${server.url}\n  reading ${terminalText(target.description)}${server.token ? '\n  listening beyond this machine: the URL carries the token it needs' : ''}\nStop: Ctrl-C`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

runCli(main, USAGE);
