/** The shared frame of the CLIs: `--help` prints the usage and exits 0; a failure prints one line and exits 1. */

/** A wrong invocation: the message is followed by the usage. */
export class UsageError extends Error {}

export function helpRequested(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/**
 * Runs `main` with the process arguments. `--help`/`-h` → the usage on stdout, exit code 0, `main` not run.
 * An error → `{name}: {message}` on stderr (plus the usage for a UsageError), exit code 1.
 */
export function runCli(name: string, usage: string, main: (args: string[]) => Promise<void>): void {
  const args = process.argv.slice(2);
  if (helpRequested(args)) {
    console.log(usage);
    return;
  }
  main(args).catch((error: unknown) => {
    console.error(`${name}: ${(error as Error).message}`);
    if (error instanceof UsageError) console.error(usage);
    process.exitCode = 1;
  });
}
