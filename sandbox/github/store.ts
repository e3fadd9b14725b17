/**
 * Actions secrets as GitHub holds them: per scope (repository, environment,
 * organization), names upper-cased (names are case-insensitive), the decrypted value kept
 * only in memory and never answered over HTTP.
 *
 * Naming rules: https://docs.github.com/actions/security-for-github-actions/security-guides/using-secrets-in-github-actions#naming-your-secrets
 */
import type { Repo } from './world.js';

export type Visibility = 'all' | 'private' | 'selected';

export interface StoredSecret {
  name: string;
  value: string;
  createdAt: Date;
  updatedAt: Date;
  /** Organization secrets only. */
  visibility?: Visibility;
  /** Organization secrets with `selected` visibility. */
  selectedRepoIds: Set<number>;
}

/** Scope keys: one per repository, environment and organization. */
export const scopeKey = {
  repo: (repo: Repo): string => `repo:${repo.id}`,
  environment: (repo: Repo, env: string): string => `env:${repo.id}:${env.toLowerCase()}`,
  org: (orgId: number): string => `org:${orgId}`,
};

/** GitHub's value size limit: 48 KB. */
export const MAX_SECRET_BYTES = 48 * 1024;

/** Why `name` is not a valid secret name, or undefined when it is. */
export function secretNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    return 'Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_).';
  }
  if (/^[0-9]/.test(name)) return 'Secret names must not start with a number.';
  if (/^GITHUB_/i.test(name)) return 'Secret names must not start with the GITHUB_ prefix.';
  return undefined;
}

export class SecretStore {
  private readonly scopes = new Map<string, Map<string, StoredSecret>>();

  /** All secrets of a scope, sorted by name. */
  list(scope: string): StoredSecret[] {
    return [...(this.scopes.get(scope)?.values() ?? [])].sort((a, b) =>
      a.name.localeCompare(b.name),
    );
  }

  get(scope: string, name: string): StoredSecret | undefined {
    return this.scopes.get(scope)?.get(name.toUpperCase());
  }

  /** Creates or updates; `created` tells which (GitHub answers 201 or 204). */
  put(
    scope: string,
    name: string,
    now: Date,
    change: { value?: string; visibility?: Visibility; selectedRepoIds?: number[] },
  ): { created: boolean; secret: StoredSecret } {
    let secrets = this.scopes.get(scope);
    if (!secrets) {
      secrets = new Map();
      this.scopes.set(scope, secrets);
    }
    const key = name.toUpperCase();
    const existing = secrets.get(key);
    const secret: StoredSecret = existing ?? {
      name: key,
      value: '',
      createdAt: now,
      updatedAt: now,
      selectedRepoIds: new Set(),
    };
    if (change.value !== undefined) secret.value = change.value;
    if (change.visibility !== undefined) secret.visibility = change.visibility;
    if (change.selectedRepoIds !== undefined)
      secret.selectedRepoIds = new Set(change.selectedRepoIds);
    if (secret.visibility !== undefined && secret.visibility !== 'selected') {
      secret.selectedRepoIds = new Set();
    }
    secret.updatedAt = now;
    secrets.set(key, secret);
    return { created: existing === undefined, secret };
  }

  delete(scope: string, name: string): boolean {
    return this.scopes.get(scope)?.delete(name.toUpperCase()) ?? false;
  }
}
