/**
 * GitLab's registry token endpoint, `GET /jwt/auth?service=container_registry&scope=...`,
 * as the sandbox serves it. Behaviour follows GitLab's `JwtController` and
 * `Auth::ContainerRegistryAuthenticationService`:
 * - `service` other than the registry's audience: 404, empty body.
 * - Basic credentials that do not authenticate: 401
 *   `{"errors":[{"code":"UNAUTHORIZED","message":"HTTP Basic: Access denied. ..."}]}`.
 * - Credentials that authenticate but carry no registry ability (a deploy token or access
 *   token without `read_registry`/`write_registry`/`api`): 403
 *   `{"errors":[{"code":"DENIED","message":"access forbidden"}]}`.
 * - No credentials at all: GitLab treats the caller as anonymous and grants pull on
 *   public projects only; the sandbox has none, so this is the same 403.
 * - Otherwise 200 with a token whose `access` lists only the granted actions. An action
 *   the credential lacks is silently dropped, and a scope with nothing granted is left
 *   out (`access: []`), so the refusal comes from the registry, not from here: 401 with
 *   `error="insufficient_scope"` in its `WWW-Authenticate`.
 *
 * Docs: https://docs.gitlab.com/administration/packages/container_registry/#use-an-external-container-registry-with-gitlab-as-an-auth-endpoint
 * Token spec: https://distribution.github.io/distribution/spec/auth/token/
 * Scope grammar: https://distribution.github.io/distribution/spec/auth/scope/
 */
import { type Clock, systemClock } from '../../shared/util/clock.js';
import type { Handler, Request, Response } from '../http.js';
import { issueRegistryToken, type RegistryAccess, type RegistryAuthority } from './authority.js';

/**
 * What the credential may do on one repository. `ok: false` without a reason means the
 * username/password did not authenticate (401); `reason: 'no_registry_scope'` means it
 * authenticated but has no registry scope at all (403).
 */
export type RegistryAuthorization =
  | { ok: false; reason?: 'invalid_credentials' | 'no_registry_scope' }
  | { ok: true; subject: string; granted: string[] };

/**
 * Supplied by the GitLab emulator. Called once per requested repository scope; for a
 * request without any scope (what `docker login` sends) it is called with repository
 * `''` and no actions, and only its authentication verdict is used.
 */
export type RegistryAuthorize = (
  username: string,
  password: string,
  repository: string,
  actions: string[],
) => RegistryAuthorization;

export interface RegistryTokenHandlerOptions {
  now?: Clock;
  /** Token lifetime in seconds (default 300, GitLab's default of 5 minutes). */
  ttlSeconds?: number;
  /**
   * `spec` (default) answers `token`, `access_token`, `expires_in` and `issued_at`, all
   * fields of the Distribution token spec; `gitlab` answers only `token`, as GitLab does.
   */
  responseFields?: 'spec' | 'gitlab';
}

interface RequestedScope {
  type: string;
  name: string;
  actions: string[];
}

/**
 * Docker sends one `scope` parameter per resource; RFC 6749 clients may also put several,
 * space-separated, in one. GitLab splits `type:name:actions` at the first two colons.
 */
export function parseScopes(query: URLSearchParams): RequestedScope[] {
  const scopes: RequestedScope[] = [];
  for (const value of query.getAll('scope')) {
    for (const item of value.split(/\s+/).filter(Boolean)) {
      const first = item.indexOf(':');
      const second = first < 0 ? -1 : item.indexOf(':', first + 1);
      if (second < 0) continue;
      scopes.push({
        type: item.slice(0, first),
        name: item.slice(first + 1, second),
        actions: item
          .slice(second + 1)
          .split(',')
          .filter(Boolean),
      });
    }
  }
  return scopes;
}

function basicCredentials(req: Request): { username: string; password: string } | undefined {
  const header = req.header('authorization');
  const match = header === undefined ? null : /^basic\s+(.*)$/i.exec(header.trim());
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // Rails only counts "user:password" as basic credentials; anything else is anonymous.
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function accessDenied(req: Request): Response {
  const host = req.header('host') ?? '127.0.0.1';
  const help = `http://${host}/help/user/profile/account/two_factor_authentication_troubleshooting.md#error-http-basic-access-denied-if-a-password-was-provided-for-git-authentication-`;
  return {
    status: 401,
    body: {
      errors: [
        {
          code: 'UNAUTHORIZED',
          message:
            'HTTP Basic: Access denied. If a password was provided for Git authentication, the ' +
            "password was incorrect or you're required to use a token instead of a password. If a " +
            `token was provided, it was either incorrect, expired, or improperly scoped. See ${help}`,
        },
      ],
    },
  };
}

const forbidden: Response = {
  status: 403,
  body: { errors: [{ code: 'DENIED', message: 'access forbidden' }] },
};

/** The `GET /jwt/auth` handler, to register on a `Router`. */
export function registryTokenHandler(
  authority: RegistryAuthority,
  authorize: RegistryAuthorize,
  opts: RegistryTokenHandlerOptions = {},
): Handler {
  const now = opts.now ?? systemClock;
  return async (req) => {
    if (req.query.get('service') !== authority.service) return { status: 404 };
    const credentials = basicCredentials(req);
    if (!credentials) return forbidden;

    const scopes = parseScopes(req.query);
    const verdicts: Array<{ scope: RequestedScope; result: RegistryAuthorization }> = [];
    const probes = scopes.length > 0 ? scopes : [{ type: 'repository', name: '', actions: [] }];
    for (const scope of probes) {
      const result = authorize(
        credentials.username,
        credentials.password,
        scope.name,
        scope.actions,
      );
      if (!result.ok && result.reason === 'no_registry_scope') return forbidden;
      if (!result.ok) return accessDenied(req);
      verdicts.push({ scope, result });
    }

    const access: RegistryAccess[] = [];
    let subject = '';
    for (const { scope, result } of verdicts) {
      if (!result.ok) continue;
      subject = result.subject;
      // Only repository scopes are granted; `registry:catalog:*` needs an admin in GitLab.
      if (scope.type !== 'repository' || scope.name === '') continue;
      const actions = scope.actions.filter((a) => result.granted.includes(a));
      if (actions.length > 0) access.push({ type: 'repository', name: scope.name, actions });
    }

    const issued = await issueRegistryToken(authority, {
      subject,
      access,
      now,
      ...(opts.ttlSeconds === undefined ? {} : { ttlSeconds: opts.ttlSeconds }),
    });
    if (opts.responseFields === 'gitlab') return { status: 200, body: { token: issued.token } };
    return {
      status: 200,
      body: {
        token: issued.token,
        access_token: issued.token,
        expires_in: issued.expiresInSeconds,
        issued_at: issued.issuedAt.toISOString(),
      },
    };
  };
}
