/**
 * Organization secrets: like repository secrets plus a `visibility` (`all`, `private`,
 * `selected`) and, for `selected`, the list of repositories that may use the secret.
 *
 * https://docs.github.com/rest/actions/secrets (organization sections)
 */
import type { Request, Router } from '../http.js';
import type { GitHubContext } from './context.js';
import { githubError, notFound, validationFailed } from './errors.js';
import { paginate } from './pagination.js';
import { secretMetadata } from './repo-secrets.js';
import { checkSecretName, openSealedValue } from './secret-write.js';
import { type StoredSecret, scopeKey, type Visibility } from './store.js';
import { type Account, apiRoot, minimalRepository, type Repo } from './world.js';

const VISIBILITIES: readonly Visibility[] = ['all', 'private', 'selected'];

function orgSecretBody(req: Request, org: Account, secret: StoredSecret): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ...secretMetadata(secret),
    visibility: secret.visibility ?? 'all',
  };
  if (secret.visibility === 'selected') {
    body['selected_repositories_url'] =
      `${apiRoot(req)}/orgs/${org.login}/actions/secrets/${secret.name}/repositories`;
  }
  return body;
}

/** Resolves ids to repositories of `org`; 422 for ids that are not integers or not in the org. */
function reposOfOrg(ctx: GitHubContext, req: Request, org: Account, ids: unknown): Repo[] {
  if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id))) {
    throw validationFailed(req, 'selected_repository_ids', 'Must be an array of repository ids.');
  }
  return (ids as number[]).map((id) => {
    const repo = ctx.world.repoById(id);
    if (!repo || repo.owner.id !== org.id) {
      throw validationFailed(
        req,
        'selected_repository_ids',
        `Repository ${id} is not in the organization.`,
      );
    }
    return repo;
  });
}

/** Registers the organization secret routes on `router`. */
export function registerOrgSecretRoutes(router: Router, ctx: GitHubContext): void {
  const orgOf = (req: Request): Account => ctx.world.org(req, ctx.caller(req), req.params['org']!);
  const secretOf = (req: Request, org: Account): StoredSecret => {
    const secret = ctx.secrets.get(scopeKey.org(org.id), req.params['name']!);
    if (!secret) throw notFound(req);
    return secret;
  };
  const requireSelected = (req: Request, secret: StoredSecret): void => {
    if (secret.visibility !== 'selected') {
      throw githubError(req, 409, 'The secret\'s visibility is not set to "selected".');
    }
  };
  const base = '/orgs/:org/actions/secrets';

  router.on('GET', `${base}/public-key`, 'github.getOrgPublicKey', async (req) => {
    const org = orgOf(req);
    await ctx.keys.ready();
    return { status: 200, body: ctx.keys.publicKey(scopeKey.org(org.id)) };
  });

  router.on('GET', base, 'github.listOrgSecrets', (req) => {
    const org = orgOf(req);
    const all = ctx.secrets.list(scopeKey.org(org.id));
    const page = paginate(req, all);
    return {
      status: 200,
      headers: page.headers,
      body: { total_count: all.length, secrets: page.items.map((s) => orgSecretBody(req, org, s)) },
    };
  });

  router.on('GET', `${base}/:name`, 'github.getOrgSecret', (req) => {
    const org = orgOf(req);
    return { status: 200, body: orgSecretBody(req, org, secretOf(req, org)) };
  });

  router.on('PUT', `${base}/:name`, 'github.createOrUpdateOrgSecret', async (req) => {
    const org = orgOf(req);
    const name = req.params['name']!;
    checkSecretName(req, name);
    const scope = scopeKey.org(org.id);
    const existing = ctx.secrets.get(scope, name);
    const body = req.json<Record<string, unknown>>();
    const visibility = body['visibility'];
    if (typeof visibility !== 'string' || !VISIBILITIES.includes(visibility as Visibility)) {
      throw githubError(
        req,
        422,
        'Invalid request.\n\n"visibility" wasn\'t supplied or is not one of all, private, selected.',
      );
    }
    const ids = body['selected_repository_ids'];
    let selected: number[] | undefined;
    if (visibility === 'selected') {
      // Keeping the current list on a value-only update is what clients rely on.
      if (ids === undefined && existing?.visibility !== 'selected') {
        throw validationFailed(
          req,
          'selected_repository_ids',
          'Required when visibility is selected.',
        );
      }
      if (ids !== undefined) selected = reposOfOrg(ctx, req, org, ids).map((r) => r.id);
    } else if (ids !== undefined) {
      throw validationFailed(
        req,
        'selected_repository_ids',
        'You can only provide a list of repository ids when the visibility is set to selected.',
      );
    }
    const value = await openSealedValue(ctx, req, scope, existing === undefined);
    const { created } = ctx.secrets.put(scope, name, ctx.now(), {
      value,
      visibility: visibility as Visibility,
      selectedRepoIds: selected,
    });
    return created ? { status: 201, body: {} } : { status: 204 };
  });

  router.on('DELETE', `${base}/:name`, 'github.deleteOrgSecret', (req) => {
    const org = orgOf(req);
    if (!ctx.secrets.delete(scopeKey.org(org.id), req.params['name']!)) throw notFound(req);
    return { status: 204 };
  });

  router.on('GET', `${base}/:name/repositories`, 'github.listSelectedReposForOrgSecret', (req) => {
    const org = orgOf(req);
    const secret = secretOf(req, org);
    const repos = [...secret.selectedRepoIds]
      .map((id) => ctx.world.repoById(id))
      .filter((r): r is Repo => r !== undefined);
    const page = paginate(req, repos);
    return {
      status: 200,
      headers: page.headers,
      body: {
        total_count: repos.length,
        repositories: page.items.map((r) => minimalRepository(r, apiRoot(req))),
      },
    };
  });

  router.on('PUT', `${base}/:name/repositories`, 'github.setSelectedReposForOrgSecret', (req) => {
    const org = orgOf(req);
    const secret = secretOf(req, org);
    requireSelected(req, secret);
    const repos = reposOfOrg(ctx, req, org, req.json()['selected_repository_ids']);
    ctx.secrets.put(scopeKey.org(org.id), secret.name, ctx.now(), {
      selectedRepoIds: repos.map((r) => r.id),
    });
    return { status: 204 };
  });

  // https://docs.github.com/rest/actions/secrets#add-selected-repository-to-an-organization-secret
  // (409 "Conflict when visibility type is not set to selected")
  const changeOne = (add: boolean) => (req: Request) => {
    const org = orgOf(req);
    const secret = secretOf(req, org);
    requireSelected(req, secret);
    const repo = ctx.world.repoById(Number(req.params['repositoryId']));
    if (!repo || repo.owner.id !== org.id) throw notFound(req);
    const ids = new Set(secret.selectedRepoIds);
    if (add) ids.add(repo.id);
    else ids.delete(repo.id);
    ctx.secrets.put(scopeKey.org(org.id), secret.name, ctx.now(), { selectedRepoIds: [...ids] });
    return { status: 204 };
  };
  router
    .on(
      'PUT',
      `${base}/:name/repositories/:repositoryId`,
      'github.addSelectedRepoToOrgSecret',
      changeOne(true),
    )
    .on(
      'DELETE',
      `${base}/:name/repositories/:repositoryId`,
      'github.removeSelectedRepoFromOrgSecret',
      changeOne(false),
    );
}
