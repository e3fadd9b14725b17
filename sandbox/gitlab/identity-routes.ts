/**
 * Read endpoints of the emulated world: the current user, users, groups, projects and
 * effective memberships (the latter authorize comment commands).
 * https://docs.gitlab.com/api/users/  https://docs.gitlab.com/api/groups/
 * https://docs.gitlab.com/api/projects/  https://docs.gitlab.com/api/members/
 * Every route accepts a token with `api` or `read_api` (and `read_user` for users).
 * Projects and groups are private: a non-member gets `404 Project/Group Not Found`.
 */
import type { Request, Router } from '../http.js';
import type { GitLabGroup, GitLabProject, GitLabUser } from './context.js';
import { notFound } from './grape.js';
import type { ResourceRef, World } from './identity.js';
import { ListingCache, paginate, requestBase } from './pagination.js';

const READ = ['api', 'read_api'];
const READ_USER = ['api', 'read_api', 'read_user'];

export function registerIdentityRoutes(router: Router, world: World): void {
  const userListings = new ListingCache<GitLabUser>();
  const userEntity = (req: Request, u: GitLabUser) => ({
    id: u.id,
    username: u.username,
    name: u.name,
    state: u.state,
    locked: false,
    avatar_url: null,
    web_url: `${requestBase(req)}/${u.username}`,
    bot: u.bot,
    created_at: world.created('user', u.id).toISOString(),
  });

  const groupEntity = (req: Request, g: GitLabGroup) => ({
    id: g.id,
    name: g.name,
    path: g.path,
    full_name: g.full_path.split('/').join(' / '),
    full_path: g.full_path,
    parent_id: g.parent_id,
    visibility: 'private',
    description: '',
    web_url: `${requestBase(req)}/groups/${g.full_path}`,
    created_at: world.created('group', g.id).toISOString(),
  });

  const projectEntity = (req: Request, p: GitLabProject) => {
    const ns = world.groups.get(p.namespace_id);
    return {
      id: p.id,
      name: p.name,
      path: p.path,
      path_with_namespace: p.path_with_namespace,
      name_with_namespace: p.path_with_namespace.split('/').join(' / '),
      description: null,
      default_branch: 'main',
      visibility: 'private',
      web_url: `${requestBase(req)}/${p.path_with_namespace}`,
      created_at: world.created('project', p.id).toISOString(),
      namespace: ns && {
        id: ns.id,
        name: ns.name,
        path: ns.path,
        kind: 'group',
        full_path: ns.full_path,
        parent_id: ns.parent_id,
        web_url: `${requestBase(req)}/groups/${ns.full_path}`,
      },
    };
  };

  const memberEntity = (req: Request, u: GitLabUser, level: number) => ({
    ...userEntity(req, u),
    access_level: level,
    expires_at: null,
  });

  router.on('GET', '/api/v4/user', 'gitlab.getCurrentUser', (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, READ_USER);
    const u = caller.user;
    const body: Record<string, unknown> = {
      ...userEntity(req, u),
      email: `${u.username}@example.invalid`,
    };
    if (u.admin) body['is_admin'] = true;
    return { status: 200, body };
  });

  // https://docs.gitlab.com/api/users/#list-users: administrators see every user, bots
  // included (`exclude_humans` keeps only bot and internal users, `humans` only people,
  // `without_project_bots` drops project bots); others see people only. Default order is
  // `id` descending, as GitLab's.
  router.on('GET', '/api/v4/users', 'gitlab.listUsers', (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, READ_USER);
    const select = () => {
      const q = req.query;
      const on = (name: string) => q.get(name) === 'true';
      let users = [...world.users.values()];
      if (!caller.user.admin || on('humans')) users = users.filter((u) => !u.bot);
      if (on('exclude_humans')) users = users.filter((u) => u.bot);
      if (on('without_project_bots'))
        users = users.filter((u) => world.botResource.get(u.id)?.kind !== 'project');
      const username = q.get('username');
      if (username)
        users = users.filter((u) => u.username.toLowerCase() === username.toLowerCase());
      users.sort((a, b) => (q.get('sort') === 'asc' ? a.id - b.id : b.id - a.id));
      return users;
    };
    // Users are only ever added, so their count versions the cached result sets.
    const users = userListings.get(req, caller.user.id, String(world.users.size), select);
    return paginate(req, users, (u) => userEntity(req, u));
  });

  router.on('GET', '/api/v4/users/:id', 'gitlab.getUser', (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, READ_USER);
    const id = req.params['id']!;
    const u = /^\d+$/.test(id) ? world.users.get(Number(id)) : undefined;
    if (!u) throw notFound('User');
    return { status: 200, body: userEntity(req, u) };
  });

  router.on('GET', '/api/v4/groups/:id', 'gitlab.getGroup', (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, READ);
    return { status: 200, body: groupEntity(req, world.group(caller, req.params['id']!)) };
  });

  // https://docs.gitlab.com/api/projects/#list-all-projects: the projects the caller can
  // see (every project for an administrator), `id` ascending here for stable pages.
  router.on('GET', '/api/v4/projects', 'gitlab.listProjects', (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, READ);
    const visible = [...world.projects.values()]
      .filter((p) => world.projectAccess(caller.user, p) > 0)
      .sort((a, b) => a.id - b.id);
    return paginate(req, visible, (p) => projectEntity(req, p));
  });

  router.on('GET', '/api/v4/projects/:id', 'gitlab.getProject', (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, READ);
    return { status: 200, body: projectEntity(req, world.project(caller, req.params['id']!)) };
  });

  for (const kind of ['project', 'group'] as const) {
    const op = kind === 'project' ? 'Project' : 'Group';
    const resolve = (req: Request): ResourceRef => {
      const caller = world.authenticate(req);
      world.requireScope(caller, READ);
      const id = req.params['id']!;
      const entity = kind === 'project' ? world.project(caller, id) : world.group(caller, id);
      return { kind, id: entity.id };
    };

    router.on('GET', `/api/v4/${kind}s/:id/members/all`, `gitlab.list${op}Members`, (req) => {
      const members = [...world.effectiveMembers(resolve(req))]
        .map(([userId, level]) => ({ user: world.users.get(userId), level }))
        .filter((m): m is { user: GitLabUser; level: number } => m.user !== undefined)
        .sort((a, b) => a.user.id - b.user.id);
      return paginate(req, members, (m) => memberEntity(req, m.user, m.level));
    });

    router.on(
      'GET',
      `/api/v4/${kind}s/:id/members/all/:user_id`,
      `gitlab.get${op}Member`,
      (req) => {
        const members = world.effectiveMembers(resolve(req));
        const userId = Number(req.params['user_id']);
        const user = world.users.get(userId);
        const level = members.get(userId);
        if (!user || level === undefined) throw notFound('Member');
        return { status: 200, body: memberEntity(req, user, level) };
      },
    );
  }
}
