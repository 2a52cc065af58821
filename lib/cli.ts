import { parseArgs, type ParseArgsConfig } from 'node:util';
import { terminalText } from './terminal-text';

/* What the command-line entry points share: how they read options, how they end, and progress that stays out of pipes. */

/** A command line that cannot run as given: runCli prints the message, then the usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * parseArgs, with its errors (an unknown option, a missing or unwanted value) as a one-line
 * UsageError naming the option, instead of a TypeError.
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const { code, message } = error as { code?: unknown; message: string };
    // Node adds a tip about `--` for positionals after the first sentence: the usage says it better.
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) throw new UsageError(`${message.split('. ')[0].replace(/\.$/, '')}.`);
    throw error;
  }
}

/**
 * Runs a command's main and exits with its code. A UsageError ends it with its message and the
 * usage and code 2; any other error with its message and code 1. Messages may quote stored or
 * typed text, so they are printed as terminalText. The AWS SDK's notice about Node 20 (its
 * releases after January 2027 need Node 22; the lock file pins today's) is kept out of the output.
 */
export function runCli(main: () => Promise<number>, usage?: string): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      if (error instanceof UsageError) {
        console.error(usage ? `${terminalText(error.message)}\n\n${usage}` : terminalText(error.message));
        process.exit(2);
      }
      console.error(terminalText(`${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`, 'keep'));
      process.exit(1);
    },
  );
}

/** One line of progress on a terminal, rewritten in place; nothing when stderr is a pipe or a file. */
export const terminalProgress = {
  update(text: string): void {
    if (process.stderr.isTTY) process.stderr.write(`\r${text}\x1b[K`);
  },
  end(): void {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  },
};
