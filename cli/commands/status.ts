/** `credrot status <name>`: store versions and labels, sink fingerprints, lease holder. */
import { renderContext, safeMessage } from '../../shared/rotation/engine.js';
import type { StoredVersion } from '../../shared/rotation/types.js';
import { fingerprint } from '../../shared/util/fingerprint.js';
import { type Command, type CommandIo, parseCommandArgs, UsageError } from '../command.js';
import { rotationContext } from '../rotation-context.js';

const HELP = `Usage: credrot status <name...> [options]

Show where each named credential stands: the source's view of the current value, every
store's versions (current, pending, previous) and lease, and what each sink holds,
compared by fingerprint with the current value. Changes nothing.

Options:
  -c, --config <file>  configuration file (default: $CREDROT_CONFIG, else ./credrot.config.yaml)
      --json           machine-readable output
  -h, --help           show this help

Exit codes: 0 shown; 1 a sink holds a value that is neither current nor previous, or a
store has an interrupted rotation; 2 configuration or usage error.
`;

export const statusCommand: Command = {
  name: 'status',
  summary: "show a credential's versions, sinks and lease",
  help: HELP,
  run: runStatus,
};

interface VersionView {
  fingerprint: string;
  sourceId: number;
  expiresAt: string;
  mintedAt: string;
  versionId: string;
}

function view(v: StoredVersion | undefined): VersionView | undefined {
  if (!v) return undefined;
  return {
    fingerprint: fingerprint(v.value.token),
    sourceId: v.value.sourceId,
    expiresAt: v.value.expiresAt,
    mintedAt: v.value.mintedAt,
    versionId: v.versionId,
  };
}

async function runStatus(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(
    statusCommand,
    args,
    io,
    { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
    true,
  );
  if (!parsed) return 0;
  if (parsed.positionals.length === 0)
    throw new UsageError("name at least one credential (see 'credrot status --help')");
  const ctx = await rotationContext(io, parsed.values.config, parsed.positionals, false);
  const reports = [];
  let attention = false;
  for (const credential of ctx.credentials) {
    const target = await ctx.target(credential);
    const stores = [];
    let current: StoredVersion | undefined;
    let previous: StoredVersion | undefined;
    for (const store of target.stores) {
      try {
        const state = await store.read();
        current ??= state.current;
        previous ??= state.previous;
        if (state.pending) attention = true;
        const lease = await store.leaseInfo?.(io.now());
        stores.push({
          store: store.label,
          exists: state.exists,
          current: view(state.current),
          pending: view(state.pending),
          previous: view(state.previous),
          previousRetired: state.previousRetired,
          promotedAt: state.promotedAt?.toISOString(),
          lease: lease ? { holder: lease.holder, expiresAt: lease.expiresAt.toISOString() } : null,
        });
      } catch (err) {
        stores.push({ store: store.label, error: safeMessage(err) });
      }
    }
    const source = current
      ? await target.source
          .status(current.value)
          .catch((err: unknown) => ({ state: 'unknown', error: safeMessage(err) }))
      : undefined;
    const sinks = [];
    for (const sink of target.sinks) {
      try {
        const held = await sink.readBack();
        const rendered = (v: StoredVersion | undefined) =>
          v ? sink.render(renderContext(v.value, target.registry)) : undefined;
        const holds =
          held === undefined
            ? 'absent'
            : held === 'unreadable'
              ? 'unreadable (the API never returns values)'
              : held === rendered(current)
                ? 'current'
                : held === rendered(previous)
                  ? 'previous'
                  : 'UNKNOWN value';
        if (holds === 'UNKNOWN value' || holds === 'absent') attention = true;
        sinks.push({
          sink: sink.label,
          holds,
          fingerprint: held && held !== 'unreadable' ? fingerprint(held) : undefined,
        });
      } catch (err) {
        sinks.push({ sink: sink.label, error: safeMessage(err) });
      }
    }
    reports.push({ credential: credential.name, kind: credential.kind, source, stores, sinks });
  }
  if (parsed.values.json) io.stdout(`${JSON.stringify({ status: reports }, null, 2)}\n`);
  else io.stdout(renderStatus(reports));
  return attention ? 1 : 0;
}

function renderStatus(reports: Array<Record<string, unknown>>): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`${r['credential']} (${r['kind']})`);
    const source = r['source'] as { state: string; expiresAt?: string; error?: string } | undefined;
    lines.push(
      `  source: ${source ? `${source.state}${source.expiresAt ? `, expires ${source.expiresAt}` : ''}${source.error ? ` (${source.error})` : ''}` : 'no stored value yet'}`,
    );
    for (const s of r['stores'] as Array<Record<string, unknown>>) {
      lines.push(
        `  store ${s['store']}${s['error'] ? `: ${s['error']}` : s['exists'] === false ? ': not created yet' : ''}`,
      );
      for (const label of ['current', 'pending', 'previous'] as const) {
        const v = s[label] as VersionView | undefined;
        if (!v && label !== 'current') continue;
        const retired = label === 'previous' && s['previousRetired'] ? ', retired' : '';
        lines.push(
          `    ${label.padEnd(8)} ${v ? `${v.fingerprint}  token id ${v.sourceId}  expires ${v.expiresAt.slice(0, 10)}  minted ${v.mintedAt.slice(0, 16)}${retired}` : '-'}`,
        );
      }
      const lease = s['lease'] as { holder: string; expiresAt: string } | null | undefined;
      if (lease !== undefined)
        lines.push(
          `    lease    ${lease ? `held by ${lease.holder} until ${lease.expiresAt}` : 'free'}`,
        );
    }
    for (const k of r['sinks'] as Array<Record<string, unknown>>) {
      lines.push(
        `  sink ${k['sink']}: ${k['error'] ?? `${k['holds']}${k['fingerprint'] ? ` (${k['fingerprint']})` : ''}`}`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}`;
}
