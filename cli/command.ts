/**
 * The contract between `cli/main.ts` and each subcommand. A command parses its own
 * arguments, writes through `io`, and returns its exit code; it throws `UsageError` for
 * bad arguments and lets every other error reach main's single catch.
 */

export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** The CLI's clock; `check --now` replaces it. */
  now(): Date;
  /** True when stderr is a terminal: live progress is shown only then. */
  isTTY?: boolean;
}

export interface Command {
  name: string;
  /** One line for `credrot --help`. */
  summary: string;
  /** The full `credrot <name> --help` text. */
  help: string;
  run(args: string[], io: CommandIo): Promise<number>;
}

/** Bad command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Node's parseArgs errors, reduced to their first sentence (the rest is boilerplate). */
export function usageErrorFrom(error: unknown, command: string): UsageError | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  const first = String((error as Error).message)
    .split(/\.\s/)[0]!
    .replace(/\.$/, '');
  return new UsageError(`${first} (see 'credrot ${command} --help')`);
}
