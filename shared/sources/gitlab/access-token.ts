/**
 * GitLab project, group and personal access tokens as a credential source.
 *
 * Strategies:
 * - `recreate` (default): create a new token with the same name, scopes and access level;
 *   the old one stays valid until the engine retires it after the grace period.
 * - `rotate`: GitLab's rotate endpoint keeps the bot user but revokes the old token at
 *   once. Used only on a token that is active right now: rotating a revoked token trips
 *   GitLab's reuse detection, which revokes the whole token family. An expired or revoked
 *   token is recreated instead. GitLab copies the description to the rotated token, so a
 *   token lost to a crash right after the rotate call is found again by the marker of the
 *   token it replaced: the first token must carry credrot's marker (one credrot created
 *   does); for a hand-made first token such an orphan cannot be found.
 * Personal access tokens (personal-token.ts): created anew and revoked after the grace
 * period through an administrator connection (Self-Managed); otherwise they rotate
 * themselves (`/personal_access_tokens/self/rotate`), since on GitLab.com they cannot be
 * created through the API. Self-rotation revokes the old value at once, and a value lost
 * to a crash right after it cannot be found again: see personal-token.ts for what that
 * means for the protocol's invariants.
 *
 * `expires_at` is always sent: GitLab's default is one week. A token with `expires_at: D`
 * stops working at D 00:00 UTC (see shared/expiry/readers/gitlab-token.ts); the stored
 * `expiresAt` is that instant.
 */

import type { CredentialKind } from '../../config/schema.js';
import { ProviderError, VerificationError } from '../../errors.js';
import { createPolicyFetch, type Fetch } from '../../http/policy-fetch.js';
import type {
  CredentialSource,
  MintRequest,
  Orphan,
  SourceStatus,
  StoredCredential,
} from '../../rotation/types.js';
import { createGitLabClient, GitLabApiError, type GitLabClient, isNotFound } from './client.js';
import { marker, mintedFor } from './marker.js';
import { PersonalTokens } from './personal-token.js';

type AccessTokenKind = Extract<
  CredentialKind,
  'gitlab-project-access-token' | 'gitlab-group-access-token' | 'gitlab-personal-access-token'
>;

export interface AccessTokenSourceOptions {
  credential: string;
  kind: AccessTokenKind;
  gitlabUrl: string;
  /** Authenticated with the connection's credential (Maintainer/Owner of the resource). */
  client: GitLabClient;
  /** Project or group id or full path; absent for personal tokens. */
  resource?: string | number;
  tokenName: string;
  scopes: string[];
  accessLevel?: number;
  description?: string;
  strategy: 'recreate' | 'rotate';
  /** Builds a client that authenticates with a given token (self-rotation). */
  clientFor?: (token: string) => GitLabClient;
  /** HTTP for verify's one GET as the new token (the connection's policy fetch). */
  fetch?: Fetch;
}

interface TokenView {
  id: number;
  name: string;
  active: boolean;
  revoked: boolean;
  expires_at?: string | null;
  user_id: number;
  description?: string | null;
  token?: string;
}

/** GitLab's `expires_at` date as the instant the token stops working (00:00 UTC that day). */
export function expiryInstant(date: string): string {
  return new Date(`${date.slice(0, 10)}T00:00:00.000Z`).toISOString();
}

export class GitLabAccessTokenSource implements CredentialSource {
  readonly kind: AccessTokenKind;
  private resourceId: number | undefined;
  private readonly personal: PersonalTokens;
  private verifyFetch: Fetch | undefined;

  constructor(private readonly options: AccessTokenSourceOptions) {
    this.kind = options.kind;
    this.personal = new PersonalTokens({
      credential: options.credential,
      client: options.client,
      clientFor: (token) => this.clientFor(token),
      tokenName: options.tokenName,
      scopes: options.scopes,
      ...(options.description ? { description: options.description } : {}),
      status: (value) => this.status(value),
    });
  }

  private clientFor(token: string): GitLabClient {
    return (
      this.options.clientFor?.(token) ?? createGitLabClient({ url: this.options.gitlabUrl, token })
    );
  }

  /** The numeric project or group id, looked up once. */
  private async resource(): Promise<number> {
    if (this.resourceId !== undefined) return this.resourceId;
    const { resource, client, kind } = this.options;
    if (resource === undefined) throw new ProviderError(`${kind} needs a project or group`);
    if (typeof resource === 'number') this.resourceId = resource;
    else if (kind === 'gitlab-project-access-token')
      this.resourceId = (await client.Projects.show(resource)).id;
    else this.resourceId = (await client.Groups.show(resource)).id;
    return this.resourceId;
  }

  private get api() {
    return this.options.kind === 'gitlab-group-access-token'
      ? this.options.client.GroupAccessTokens
      : this.options.client.ProjectAccessTokens;
  }

  private stored(view: TokenView & { token: string }, req: MintRequest): StoredCredential {
    const out: StoredCredential = {
      token: view.token,
      kind: this.kind,
      credential: this.options.credential,
      sourceId: view.id,
      gitlabUrl: this.options.gitlabUrl,
      userId: view.user_id,
      expiresAt: expiryInstant(view.expires_at ?? req.expiresOn),
      rotationId: req.rotationId,
      mintedAt: req.now.toISOString(),
    };
    if (this.kind === 'gitlab-project-access-token' && this.resourceId !== undefined)
      out.projectId = this.resourceId;
    if (this.kind === 'gitlab-group-access-token' && this.resourceId !== undefined)
      out.groupId = this.resourceId;
    return out;
  }

  async mint(req: MintRequest): Promise<StoredCredential> {
    if (this.kind === 'gitlab-personal-access-token')
      return this.stored(await this.personal.mint(req), req);
    const id = await this.resource();
    if (this.options.strategy === 'rotate' && req.current) {
      // Only an active token may be rotated; anything else is recreated (reuse detection).
      const status = await this.status(req.current);
      if (status.state === 'active') {
        const view = (await this.api.rotate(id, req.current.sourceId, {
          expiresAt: req.expiresOn,
        })) as unknown as TokenView & { token: string };
        return this.stored(view, req);
      }
    }
    const description =
      `${marker(this.options.credential, req.rotationId)} ${this.options.description ?? 'managed by credrot: do not edit or revoke by hand'}`.slice(
        0,
        255,
      );
    const extra: Record<string, unknown> = { description };
    if (this.options.accessLevel !== undefined) extra['accessLevel'] = this.options.accessLevel;
    const view = (await this.api.create(
      id,
      this.options.tokenName,
      this.options.scopes as never,
      req.expiresOn,
      extra as never,
    )) as unknown as TokenView & {
      token: string;
    };
    return this.stored(view, req);
  }

  /**
   * Proves the new value works: one `GET /personal_access_tokens/self` authenticated with
   * it, through the HTTP policy, without building a whole gitbeaker client per token.
   * https://docs.gitlab.com/api/personal_access_tokens/#get-details-on-a-personal-access-token
   */
  async verify(value: StoredCredential): Promise<void> {
    const base = this.options.gitlabUrl.replace(/\/$/, '');
    this.verifyFetch ??= this.options.fetch ?? createPolicyFetch();
    const res = await this.verifyFetch(`${base}/api/v4/personal_access_tokens/self`, {
      headers: { 'PRIVATE-TOKEN': value.token, accept: 'application/json' },
    });
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new VerificationError(
        `GitLab refused the new ${this.kind} (${res.status}) at ${this.options.gitlabUrl}`,
        { cause: new ProviderError(`GitLab answered ${res.status}`, { status: res.status }) },
      );
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new GitLabApiError(
        'GET',
        '/personal_access_tokens/self',
        res.status,
        text.slice(0, 300),
      );
    }
    const self = (await res.json()) as TokenView;
    if (self.id !== value.sourceId || !self.active) {
      throw new VerificationError(
        `GitLab reports the new token (id ${value.sourceId}) as inactive`,
      );
    }
  }

  async status(value: StoredCredential): Promise<SourceStatus> {
    try {
      const view = (await this.show(value)) as TokenView;
      const expiresAt = view.expires_at ? expiryInstant(view.expires_at) : undefined;
      const state = view.revoked ? 'revoked' : view.active ? 'active' : 'expired';
      return expiresAt ? { state, expiresAt } : { state };
    } catch (err) {
      if (isNotFound(err)) return { state: 'missing' };
      // A personal token's status is read with the token itself: 401 means it is dead.
      if (
        this.kind === 'gitlab-personal-access-token' &&
        err instanceof ProviderError &&
        err.status === 401
      )
        return { state: 'revoked' };
      throw err;
    }
  }

  private async show(value: StoredCredential): Promise<unknown> {
    if (this.kind === 'gitlab-personal-access-token') return this.personal.status(value);
    return this.api.show(await this.resource(), value.sourceId);
  }

  async revoke(value: StoredCredential): Promise<void> {
    if (this.kind === 'gitlab-personal-access-token') return this.personal.revoke(value);
    await this.revokeId(value.sourceId);
  }

  private async revokeId(id: number): Promise<void> {
    try {
      await this.api.revoke(await this.resource(), id);
    } catch (err) {
      // Gone or already revoked: the goal is reached.
      if (isNotFound(err)) return;
      throw err;
    }
  }

  async findMinted(): Promise<Orphan[]> {
    if (this.kind === 'gitlab-personal-access-token') return this.personal.findMinted();
    const all = (await this.api.all(await this.resource(), {
      state: 'active',
      perPage: 100,
      maxPages: 100,
    } as never)) as unknown as TokenView[];
    return mintedFor(
      all,
      this.options.credential,
      (t) => t.description,
      (t) => `${this.kind} "${t.name}" id ${t.id}`,
    );
  }

  async revokeOrphan(orphan: Orphan): Promise<void> {
    if (this.kind === 'gitlab-personal-access-token')
      return this.personal.revokeId(orphan.sourceId);
    await this.revokeId(orphan.sourceId);
  }
}
