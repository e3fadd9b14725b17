/**
 * The emulated GitLab world — users, groups, projects and memberships — and the
 * `GitLabContext` every route module authorizes with: authentication by `PRIVATE-TOKEN`,
 * `private_token` or `Authorization: Bearer`, scope checks, effective (inherited) access
 * levels, and resource lookup by id or URL-encoded full path.
 * https://docs.gitlab.com/api/rest/authentication/
 *
 * Authentication failures follow `lib/api/api_guard.rb`: an unknown token (deploy tokens
 * included, which the REST API does not accept) is `401 {"message":"401 Unauthorized"}`;
 * an expired or revoked token is 401 `invalid_token` with a `WWW-Authenticate` challenge;
 * a revoked token presented to a `.../access_tokens/(id|self)/rotate` path first revokes its
 * whole token family (automatic reuse detection, `AuthFinders#revoke_token_family`).
 */
import { randomBytes } from 'node:crypto';
import { HttpError, type Request } from '../http.js';
import {
  AccessLevel,
  type Caller,
  type GitLabContext,
  type GitLabGroup,
  type GitLabProject,
  type GitLabUser,
} from './context.js';
import { forbidden, notFound, unauthorized } from './grape.js';
import { type AccessTokenRecord, TokenStore } from './token-store.js';

export type ResourceKind = 'project' | 'group';
export interface ResourceRef {
  kind: ResourceKind;
  id: number;
}

const ROTATE_PATH = /access_tokens\/(\d+|self)\/rotate$/;

/** The access token that authenticated a request (the context's `Caller` plus its record). */
export interface TokenCaller extends Caller {
  token: AccessTokenRecord;
}

export class World implements GitLabContext {
  readonly users = new Map<number, GitLabUser>();
  readonly groups = new Map<number, GitLabGroup>();
  readonly projects = new Map<number, GitLabProject>();
  readonly tokens: TokenStore;
  /** Which project or group each bot user (of a resource access token) belongs to. */
  readonly botResource = new Map<number, ResourceRef>();
  private readonly members = new Map<string, Map<number, number>>();
  private readonly createdAt = new Map<string, Date>();
  private readonly sequences = new Map<string, number>();

  constructor(private readonly clock: () => Date) {
    this.tokens = new TokenStore(() => this.nextId('personal_access_token'), clock);
  }

  now(): Date {
    return this.clock();
  }

  nextId(kind: string): number {
    const next = (this.sequences.get(kind) ?? 0) + 1;
    this.sequences.set(kind, next);
    return next;
  }

  // ---- seeding --------------------------------------------------------------------------

  createUser(input: {
    username: string;
    admin?: boolean;
    bot?: boolean;
    name?: string;
  }): GitLabUser {
    if ([...this.users.values()].some((u) => u.username === input.username)) {
      throw new Error(`username ${input.username} is already taken`);
    }
    const user: GitLabUser = {
      id: this.nextId('user'),
      username: input.username,
      name: input.name ?? input.username,
      admin: input.admin ?? false,
      bot: input.bot ?? false,
      state: 'active',
    };
    this.users.set(user.id, user);
    this.createdAt.set(`user:${user.id}`, this.now());
    return user;
  }

  createGroup(input: { path: string; parentId?: number }): GitLabGroup {
    const parent = input.parentId === undefined ? undefined : this.groups.get(input.parentId);
    if (input.parentId !== undefined && !parent) throw new Error(`no group ${input.parentId}`);
    const group: GitLabGroup = {
      id: this.nextId('namespace'),
      path: input.path,
      full_path: parent ? `${parent.full_path}/${input.path}` : input.path,
      name: input.path,
      parent_id: parent?.id ?? null,
    };
    this.groups.set(group.id, group);
    this.createdAt.set(`group:${group.id}`, this.now());
    return group;
  }

  createProject(input: { path: string; namespaceId: number }): GitLabProject {
    const ns = this.groups.get(input.namespaceId);
    if (!ns) throw new Error(`no group ${input.namespaceId} to hold project ${input.path}`);
    const project: GitLabProject = {
      id: this.nextId('project'),
      path: input.path,
      path_with_namespace: `${ns.full_path}/${input.path}`,
      name: input.path,
      namespace_id: ns.id,
    };
    this.projects.set(project.id, project);
    this.createdAt.set(`project:${project.id}`, this.now());
    return project;
  }

  addMember(
    target: { projectId: number } | { groupId: number },
    userId: number,
    level: number,
  ): void {
    const key = 'projectId' in target ? `project:${target.projectId}` : `group:${target.groupId}`;
    const map = this.members.get(key) ?? new Map<number, number>();
    map.set(userId, level);
    this.members.set(key, map);
  }

  /** The bot user behind a new project or group access token (`project_<id>_bot_<hex>`). */
  createBot(ref: ResourceRef, name: string, accessLevel: number): GitLabUser {
    const username = `${ref.kind}_${ref.id}_bot_${randomBytes(16).toString('hex')}`;
    const bot = this.createUser({ username, name, bot: true });
    this.botResource.set(bot.id, ref);
    this.addMember(
      ref.kind === 'project' ? { projectId: ref.id } : { groupId: ref.id },
      bot.id,
      accessLevel,
    );
    return bot;
  }

  /** Bot users of a project or group, i.e. the owners of its resource access tokens. */
  botsOf(ref: ResourceRef): number[] {
    return [...this.botResource.entries()]
      .filter(([, r]) => r.kind === ref.kind && r.id === ref.id)
      .map(([id]) => id);
  }

  created(kind: string, id: number): Date {
    return this.createdAt.get(`${kind}:${id}`) ?? new Date(0);
  }

  directLevel(ref: ResourceRef, userId: number): number {
    return this.members.get(`${ref.kind}:${ref.id}`)?.get(userId) ?? AccessLevel.none;
  }

  // ---- GitLabContext ---------------------------------------------------------------------

  authenticate(req: Request): TokenCaller {
    const value = tokenFromRequest(req);
    if (!value) throw unauthorized();
    const record = this.tokens.findByValue(value);
    const user = record ? this.users.get(record.userId) : undefined;
    if (!record || !user) throw unauthorized();
    const state = this.tokens.state(record);
    if (state === 'revoked') {
      if (ROTATE_PATH.test(req.rawPath)) this.tokens.revokeFamily(record);
      throw invalidToken('Token was revoked. You have to re-authorize from the user.');
    }
    if (state === 'expired') {
      throw invalidToken('Token is expired. You can either do re-authorization or token refresh.');
    }
    if (user.state !== 'active') throw forbidden('Your account has been blocked.');
    this.tokens.touch(record);
    return { user, scopes: [...record.scopes], tokenId: record.id, token: record };
  }

  requireScope(caller: Caller, scopes: string[]): void {
    if (scopes.some((s) => caller.scopes.includes(s))) return;
    throw new HttpError(403, {
      error: 'insufficient_scope',
      error_description:
        'The request requires higher privileges than provided by the access token.',
      scope: scopes.join(' '),
    });
  }

  project(caller: Caller, idOrPath: string): GitLabProject {
    const project = /^\d+$/.test(idOrPath)
      ? this.projects.get(Number(idOrPath))
      : [...this.projects.values()].find((p) => p.path_with_namespace === idOrPath);
    if (!project || this.projectAccess(caller.user, project) < AccessLevel.guest) {
      throw notFound('Project');
    }
    return project;
  }

  group(caller: Caller, idOrPath: string): GitLabGroup {
    const group = /^\d+$/.test(idOrPath)
      ? this.groups.get(Number(idOrPath))
      : [...this.groups.values()].find((g) => g.full_path === idOrPath);
    if (!group || this.groupAccess(caller.user, group) < AccessLevel.guest) throw notFound('Group');
    return group;
  }

  projectAccess(user: GitLabUser, project: GitLabProject): number {
    if (user.admin) return AccessLevel.owner;
    const direct = this.directLevel({ kind: 'project', id: project.id }, user.id);
    const ns = this.groups.get(project.namespace_id);
    return Math.max(direct, ns ? this.groupAccess(user, ns) : AccessLevel.none);
  }

  groupAccess(user: GitLabUser, group: GitLabGroup): number {
    if (user.admin) return AccessLevel.owner;
    let level: number = AccessLevel.none;
    for (let g: GitLabGroup | undefined = group; g; g = this.parentOf(g)) {
      level = Math.max(level, this.directLevel({ kind: 'group', id: g.id }, user.id));
    }
    return level;
  }

  requireProjectAccess(caller: Caller, project: GitLabProject, level: number): void {
    if (this.projectAccess(caller.user, project) < level) throw forbidden();
  }

  requireGroupAccess(caller: Caller, group: GitLabGroup, level: number): void {
    if (this.groupAccess(caller.user, group) < level) throw forbidden();
  }

  requireAdmin(caller: Caller): void {
    if (!caller.user.admin) throw forbidden();
  }

  // ---- helpers for the route modules -----------------------------------------------------

  parentOf(group: GitLabGroup): GitLabGroup | undefined {
    return group.parent_id === null ? undefined : this.groups.get(group.parent_id);
  }

  /** Effective members of a project or group with their highest level (own or inherited). */
  effectiveMembers(ref: ResourceRef): Map<number, number> {
    const out = new Map<number, number>();
    const merge = (key: string) => {
      for (const [userId, level] of this.members.get(key) ?? []) {
        out.set(userId, Math.max(out.get(userId) ?? 0, level));
      }
    };
    let group: GitLabGroup | undefined;
    if (ref.kind === 'project') {
      merge(`project:${ref.id}`);
      const project = this.projects.get(ref.id);
      group = project ? this.groups.get(project.namespace_id) : undefined;
    } else group = this.groups.get(ref.id);
    for (let g = group; g; g = this.parentOf(g)) merge(`group:${g.id}`);
    return out;
  }
}

/** The token a request presents: `PRIVATE-TOKEN`, `private_token=` or an OAuth-style Bearer. */
export function tokenFromRequest(req: Request): string | undefined {
  const header = req.header('private-token');
  if (header) return header.trim();
  const query = req.query.get('private_token');
  if (query) return query;
  const auth = req.header('authorization');
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m?.[1]?.trim();
}

/** Rack::OAuth2's 401 for an expired or revoked token, as GitLab's API guard renders it. */
function invalidToken(description: string): HttpError {
  return new HttpError(
    401,
    { error: 'invalid_token', error_description: description },
    {
      'www-authenticate': `Bearer realm="The API", error="invalid_token", error_description="${description}"`,
    },
  );
}
