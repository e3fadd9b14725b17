/**
 * `credrot check`'s discovery: the tokens of a whole GitLab instance that expire within
 * the warning threshold and that no credential of this configuration rotates, which are
 * the ones that break a pipeline on a Monday morning.
 *
 * One paginated stream, filtered on the server (shared/discovery/gitlab-instance.ts):
 * `expires_before` is the day after now + the warning threshold, so a check costs about
 * one call per hundred tokens near expiry, whatever the size of the instance.
 *
 * A token is left out when a credential of this configuration rotates it: it carries
 * credrot's marker naming that credential (every token credrot minted does), or, before
 * its first rotation, it is the token a credential names by numeric project or group id
 * and token name. A value stored by hand under a project path is recognised from its
 * first rotation on.
 */
import type { Connections } from '../config/connections.js';
import type { Config, Discovery } from '../config/load.js';
import { type DiscoveredToken, discoverInstanceTokens } from '../discovery/gitlab-instance.js';
import { describeEvaluation } from '../expiry/describe.js';
import { evaluate } from '../expiry/policy.js';
import { readGitLabToken } from '../expiry/readers/gitlab-token.js';
import { REASONS } from '../expiry/reasons.js';
import { layeredThresholds, type Thresholds } from '../expiry/types.js';
import { parseMarker } from '../sources/gitlab/marker.js';
import { explainFailure, through } from './failure.js';
import type { Finding } from './finding.js';

const DAY_MS = 86_400_000;

export interface DiscoveryCheckOptions {
  now: Date;
  /** Command-line overrides (`--warn`, `--critical`), ahead of the entry's own. */
  thresholds?: Partial<Thresholds>;
}

/** Findings for every discovery entry; a failed entry is one `unknown` finding. */
export async function checkDiscovery(
  config: Config,
  connections: Connections,
  options: DiscoveryCheckOptions,
): Promise<Finding[]> {
  const perEntry = await Promise.all(
    config.discovery.map((entry) => checkEntry(entry, config, connections, options)),
  );
  return perEntry.flat();
}

async function checkEntry(
  entry: Discovery,
  config: Config,
  connections: Connections,
  options: DiscoveryCheckOptions,
): Promise<Finding[]> {
  const base = (config.connections.gitlab[entry.connection]?.url ?? '').replace(/\/$/, '');
  const thresholds = layeredThresholds(
    options.thresholds,
    entry.thresholds,
    config.defaults.thresholds,
  );
  // GitLab's filter is `expires_at < date`; a token expiring on day D is dead from D 00:00Z.
  const horizon = new Date(options.now.getTime() + thresholds.warningMs + DAY_MS);
  const ref = { type: 'gitlab' as const, name: entry.connection };
  let tokens: DiscoveredToken[];
  try {
    const { client } = await through(ref, () => connections.gitlab(entry.connection));
    const found = await through(ref, () =>
      discoverInstanceTokens({ client, expiresBefore: horizon.toISOString().slice(0, 10) }),
    );
    tokens = found.tokens;
  } catch (error) {
    return [
      {
        name: entry.name,
        kind: entry.kind,
        location: base || `gitlab:${entry.connection}`,
        subject: '-',
        status: 'unknown',
        due: false,
        reason: REASONS.Unreadable,
        fingerprint: '-',
        error: explainFailure(error, config.connections),
      },
    ];
  }

  const managed = managedTokens(config, entry.connection);
  const findings: Finding[] = [];
  for (const token of tokens) {
    const minted = parseMarker(token.description);
    if (minted && managed.names.has(minted.credential)) continue;
    if (managed.byOwner.has(ownerKey(token.owner, token.name))) continue;
    const window = readGitLabToken({
      id: token.id,
      name: token.name,
      created_at: token.createdAt ?? null,
      expires_at: token.expiresAt,
      active: true,
    });
    const evaluation = evaluate(window, options.now, thresholds, config.defaults.renewBefore);
    if (evaluation.status === 'ok') continue;
    const finding: Finding = {
      name: entry.name,
      kind: `gitlab-${token.owner.kind}-access-token`,
      // As a watcher's file#member: where the token lives, then which token it is.
      location: `${base} (${ownerLabel(token.owner)})#${token.name}`,
      subject: window.subject,
      status: evaluation.status,
      due: evaluation.due,
      reason: evaluation.reason,
      fingerprint: '-',
      note: [
        describeEvaluation(window, evaluation, options.now),
        `scopes ${token.scopes.join(', ') || '(none)'}`,
        minted
          ? `minted by credrot for credential '${minted.credential}', which this configuration does not define`
          : 'no credential of this configuration rotates it: add one, or renew it in GitLab before it expires',
      ].join('; '),
    };
    if (window.notBefore) finding.notBefore = window.notBefore;
    if (window.notAfter) finding.notAfter = window.notAfter;
    if (evaluation.remainingMs !== undefined) finding.remainingMs = evaluation.remainingMs;
    if (evaluation.renewAt) finding.renewAt = evaluation.renewAt;
    findings.push(finding);
  }
  return findings;
}

/**
 * What this configuration rotates on the discovery's GitLab instance: credential names
 * (matched against credrot's marker) and, for access tokens named by numeric project or
 * group id, owner and token name (matched before the first rotation).
 */
function managedTokens(
  config: Config,
  connection: string,
): { names: Set<string>; byOwner: Set<string> } {
  const url = config.connections.gitlab[connection]?.url.replace(/\/$/, '');
  const names = new Set<string>();
  const byOwner = new Set<string>();
  for (const c of config.credentials) {
    if (!c.kind.startsWith('gitlab-')) continue;
    if (config.connections.gitlab[c.source.connection]?.url.replace(/\/$/, '') !== url) continue;
    names.add(c.name);
    const tokenName = c.source.tokenName ?? c.name;
    if (c.kind === 'gitlab-project-access-token' && typeof c.source.project === 'number')
      byOwner.add(ownerKey({ kind: 'project', projectId: c.source.project }, tokenName));
    if (c.kind === 'gitlab-group-access-token' && typeof c.source.group === 'number')
      byOwner.add(ownerKey({ kind: 'group', groupId: c.source.group }, tokenName));
  }
  return { names, byOwner };
}

function ownerKey(owner: DiscoveredToken['owner'], tokenName: string): string {
  return `${ownerLabel(owner)}\n${tokenName}`;
}

function ownerLabel(owner: DiscoveredToken['owner']): string {
  if (owner.kind === 'project') return `project ${owner.projectId}`;
  if (owner.kind === 'group') return `group ${owner.groupId}`;
  return `user ${owner.userId}`;
}
