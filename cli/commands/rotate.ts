/**
 * `credrot rotate`: run the rotation protocol for named credentials or every due one,
 * with live progress on a terminal, a table at the end, or JSON.
 */
import {
  type RotationOutcome,
  rotate,
  type StepEvent,
  safeMessage,
} from '../../shared/rotation/engine.js';
import { mapBounded } from '../../shared/rotation/fleet.js';
import { type Command, type CommandIo, parseCommandArgs, UsageError } from '../command.js';
import { renderOutcomes } from '../render/rotation.js';
import { leaseHolder, rotationContext } from '../rotation-context.js';
import { runPlan } from './plan.js';

const HELP = `Usage: credrot rotate <name...> [options]
       credrot rotate --all-due [options]

Rotate credentials: lease, recover orphans, mint, stage as pending, verify the new value
at its source, push it to every sink (reading it back where the API allows), promote it
to current, and retire the old value after its grace period (at once with --reason leak).
A credential that is not due is left alone unless --force is given. Two runs on one
credential never both rotate it: the second reports "in progress" and exits cleanly.

Options:
  -c, --config <file>     configuration file (default: $CREDROT_CONFIG, else ./credrot.config.yaml)
      --all-due           every configured credential that is due (instead of names)
      --force             rotate even when not due
      --reason <reason>   expiry (default), manual, or leak: retire the old value at once
      --dry-run           print the plan (as credrot plan) and change nothing
      --concurrency <n>   credentials rotated at once (default 4)
      --json              machine-readable output
  -h, --help              show this help

Exit codes:
  0  every credential is rotated, resumed, not due, or being rotated by another run
  1  at least one rotation failed or was rolled back (every consumer still holds a
     working value; the output says why and the next run retries)
  2  configuration or usage error

Secret values are never printed: only SHA-256 fingerprints (first 8 hex characters).
`;

export const rotateCommand: Command = {
  name: 'rotate',
  summary: 'rotate named or due credentials, crash-safe',
  help: HELP,
  run: runRotate,
};

async function runRotate(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(
    rotateCommand,
    args,
    io,
    {
      config: { type: 'string', short: 'c' },
      'all-due': { type: 'boolean' },
      force: { type: 'boolean' },
      reason: { type: 'string' },
      'dry-run': { type: 'boolean' },
      concurrency: { type: 'string' },
      json: { type: 'boolean' },
    },
    true,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const all = values['all-due'] === true;
  if (all === positionals.length > 0)
    throw new UsageError(
      "name the credentials to rotate, or pass --all-due (see 'credrot rotate --help')",
    );
  const reason = values.reason ?? 'expiry';
  if (reason !== 'expiry' && reason !== 'manual' && reason !== 'leak')
    throw new UsageError(`--reason must be expiry, manual or leak, not '${reason}'`);
  const concurrency = Number(values.concurrency ?? 4);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new UsageError('--concurrency must be a whole number from 1 to 64');
  if (values['dry-run']) {
    return runPlan(io, {
      config: values.config,
      names: positionals,
      all,
      force: values.force === true,
      leak: reason === 'leak',
      json: values.json === true,
    });
  }

  const ctx = await rotationContext(io, values.config, positionals, all);
  const progress = liveProgress(io, values.json !== true);
  const holder = leaseHolder('cli');
  const outcomes = await mapBounded(
    ctx.credentials,
    concurrency,
    async (credential) => {
      const target = await ctx.target(credential);
      return rotate(target, {
        trigger: 'cli',
        holder,
        now: io.now,
        reason,
        ...(values.force || reason !== 'expiry' ? { force: true } : {}),
        onStep: progress.onStep,
      });
    },
    (credential, error): RotationOutcome => ({
      credential: credential.name,
      result: 'failed',
      steps: [],
      error: safeMessage(error),
      errorName: error instanceof Error ? error.name : 'Error',
    }),
  );
  progress.done();
  io.stdout(values.json ? `${JSON.stringify({ outcomes }, null, 2)}\n` : renderOutcomes(outcomes));
  return outcomes.some((o) => o.result === 'failed' || o.result === 'rolled-back') ? 1 : 0;
}

/** One line on stderr per credential step when attached to a terminal. */
function liveProgress(
  io: CommandIo,
  enabled: boolean,
): { onStep: (e: StepEvent) => void; done: () => void } {
  const tty = enabled && io.isTTY === true;
  return {
    onStep: (e) => {
      if (!tty) return;
      const mark =
        e.status === 'started'
          ? '…'
          : e.status === 'done'
            ? '✓'
            : e.status === 'skipped'
              ? '-'
              : '✗';
      io.stderr(
        `  ${e.credential}: ${e.step} ${mark}${e.status === 'failed' && e.detail ? ` ${e.detail}` : ''}\n`,
      );
    },
    done: () => {},
  };
}
