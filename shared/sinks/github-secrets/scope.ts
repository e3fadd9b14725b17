/**
 * The three places a GitHub Actions secret lives, behind one face: read the scope's public
 * key, and create-or-update a sealed value. Organization secrets also carry their
 * visibility, and for `selected` the ids of the repositories that may use them (resolved
 * once from names through `GET /repos/{org}/{name}`).
 *
 * API: https://docs.github.com/rest/actions/secrets (repository, environment and
 * organization sections), https://docs.github.com/rest/repos/repos#get-a-repository
 */
import type { Octokit } from '@octokit/rest';
import { ConfigError, ProviderError } from '../../errors.js';
import { type ScopeKind, statusOf } from './errors.js';
import type { PublicKey } from './seal.js';

export type GitHubSecretScope =
  | { repository: string }
  | { repository: string; environment: string }
  | {
      organization: string;
      visibility: 'all' | 'private' | 'selected';
      /** Repository names in the organization (`name` or `org/name`). */
      selectedRepositories?: string[];
    };

export interface ScopeApi {
  readonly kind: ScopeKind;
  /** `in repository acme/api`, for labels. */
  readonly description: string;
  publicKey(): Promise<PublicKey>;
  put(name: string, encryptedValue: string, keyId: string): Promise<void>;
}

function ownerAndName(full: string): { owner: string; repo: string } {
  const [owner, repo, ...rest] = full.split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new ConfigError(`repository must be owner/name, got ${JSON.stringify(full)}`);
  }
  return { owner, repo };
}

/** Builds the scope face over `octokit`. */
export function scopeApi(octokit: Octokit, scope: GitHubSecretScope): ScopeApi {
  const actions = octokit.rest.actions;
  if ('organization' in scope) {
    const org = scope.organization;
    let selectedIds: number[] | undefined;
    const resolveSelected = async (): Promise<number[] | undefined> => {
      if (scope.visibility !== 'selected') return undefined;
      if (selectedIds) return selectedIds;
      const ids: number[] = [];
      for (const name of scope.selectedRepositories ?? []) {
        const repo = name.includes('/') ? ownerAndName(name).repo : name;
        try {
          const { data } = await octokit.rest.repos.get({ owner: org, repo });
          ids.push(data.id);
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
          throw new ProviderError(
            `repository ${org}/${repo} of selectedRepositories was not found: check the name, and that the token can see the repository`,
            { status: 404, context: { repository: `${org}/${repo}` } },
          );
        }
      }
      selectedIds = ids;
      return ids;
    };
    return {
      kind: 'organization',
      description: `in organization ${org} (visibility ${scope.visibility})`,
      async publicKey() {
        const { data } = await actions.getOrgPublicKey({ org });
        return { keyId: data.key_id, key: data.key };
      },
      async put(name, encryptedValue, keyId) {
        const ids = await resolveSelected();
        await actions.createOrUpdateOrgSecret({
          org,
          secret_name: name,
          encrypted_value: encryptedValue,
          key_id: keyId,
          visibility: scope.visibility,
          ...(ids ? { selected_repository_ids: ids } : {}),
        });
      },
    };
  }
  const { owner, repo } = ownerAndName(scope.repository);
  if ('environment' in scope) {
    const environment_name = scope.environment;
    return {
      kind: 'environment',
      description: `in environment ${environment_name} of ${owner}/${repo}`,
      async publicKey() {
        const { data } = await actions.getEnvironmentPublicKey({ owner, repo, environment_name });
        return { keyId: data.key_id, key: data.key };
      },
      async put(name, encryptedValue, keyId) {
        await actions.createOrUpdateEnvironmentSecret({
          owner,
          repo,
          environment_name,
          secret_name: name,
          encrypted_value: encryptedValue,
          key_id: keyId,
        });
      },
    };
  }
  return {
    kind: 'repository',
    description: `in repository ${owner}/${repo}`,
    async publicKey() {
      const { data } = await actions.getRepoPublicKey({ owner, repo });
      return { keyId: data.key_id, key: data.key };
    },
    async put(name, encryptedValue, keyId) {
      await actions.createOrUpdateRepoSecret({
        owner,
        repo,
        secret_name: name,
        encrypted_value: encryptedValue,
        key_id: keyId,
      });
    },
  };
}
