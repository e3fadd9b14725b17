/**
 * Repository and environment secrets: the two scopes share one shape (public key, list,
 * get, create-or-update, delete), so one set of handlers serves both, parameterised by how
 * the scope is resolved from the path.
 *
 * https://docs.github.com/rest/actions/secrets (repository and environment sections;
 * environment secrets use the modern `/repos/{owner}/{repo}/environments/{env}` path)
 */
import type { Handler, Request, Router } from '../http.js';
import type { GitHubContext } from './context.js';
import { notFound } from './errors.js';
import { paginate } from './pagination.js';
import { checkSecretName, openSealedValue } from './secret-write.js';
import { type StoredSecret, scopeKey } from './store.js';
import { isoSeconds } from './world.js';

/** The metadata GitHub answers for a secret; never its value. */
export function secretMetadata(secret: StoredSecret): Record<string, unknown> {
  return {
    name: secret.name,
    created_at: isoSeconds(secret.createdAt),
    updated_at: isoSeconds(secret.updatedAt),
  };
}

type ScopeOf = (ctx: GitHubContext, req: Request) => string;

const repoScope: ScopeOf = (ctx, req) => {
  const { owner, repo } = req.params as { owner: string; repo: string };
  return scopeKey.repo(ctx.world.repo(req, ctx.caller(req), owner, repo));
};

const environmentScope: ScopeOf = (ctx, req) => {
  const { owner, repo, env } = req.params as { owner: string; repo: string; env: string };
  const found = ctx.world.repo(req, ctx.caller(req), owner, repo);
  if (!found.environments.has(env.toLowerCase())) throw notFound(req);
  return scopeKey.environment(found, env);
};

interface ScopeHandlers {
  publicKey: Handler;
  list: Handler;
  get: Handler;
  put: Handler;
  delete: Handler;
}

function handlers(ctx: GitHubContext, scopeOf: ScopeOf): ScopeHandlers {
  return {
    publicKey: async (req) => {
      const scope = scopeOf(ctx, req);
      await ctx.keys.ready();
      return { status: 200, body: ctx.keys.publicKey(scope) };
    },
    list: (req) => {
      const all = ctx.secrets.list(scopeOf(ctx, req));
      const page = paginate(req, all);
      return {
        status: 200,
        headers: page.headers,
        body: { total_count: all.length, secrets: page.items.map(secretMetadata) },
      };
    },
    get: (req) => {
      const secret = ctx.secrets.get(scopeOf(ctx, req), req.params['name']!);
      if (!secret) throw notFound(req);
      return { status: 200, body: secretMetadata(secret) };
    },
    put: async (req) => {
      const scope = scopeOf(ctx, req);
      const name = req.params['name']!;
      checkSecretName(req, name);
      const value = (await openSealedValue(ctx, req, scope, true))!;
      const { created } = ctx.secrets.put(scope, name, ctx.now(), { value });
      return created ? { status: 201, body: {} } : { status: 204 };
    },
    delete: (req) => {
      if (!ctx.secrets.delete(scopeOf(ctx, req), req.params['name']!)) throw notFound(req);
      return { status: 204 };
    },
  };
}

/** Registers the repository and environment secret routes on `router`. */
export function registerRepoSecretRoutes(router: Router, ctx: GitHubContext): void {
  // https://docs.github.com/rest/actions/secrets#get-a-repository-public-key (and the four below it)
  const repo = handlers(ctx, repoScope);
  const base = '/repos/:owner/:repo/actions/secrets';
  router
    .on('GET', `${base}/public-key`, 'github.getRepoPublicKey', repo.publicKey)
    .on('GET', base, 'github.listRepoSecrets', repo.list)
    .on('GET', `${base}/:name`, 'github.getRepoSecret', repo.get)
    .on('PUT', `${base}/:name`, 'github.createOrUpdateRepoSecret', repo.put)
    .on('DELETE', `${base}/:name`, 'github.deleteRepoSecret', repo.delete);

  // https://docs.github.com/rest/actions/secrets#get-an-environment-public-key (and the four below it)
  const env = handlers(ctx, environmentScope);
  const envBase = '/repos/:owner/:repo/environments/:env/secrets';
  router
    .on('GET', `${envBase}/public-key`, 'github.getEnvironmentPublicKey', env.publicKey)
    .on('GET', envBase, 'github.listEnvironmentSecrets', env.list)
    .on('GET', `${envBase}/:name`, 'github.getEnvironmentSecret', env.get)
    .on('PUT', `${envBase}/:name`, 'github.createOrUpdateEnvironmentSecret', env.put)
    .on('DELETE', `${envBase}/:name`, 'github.deleteEnvironmentSecret', env.delete);
}
