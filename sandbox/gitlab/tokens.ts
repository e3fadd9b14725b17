/**
 * Project and group access tokens: list, get, create, revoke, rotate.
 * https://docs.gitlab.com/api/project_access_tokens/
 * https://docs.gitlab.com/api/group_access_tokens/
 * Status codes follow `lib/api/resource_access_tokens.rb` and its services:
 * - listing or reading without the right role is 401 (`unauthorized!`), not 403;
 * - create and revoke failures are 400 `{"message":"400 Bad request - <reason>"}`;
 * - a missing `expires_at` on create is Grape's `400 {"error":"expires_at is missing"}`
 *   (GitLab 16.x; since 17.x a missing date defaults to the maximum lifetime);
 * - rotating a token you cannot manage is 401 (404 for administrators);
 * - rotating an already revoked token revokes every active token of its family and answers
 *   `400 Token already revoked`. (GitLab's own code revokes the family when the revoked token
 *   itself authenticates the rotate call — see identity.ts; the docs also describe it for a
 *   rotate *of* a revoked token, and we follow the docs, which is the stricter reading.)
 * Creating a token creates a bot user (`project_<id>_bot_<hex>`) who becomes a member with
 * the token's access level; revoking or rotating keeps the bot and its membership.
 * Maintainer (project) or Owner (group) is required; bots cannot manage other tokens.
 */
import { HttpError, type Router } from '../http.js';
import { AccessLevel, type GitLabGroup, type GitLabProject, type GitLabUser } from './context.js';
import {
  apiParams,
  badRequest,
  dateParam,
  intParam,
  notFound,
  requireParams,
  scopesParam,
  strParam,
  unauthorized,
} from './grape.js';
import type { ResourceKind, ResourceRef, TokenCaller, World } from './identity.js';
import { paginate } from './pagination.js';
import { type AccessTokenRecord, RESOURCE_TOKEN_SCOPES } from './token-store.js';
import { daysFromNow, filterTokens, lifetimeError, presentToken } from './token-views.js';

const ACCESS_LEVELS: readonly number[] = [10, 15, 20, 30, 40, 50];
const READ_SCOPES = ['api', 'read_api'];

interface Resource {
  ref: ResourceRef;
  entity: GitLabProject | GitLabGroup;
}

export function registerResourceTokenRoutes(router: Router, world: World): void {
  for (const kind of ['project', 'group'] as const) register(router, world, kind);
}

function register(router: Router, world: World, kind: ResourceKind): void {
  const base = `/api/v4/${kind}s/:id/access_tokens`;
  const op = kind === 'project' ? 'Project' : 'Group';
  const label = `${kind} Access Token`;

  const find = (caller: TokenCaller, id: string): Resource => {
    const entity = kind === 'project' ? world.project(caller, id) : world.group(caller, id);
    return { ref: { kind, id: entity.id }, entity };
  };
  const level = (user: GitLabUser, r: Resource): number =>
    kind === 'project'
      ? world.projectAccess(user, r.entity as GitLabProject)
      : world.groupAccess(user, r.entity as GitLabGroup);
  const canManage = (user: GitLabUser, r: Resource): boolean =>
    !user.bot &&
    level(user, r) >= (kind === 'project' ? AccessLevel.maintainer : AccessLevel.owner);
  const tokensOf = (r: Resource): AccessTokenRecord[] => {
    const bots = new Set(world.botsOf(r.ref));
    return world.tokens.all().filter((t) => bots.has(t.userId));
  };
  const findToken = (r: Resource, tokenId: string, caller: TokenCaller) => {
    const tokens = tokensOf(r);
    if (tokenId === 'self') return tokens.find((t) => t.id === caller.token.id);
    return tokens.find((t) => String(t.id) === tokenId);
  };
  const present = (r: Resource, t: AccessTokenRecord, token?: string) =>
    presentToken(world.tokens, t, { accessLevel: world.directLevel(r.ref, t.userId), token });

  router.on('GET', base, `gitlab.list${op}Tokens`, (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, READ_SCOPES);
    const r = find(caller, req.params['id']!);
    if (!canManage(caller.user, r)) throw unauthorized();
    const tokens = filterTokens(req, world.tokens, tokensOf(r));
    return paginate(req, tokens, (t) => present(r, t));
  });

  router.on('GET', `${base}/:token_id`, `gitlab.get${op}Token`, (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, READ_SCOPES);
    const r = find(caller, req.params['id']!);
    if (!canManage(caller.user, r)) throw unauthorized();
    const t = findToken(r, req.params['token_id']!, caller);
    if (!t) throw notFound(label);
    return { status: 200, body: present(r, t) };
  });

  router.on('POST', base, `gitlab.create${op}Token`, (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, ['api']);
    const p = apiParams(req);
    requireParams(p, ['name', 'scopes', 'expires_at']);
    const scopes = scopesParam(p, 'scopes', RESOURCE_TOKEN_SCOPES);
    const expiresAt = dateParam(p, 'expires_at')!;
    const accessLevel = intParam(p, 'access_level') ?? AccessLevel.maintainer;
    if (!ACCESS_LEVELS.includes(accessLevel)) {
      throw new HttpError(400, { error: 'access_level does not have a valid value' });
    }
    const r = find(caller, req.params['id']!);
    if (!canManage(caller.user, r)) {
      throw badRequest(`User does not have permission to create ${kind} access token`);
    }
    if (accessLevel > level(caller.user, r)) {
      throw badRequest(
        'Access level of the token contains permissions not held by the creating user',
      );
    }
    const invalid = lifetimeError(expiresAt, world.now());
    if (invalid) throw badRequest(invalid);
    const name = strParam(p, 'name')!;
    const bot = world.createBot(r.ref, name, accessLevel);
    const { record, token } = world.tokens.create({
      userId: bot.id,
      name,
      description: strParam(p, 'description') ?? null,
      scopes,
      expiresAt,
    });
    return { status: 201, body: present(r, record, token) };
  });

  router.on('DELETE', `${base}/:token_id`, `gitlab.revoke${op}Token`, (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, ['api']);
    const r = find(caller, req.params['id']!);
    const t = findToken(r, req.params['token_id']!, caller);
    if (!t) throw notFound(label);
    if (!canManage(caller.user, r)) {
      const bot = world.users.get(t.userId);
      throw badRequest(`${caller.user.name} cannot delete ${bot?.username ?? 'the bot user'}`);
    }
    world.tokens.revoke(t);
    return { status: 204 };
  });

  router.on('POST', `${base}/:token_id/rotate`, `gitlab.rotate${op}Token`, (req) => {
    const caller = world.authenticate(req);
    const self = req.params['token_id'] === 'self';
    world.requireScope(caller, self ? ['api', 'self_rotate'] : ['api']);
    const p = apiParams(req);
    const requested = dateParam(p, 'expires_at');
    const r = find(caller, req.params['id']!);
    const t =
      self || canManage(caller.user, r) ? findToken(r, req.params['token_id']!, caller) : undefined;
    if (!t) {
      if (caller.user.admin) throw notFound();
      throw unauthorized();
    }
    if (t.revoked) {
      world.tokens.revokeFamily(t);
      throw badRequest('Token already revoked');
    }
    const expiresAt = requested ?? daysFromNow(world.now(), 7);
    const invalid = lifetimeError(expiresAt, world.now());
    if (invalid) throw badRequest(invalid);
    const { record, token } = world.tokens.rotate(t, expiresAt);
    return { status: 200, body: present(r, record, token) };
  });
}
