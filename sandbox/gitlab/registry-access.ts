/**
 * Who may do what on a container repository, as GitLab's `/jwt/auth` decides it before
 * signing a registry token (`Auth::ContainerRegistryAuthenticationService`).
 * https://docs.gitlab.com/user/packages/container_registry/authenticate_with_container_registry/
 * - A deploy token authenticates with its own username and value; it may pull with
 *   `read_registry` and push with `write_registry`, on projects of the project or group
 *   that owns it.
 * - Any username with a personal, project or group access token: `api` grants every
 *   registry action, `read_registry` pull, `write_registry` push; the token's user also
 *   needs Reporter (pull), Developer (push) or Maintainer (delete) on the project.
 * - Valid credentials lacking an action get it left out of `granted` (possibly empty);
 *   only wrong, revoked or expired credentials are `{ ok: false }`.
 */
import { AccessLevel, type GitLabProject } from './context.js';
import type { DeployTokenStore } from './deploy-tokens.js';
import type { World } from './identity.js';

export type RegistryDecision = { ok: false } | { ok: true; subject: string; granted: string[] };

/** The project a repository path (`group/project[/image]`) belongs to, longest match first. */
export function projectForRepository(world: World, repository: string): GitLabProject | undefined {
  const repo = repository.toLowerCase();
  let best: GitLabProject | undefined;
  for (const p of world.projects.values()) {
    const path = p.path_with_namespace.toLowerCase();
    if (
      (repo === path || repo.startsWith(`${path}/`)) &&
      path.length > (best?.path_with_namespace.length ?? -1)
    ) {
      best = p;
    }
  }
  return best;
}

function grant(requested: string[], allowed: Set<string>): string[] {
  const all = allowed.has('pull') && allowed.has('push') && allowed.has('delete');
  return [...new Set(requested)].filter((a) => allowed.has(a) || (a === '*' && all));
}

export function registryAccess(
  world: World,
  deployTokens: DeployTokenStore,
  username: string,
  password: string,
  repository: string,
  requested: string[],
): RegistryDecision {
  if (!password) return { ok: false };
  const project = projectForRepository(world, repository);

  const deploy = deployTokens.findByValue(password);
  if (deploy) {
    if (deploy.username !== username || !deployTokens.active(deploy)) return { ok: false };
    const allowed = new Set<string>();
    const owns =
      project !== undefined &&
      (deploy.owner.kind === 'project'
        ? deploy.owner.id === project.id
        : groupContains(world, deploy.owner.id, project.namespace_id));
    if (owns && deploy.scopes.includes('read_registry')) allowed.add('pull');
    if (owns && deploy.scopes.includes('write_registry')) allowed.add('push');
    return { ok: true, subject: deploy.username, granted: grant(requested, allowed) };
  }

  const token = world.tokens.findByValue(password);
  const user = token ? world.users.get(token.userId) : undefined;
  if (!token || !user || user.state !== 'active' || world.tokens.state(token) !== 'active') {
    return { ok: false };
  }
  const level = project ? world.projectAccess(user, project) : AccessLevel.none;
  const has = (scope: string) => token.scopes.includes('api') || token.scopes.includes(scope);
  const allowed = new Set<string>();
  if (has('read_registry') && level >= AccessLevel.reporter) allowed.add('pull');
  if (has('write_registry') && level >= AccessLevel.developer) allowed.add('push');
  if (has('write_registry') && level >= AccessLevel.maintainer) allowed.add('delete');
  world.tokens.touch(token);
  return { ok: true, subject: user.username, granted: grant(requested, allowed) };
}

function groupContains(world: World, ancestorId: number, groupId: number): boolean {
  for (let g = world.groups.get(groupId); g; g = world.parentOf(g)) {
    if (g.id === ancestorId) return true;
  }
  return false;
}
