/** `credrot plan`: what is due and what a rotation would do, with no side effect. */
import { safeMessage } from '../../shared/rotation/engine.js';
import { mapBounded } from '../../shared/rotation/fleet.js';
import { type PlanEntry, planTarget } from '../../shared/rotation/plan.js';
import { type Command, type CommandIo, parseCommandArgs } from '../command.js';
import { renderPlan } from '../render/rotation.js';
import { rotationContext } from '../rotation-context.js';

const HELP = `Usage: credrot plan [name...] [options]

Show, for every configured credential (or the ones named), whether it is due and what a
rotation would do, step by step and sink by sink. Reads the stores and the source;
changes nothing.

Options:
  -c, --config <file>  configuration file (default: $CREDROT_CONFIG, else ./credrot.config.yaml)
      --force          plan as if every credential were due
      --json           machine-readable output
  -h, --help           show this help

Exit codes:
  0  nothing is blocked
  1  a rotation that is due would fail before changing anything (the output says why)
  2  configuration or usage error
`;

export const planCommand: Command = {
  name: 'plan',
  summary: 'show what is due and what rotating it would do (no changes)',
  help: HELP,
  run: runPlanCommand,
};

async function runPlanCommand(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(
    planCommand,
    args,
    io,
    {
      config: { type: 'string', short: 'c' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    true,
  );
  if (!parsed) return 0;
  return runPlan(io, {
    config: parsed.values.config,
    names: parsed.positionals,
    all: parsed.positionals.length === 0,
    force: parsed.values.force === true,
    leak: false,
    json: parsed.values.json === true,
  });
}

export interface PlanRequest {
  config: string | undefined;
  names: string[];
  all: boolean;
  force: boolean;
  leak: boolean;
  json: boolean;
}

/** Shared with `rotate --dry-run`. */
export async function runPlan(io: CommandIo, req: PlanRequest): Promise<number> {
  const ctx = await rotationContext(io, req.config, req.names, req.all);
  const entries = await mapBounded(
    ctx.credentials,
    4,
    async (credential) =>
      planTarget(await ctx.target(credential), { now: io.now(), force: req.force, leak: req.leak }),
    (credential, error): PlanEntry => ({
      credential: credential.name,
      kind: credential.kind,
      action: 'blocked',
      why: 'could not plan',
      steps: [],
      problems: [safeMessage(error)],
    }),
  );
  io.stdout(req.json ? `${JSON.stringify({ plan: entries }, null, 2)}\n` : renderPlan(entries));
  return entries.some((e) => e.action === 'blocked') ? 1 : 0;
}
