/**
 * The `credrot` command: dispatches to a subcommand and is the one place where errors
 * become output. Every error prints as `credrot: <message>` without a stack trace
 * (`CREDROT_DEBUG=1` adds it) and exits 2.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../shared/errors.js';
import { type Command, type CommandIo, UsageError } from './command.js';

/**
 * Every subcommand, in `--help` order, loaded only when it runs: `rotate` pulls in the
 * GitLab, GitHub, AWS and GCP SDKs, which `check --offline` must not pay for. To add one
 * (`invoke`), write `cli/commands/<name>.ts` exporting a `Command` and list it here.
 */
const COMMANDS: ReadonlyArray<{ name: string; load: () => Promise<Command> }> = [
  { name: 'check', load: async () => (await import('./commands/check.js')).checkCommand },
  { name: 'plan', load: async () => (await import('./commands/plan.js')).planCommand },
  { name: 'rotate', load: async () => (await import('./commands/rotate.js')).rotateCommand },
  { name: 'status', load: async () => (await import('./commands/status.js')).statusCommand },
  { name: 'invoke', load: async () => (await import('./commands/invoke.js')).invokeCommand },
];

const EXIT_USAGE = 2;

/** The overview; loads every command for its summary (help is rare, a run is not). */
async function mainHelp(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((entry) => entry.load()));
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'credrot — rotate CI/CD credentials before they expire',
    '',
    'Usage: credrot <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options:',
    "  -h, --help     show this help, or a command's help: credrot <command> --help",
    '  -V, --version  print the version',
    '',
    'Exit codes:',
    '  0  success; for check: every credential is ok',
    '  1  check: at least one warning or credential without expiry information',
    '  2  check: critical, expired or not-yet-valid credential or unreadable input;',
    '     any command: configuration error, usage error or failure',
    '',
    'Environment:',
    '  CREDROT_CONFIG  configuration file (default ./credrot.config.yaml)',
    '  CREDROT_DEBUG   set to 1 to print stack traces of errors',
    '',
  ].join('\n');
}

/** Runs `credrot` with `argv` (without node and script); resolves to the exit code. */
export async function run(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined) {
      io.stderr(await mainHelp());
      return EXIT_USAGE;
    }
    if (first === '-h' || first === '--help' || first === 'help') {
      const topic = first === 'help' ? rest[0] : undefined;
      const entry = COMMANDS.find((candidate) => candidate.name === topic);
      if (topic !== undefined && !entry) throw unknownCommand(topic);
      io.stdout(entry ? (await entry.load()).help : await mainHelp());
      return 0;
    }
    if (first === '-V' || first === '--version') {
      io.stdout(`${version()}\n`);
      return 0;
    }
    if (first.startsWith('-')) {
      throw new UsageError(`unknown option '${first}' (see 'credrot --help')`);
    }
    const entry = COMMANDS.find((candidate) => candidate.name === first);
    if (!entry) throw unknownCommand(first);
    return await (await entry.load()).run(rest, io);
  } catch (error) {
    return report(error, io);
  }
}

function unknownCommand(name: string): UsageError {
  const names = COMMANDS.map((command) => command.name).join(', ');
  return new UsageError(`unknown command '${name}' (commands: ${names}; see 'credrot --help')`);
}

function report(error: unknown, io: CommandIo): number {
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`credrot: ${message}\n`);
  if (error instanceof ConfigError) {
    for (const problem of error.problems) {
      if (problem !== message) io.stderr(`  - ${problem}\n`);
    }
  }
  if (io.env['CREDROT_DEBUG'] === '1' && error instanceof Error && error.stack) {
    io.stderr(`${error.stack}\n`);
  }
  return EXIT_USAGE;
}

function version(): string {
  const packageJson: unknown = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  );
  const value = (packageJson as { version?: unknown }).version;
  return typeof value === 'string' ? value : 'unknown';
}

function processIo(): CommandIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    isTTY: process.stderr.isTTY === true,
  };
}

/** True when this module is the program (`tsx cli/main.ts`), not an import. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // exitCode, not exit(): let piped stdout drain.
  process.exitCode = await run(process.argv.slice(2));
}
