/**
 * What `credrot check` says about a credential's source: where it lives, which
 * connection its calls go through, the validity window of the current value, and the
 * source's verdict in words. GitLab tokens are read like any GitLab token metadata.
 */
import type { Config, ResolvedCredential } from '../config/load.js';
import { readGitLabToken } from '../expiry/readers/gitlab-token.js';
import type { ExpiryWindow } from '../expiry/types.js';
import type { SourceStatus, StoredCredential } from '../rotation/types.js';
import { fingerprint } from '../util/fingerprint.js';
import type { ConnectionRef } from './failure.js';

/** The connection the source's calls go through; none for a source without one. */
export function sourceConnection(credential: ResolvedCredential): ConnectionRef | undefined {
  const name = credential.source.connection;
  if (!name) return undefined;
  if (credential.kind.startsWith('gitlab-')) return { type: 'gitlab', name };
  if (credential.kind === 'aws-ecr') return { type: 'aws', name };
  if (credential.kind === 'gcp-artifact-registry') return { type: 'gcp', name };
  return undefined;
}

/**
 * The window `decideDue` evaluates: from minting to the expiry the source reports (else
 * the stored one). GitLab tokens go through the GitLab token reader, like any other
 * token metadata, so `expires_at` means the same instant everywhere.
 */
export function currentWindow(
  credential: ResolvedCredential,
  current: StoredCredential,
  status: SourceStatus,
): ExpiryWindow {
  const expiresAt = status.expiresAt ?? current.expiresAt;
  if (credential.kind.startsWith('gitlab-')) {
    return readGitLabToken(
      {
        id: current.sourceId,
        name: tokenName(credential),
        created_at: current.mintedAt,
        expires_at: expiresAt,
        active: status.state === 'active',
        revoked: status.state === 'revoked',
      },
      { token: current.token },
    );
  }
  return {
    kind: 'docker-auth',
    subject: current.username
      ? `${current.username}@${credential.registry ?? '-'}`
      : tokenName(credential),
    fingerprint: fingerprint(current.token),
    notBefore: new Date(current.mintedAt),
    notAfter: new Date(expiresAt),
  };
}

/** What the source says about the current value. */
export function sourceSentence(credential: ResolvedCredential, status: SourceStatus): string {
  const source = credential.kind.startsWith('gitlab-') ? 'GitLab' : 'source';
  const rotate = `run 'credrot rotate ${credential.name}'`;
  if (status.state === 'revoked')
    return `${source}: revoked, so every consumer holding it is refused now; ${rotate}`;
  if (status.state === 'missing')
    return `${source}: no such credential any more, so every consumer holding it is refused now; ${rotate}`;
  if (status.state === 'expired') return `${source}: expired; ${rotate}`;
  return status.expiresAt
    ? `${source}: active`
    : `${source}: active, no expiry (the stored one is used)`;
}

/** The token's name at the source. */
export function tokenName(credential: ResolvedCredential): string {
  return credential.source.tokenName ?? credential.name;
}

/**
 * Where the credential lives at its source, stable across rotations (a Prometheus label):
 * the project or group URL, or the instance for a personal token.
 */
export function sourceLocation(
  credential: ResolvedCredential,
  connections: Config['connections'],
): string {
  if (!credential.kind.startsWith('gitlab-'))
    return credential.registry ? `registry ${credential.registry}` : credential.kind;
  const base =
    connections.gitlab[credential.source.connection]?.url.replace(/\/$/, '') ??
    `gitlab:${credential.source.connection}`;
  const resource = credential.source.project ?? credential.source.group;
  if (resource === undefined) return `${base} (personal)`;
  if (typeof resource === 'string') return `${base}/${resource}`;
  return `${base} (${credential.source.project !== undefined ? 'project' : 'group'} ${resource})`;
}
