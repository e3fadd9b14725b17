/**
 * A GitHub Actions secret (repository, environment or organization) as a credential sink.
 *
 * GitHub never returns a secret's value, so `readBack` answers `unreadable` and every
 * push writes. The value is sealed for the scope's public key, which is fetched once and
 * kept for the sink's life; when GitHub refuses the write with 422 because the key was
 * replaced meanwhile, the key is fetched again and the write retried once.
 *
 * Every call goes through credrot's HTTP policy (shared/http/policy-fetch.ts): PUT is
 * idempotent, so lost answers, 5xx and rate limits (429, or 403 with Retry-After) are
 * retried there.
 */
import { Octokit } from '@octokit/rest';
import { ValidationError } from '../../errors.js';
import { createPolicyFetch, type Fetch, type PolicyFetchOptions } from '../../http/policy-fetch.js';
import { renderTemplate } from '../../rotation/template.js';
import type { CredentialSink, PushOutcome, RenderContext } from '../../rotation/types.js';
import { fingerprint } from '../../util/fingerprint.js';
import { statusOf, translate } from './errors.js';
import { type GitHubSecretScope, type ScopeApi, scopeApi } from './scope.js';
import { type PublicKey, sealSecret } from './seal.js';

export type { GitHubSecretScope } from './scope.js';

/** GitHub's limit on a secret's size, in bytes (48 KB). */
export const MAX_SECRET_BYTES = 48 * 1024;

export interface GitHubConnection {
  /** API root, e.g. https://api.github.com or https://ghe.example.com/api/v3 */
  baseUrl: string;
  token: string;
  /** The transport under credrot's policy; default global fetch. */
  fetch?: Fetch;
  /** Timeouts, retries and limiter of the policy (tests shorten them); defaults otherwise. */
  policy?: Omit<PolicyFetchOptions, 'fetch'>;
}

export interface GitHubSecretSinkOptions {
  /** An Octokit, or the connection to build one that uses credrot's HTTP policy. */
  octokit: Octokit | GitHubConnection;
  scope: GitHubSecretScope;
  name: string;
  /** Default `{{token}}` (shared/rotation/template.ts). */
  template?: string;
}

/** An Octokit whose every request goes through credrot's retry and rate-limit policy. */
export function createGitHubClient(connection: GitHubConnection): Octokit {
  const fetch = createPolicyFetch({
    ...connection.policy,
    ...(connection.fetch ? { fetch: connection.fetch } : {}),
  });
  return new Octokit({
    baseUrl: connection.baseUrl.replace(/\/$/, ''),
    auth: connection.token,
    request: { fetch },
    // Failures surface as our own errors (errors.ts); Octokit's per-request error log
    // would only repeat them.
    log: { debug: () => {}, info: () => {}, warn: console.warn, error: () => {} },
  });
}

function isConnection(o: Octokit | GitHubConnection): o is GitHubConnection {
  const c = o as Partial<GitHubConnection>;
  return typeof c.token === 'string' && typeof c.baseUrl === 'string';
}

export class GitHubSecretSink implements CredentialSink {
  readonly label: string;
  private readonly scope: ScopeApi;
  private readonly name: string;
  private readonly template: string;
  private key: PublicKey | undefined;

  constructor(options: GitHubSecretSinkOptions) {
    const octokit = isConnection(options.octokit)
      ? createGitHubClient(options.octokit)
      : options.octokit;
    this.scope = scopeApi(octokit, options.scope);
    this.name = options.name;
    this.template = options.template ?? '{{token}}';
    this.label = `github secret ${options.name} ${this.scope.description}`;
  }

  render(ctx: RenderContext): string {
    return renderTemplate(this.template, ctx);
  }

  /** Refuses a value over GitHub's 48 KB limit. Any other text can be a secret. */
  validate(rendered: string): void {
    const bytes = Buffer.byteLength(rendered, 'utf8');
    if (bytes > MAX_SECRET_BYTES) {
      throw new ValidationError(
        `${this.label}: the value ${fingerprint(rendered)} is ${bytes} bytes; GitHub secrets hold at most ${MAX_SECRET_BYTES} (48 KB): use a shorter template, or encrypt a larger file into the repository and keep only its passphrase in the secret`,
        { context: { sink: this.label, bytes } },
      );
    }
  }

  /** Seals and writes the value; always `written` (GitHub cannot tell whether it changed). */
  async push(rendered: string): Promise<PushOutcome> {
    this.validate(rendered);
    const used = await this.publicKey(false);
    try {
      await this.write(rendered, used);
      return 'written';
    } catch (err) {
      if (statusOf(err) !== 422) throw translate(err, this.label, this.scope.kind);
      // A 422 may mean the scope's key changed since we cached it: fetch it again, and
      // retry only if it really did (otherwise the 422 is about something else).
      const fresh = await this.publicKey(true);
      if (fresh.keyId === used.keyId) throw translate(err, this.label, this.scope.kind);
      try {
        await this.write(rendered, fresh);
      } catch (again) {
        throw translate(again, this.label, this.scope.kind);
      }
      return 'written';
    }
  }

  async readBack(): Promise<'unreadable'> {
    return 'unreadable';
  }

  private async publicKey(refresh: boolean): Promise<PublicKey> {
    if (this.key && !refresh) return this.key;
    try {
      this.key = await this.scope.publicKey();
      return this.key;
    } catch (err) {
      throw translate(err, this.label, this.scope.kind);
    }
  }

  private async write(rendered: string, key: PublicKey): Promise<void> {
    const sealed = await sealSecret(key.key, rendered);
    await this.scope.put(this.name, sealed, key.keyId);
  }
}
