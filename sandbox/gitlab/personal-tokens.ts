/**
 * Personal access tokens: list, get (incl. `self`), revoke (incl. `self`), rotate (incl.
 * `self`), and creation through the user tokens API.
 * https://docs.gitlab.com/api/personal_access_tokens/
 * https://docs.gitlab.com/api/user_tokens/
 * - Administrators list every token of the instance, bot users' tokens included; others
 *   list their own, and filtering on another `user_id` is 401.
 * - Get/rotate of a token that does not exist or is not yours is 401 (404 for admins).
 * - Self-rotation needs the `api` or `self_rotate` scope (403 otherwise); rotating another
 *   token needs `api`. A rotation defaults to one week and revokes the old token at once;
 *   a rotation of an already revoked token revokes its family (see tokens.ts).
 * - `POST /users/:id/personal_access_tokens` is administrator-only and exists on GitLab
 *   Self-Managed; GitLab.com has no customer administrators, so in `saas` mode it is
 *   `403 Forbidden` for everyone. `POST /user/personal_access_tokens` is documented for
 *   Self-Managed only (scopes `k8s_proxy`, `self_rotate`; default lifetime one day); in
 *   `saas` mode we answer 404. Creation failures are 422, as `render_api_error!` renders them.
 */
import type { Request, Router } from '../http.js';
import {
  apiParams,
  badRequest,
  dateParam,
  forbidden,
  intParam,
  notFound,
  requireParams,
  scopesParam,
  strParam,
  unauthorized,
  unprocessable,
} from './grape.js';
import type { TokenCaller, World } from './identity.js';
import { ListingCache, paginate } from './pagination.js';
import { ACCESS_TOKEN_SCOPES, type AccessTokenRecord, MAX_LIFETIME_DAYS } from './token-store.js';
import { daysFromNow, filterTokens, lifetimeError, presentToken } from './token-views.js';

export type GitLabMode = 'saas' | 'self-managed';

const READ_SCOPES = ['api', 'read_api'];
const OWN_TOKEN_SCOPES = ['k8s_proxy', 'self_rotate'];

export function registerPersonalTokenRoutes(router: Router, world: World, mode: GitLabMode): void {
  const listings = new ListingCache<AccessTokenRecord>();
  const present = (t: AccessTokenRecord, token?: string) =>
    presentToken(world.tokens, t, { token });

  /** The token a non-self path names, visible to the caller; 401 or (admins) 404 otherwise. */
  const target = (caller: TokenCaller, id: string): AccessTokenRecord => {
    const t = /^\d+$/.test(id) ? world.tokens.get(Number(id)) : undefined;
    if (t && (caller.user.admin || t.userId === caller.user.id)) return t;
    if (caller.user.admin) throw notFound();
    throw unauthorized();
  };

  const rotate = (req: Request, t: AccessTokenRecord) => {
    const requested = dateParam(apiParams(req), 'expires_at');
    if (t.revoked) {
      world.tokens.revokeFamily(t);
      throw badRequest('Token already revoked');
    }
    const expiresAt = requested ?? daysFromNow(world.now(), 7);
    const invalid = lifetimeError(expiresAt, world.now());
    if (invalid) throw badRequest(invalid);
    const { record, token } = world.tokens.rotate(t, expiresAt);
    return { status: 200, body: present(record, token) };
  };

  router.on('GET', '/api/v4/personal_access_tokens', 'gitlab.listPersonalTokens', (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, READ_SCOPES);
    const p = apiParams(req);
    const userId = intParam(p, 'user_id');
    if (!caller.user.admin && userId !== undefined && userId !== caller.user.id)
      throw unauthorized();
    const select = () => {
      let tokens = world.tokens.all();
      if (!caller.user.admin) tokens = tokens.filter((t) => t.userId === caller.user.id);
      else if (userId !== undefined) tokens = tokens.filter((t) => t.userId === userId);
      return filterTokens(req, world.tokens, tokens, p);
    };
    return paginate(
      req,
      listings.get(req, caller.user.id, world.tokens.listingVersion(), select),
      (t) => present(t),
    );
  });

  router.on('GET', '/api/v4/personal_access_tokens/self', 'gitlab.getSelfPersonalToken', (req) => {
    const caller = world.authenticate(req);
    return { status: 200, body: present(caller.token) };
  });

  router.on('GET', '/api/v4/personal_access_tokens/:id', 'gitlab.getPersonalToken', (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, READ_SCOPES);
    return { status: 200, body: present(target(caller, req.params['id']!)) };
  });

  router.on(
    'DELETE',
    '/api/v4/personal_access_tokens/self',
    'gitlab.revokeSelfPersonalToken',
    (req) => {
      const caller = world.authenticate(req);
      world.tokens.revoke(caller.token);
      return { status: 204 };
    },
  );

  router.on('DELETE', '/api/v4/personal_access_tokens/:id', 'gitlab.revokePersonalToken', (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, ['api']);
    const t = /^\d+$/.test(req.params['id']!)
      ? world.tokens.get(Number(req.params['id']))
      : undefined;
    if (!t) throw notFound();
    if (!caller.user.admin && t.userId !== caller.user.id) throw badRequest();
    world.tokens.revoke(t);
    return { status: 204 };
  });

  router.on(
    'POST',
    '/api/v4/personal_access_tokens/self/rotate',
    'gitlab.rotateSelfPersonalToken',
    (req) => {
      const caller = world.authenticate(req);
      world.requireScope(caller, ['api', 'self_rotate']);
      return rotate(req, caller.token);
    },
  );

  router.on(
    'POST',
    '/api/v4/personal_access_tokens/:id/rotate',
    'gitlab.rotatePersonalToken',
    (req) => {
      const caller = world.authenticate(req);
      world.requireScope(caller, ['api']);
      return rotate(req, target(caller, req.params['id']!));
    },
  );

  router.on(
    'POST',
    '/api/v4/users/:user_id/personal_access_tokens',
    'gitlab.createUserPersonalToken',
    (req) => {
      const caller = world.authenticate(req);
      world.requireScope(caller, ['api']);
      if (mode === 'saas' || !caller.user.admin) throw forbidden();
      const p = apiParams(req);
      requireParams(p, ['name', 'scopes']);
      const scopes = scopesParam(p, 'scopes', ACCESS_TOKEN_SCOPES);
      const user = /^\d+$/.test(req.params['user_id']!)
        ? world.users.get(Number(req.params['user_id']))
        : undefined;
      if (!user) throw notFound('User');
      const expiresAt = dateParam(p, 'expires_at') ?? daysFromNow(world.now(), MAX_LIFETIME_DAYS);
      return createFor(
        user.id,
        strParam(p, 'name')!,
        strParam(p, 'description'),
        scopes,
        expiresAt,
      );
    },
  );

  router.on(
    'POST',
    '/api/v4/user/personal_access_tokens',
    'gitlab.createOwnPersonalToken',
    (req) => {
      const caller = world.authenticate(req);
      if (mode === 'saas') throw notFound();
      const p = apiParams(req);
      requireParams(p, ['name', 'scopes']);
      const scopes = scopesParam(p, 'scopes', OWN_TOKEN_SCOPES);
      const expiresAt = dateParam(p, 'expires_at') ?? daysFromNow(world.now(), 1);
      return createFor(
        caller.user.id,
        strParam(p, 'name')!,
        strParam(p, 'description'),
        scopes,
        expiresAt,
      );
    },
  );

  function createFor(
    userId: number,
    name: string,
    description: string | undefined,
    scopes: string[],
    expiresAt: string,
  ) {
    const invalid = lifetimeError(expiresAt, world.now());
    if (invalid) throw unprocessable(invalid);
    const { record, token } = world.tokens.create({ userId, name, description, scopes, expiresAt });
    return { status: 201, body: present(record, token) };
  }
}
