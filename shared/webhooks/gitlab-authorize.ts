/**
 * Which configured credential a GitLab event is about. The payload is authenticated (the
 * hook's secret) but not trusted to name what credrot may act on: an event acts only on a
 * credential the configuration defines for that very project or group, matched on the
 * project or group (id or full path) AND the token's name (or credrot's marker in it).
 *
 * Payload shapes: https://docs.gitlab.com/user/project/integrations/webhook_events/
 */
import type { ResolvedCredential } from '../config/load.js';
import { parseMarker } from '../sources/gitlab/marker.js';

export interface ProjectRef {
  id: number;
  path: string;
}

export interface GroupRef {
  id: number;
  path: string;
}

type Ref = string | number | undefined;

/** True when a configured project/group reference (id or full path) names `actual`. */
export function refMatches(configured: Ref, actual: ProjectRef | GroupRef | undefined): boolean {
  if (configured === undefined || !actual) return false;
  if (typeof configured === 'number' || /^\d+$/.test(configured))
    return Number(configured) === actual.id;
  return configured.toLowerCase() === actual.path.toLowerCase();
}

/** The project of a payload (`project_id` + `project.path_with_namespace`). */
export function projectOf(payload: Record<string, unknown>): ProjectRef | undefined {
  const project = payload['project'] as Record<string, unknown> | undefined;
  const id = payload['project_id'] ?? project?.['id'];
  const path = project?.['path_with_namespace'];
  return typeof id === 'number' && typeof path === 'string' ? { id, path } : undefined;
}

/** The group of a group-level token payload (`group_id` + `group.full_path`). */
export function groupOf(payload: Record<string, unknown>): GroupRef | undefined {
  const group = payload['group'] as Record<string, unknown> | undefined;
  const id = payload['group_id'] ?? group?.['group_id'];
  const path = group?.['full_path'];
  return typeof id === 'number' && typeof path === 'string' ? { id, path } : undefined;
}

function tokenNameMatches(credential: ResolvedCredential, tokenName: string): boolean {
  const configured = credential.source.tokenName ?? credential.name;
  if (tokenName === configured) return true;
  // Deploy tokens carry credrot's marker in their name: `<tokenName> [credrot:<name>:<id>]`.
  const marked = parseMarker(tokenName);
  return marked?.credential === credential.name && tokenName.startsWith(`${configured} `);
}

/**
 * The credentials an `expiring_access_token` / `expiring_deploy_token` payload is about:
 * kind, project or group, and token name must all match the configuration.
 */
export function credentialsForTokenEvent(
  credentials: readonly ResolvedCredential[],
  event: 'access-token' | 'deploy-token',
  payload: Record<string, unknown>,
): ResolvedCredential[] {
  const attrs = payload['object_attributes'] as Record<string, unknown> | undefined;
  const tokenName = attrs?.['name'];
  if (typeof tokenName !== 'string') return [];
  const project = projectOf(payload);
  const group = project ? undefined : groupOf(payload);
  return credentials.filter((c) => {
    if (
      event === 'deploy-token' ? c.kind !== 'gitlab-deploy-token' : c.kind === 'gitlab-deploy-token'
    )
      return false;
    if (c.kind === 'gitlab-personal-access-token') return false;
    const where = project
      ? refMatches(c.source.project, project)
      : refMatches(c.source.group, group);
    return where && tokenNameMatches(c, tokenName);
  });
}

/**
 * True when `project` may ask for a rotation of `credential` by comment: the credential's
 * source is that project (or a group above it), or one of its GitLab CI/CD variables
 * lives in that project. Any other project is ignored, whatever the comment says.
 */
export function projectMayCommand(credential: ResolvedCredential, project: ProjectRef): boolean {
  if (refMatches(credential.source.project, project)) return true;
  const group = credential.source.group;
  if (group !== undefined && typeof group === 'string' && !/^\d+$/.test(group)) {
    if (project.path.toLowerCase().startsWith(`${group.toLowerCase()}/`)) return true;
  }
  return credential.sinks.some(
    (s) => s.type === 'gitlab-variable' && refMatches(s.project, project),
  );
}
