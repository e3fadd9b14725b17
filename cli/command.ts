/**
 * The contract between `cli/main.ts` and each subcommand. A command parses its own
 * arguments, writes through `io`, and returns its exit code; it throws `UsageError` for
 * bad arguments and lets every other error reach main's single catch.
 */

import { type ParseArgsConfig, parseArgs } from 'node:util';

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

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends OptionSpecs> = O & { help: { type: 'boolean'; short: 'h' } };

/**
 * Parses a command's arguments, adding `-h, --help`. Returns undefined once the help was
 * printed; bad arguments become one `UsageError` line that names the command.
 */
export function parseCommandArgs<const O extends OptionSpecs>(
  command: { name: string; help: string },
  args: string[],
  io: CommandIo,
  options: O,
  allowPositionals = false,
) {
  let parsed: ReturnType<
    typeof parseArgs<{
      args: string[];
      options: WithHelp<O>;
      allowPositionals: boolean;
      strict: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as WithHelp<O>,
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    throw usageErrorFrom(error, command.name) ?? error;
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout(command.help);
    return undefined;
  }
  return parsed;
}
