/* What the command-line entry points share: how they end, and progress that stays out of pipes. */

/**
 * Runs a command's main and exits with its code; an error ends it with its message and code 1.
 * The AWS SDK's notice about Node 20 (its releases after January 2027 need Node 22; the lock file
 * pins today's) is kept out of the output.
 */
export function runCli(main: () => Promise<number>): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`);
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
