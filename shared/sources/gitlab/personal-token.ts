/**
 * GitLab personal access tokens: how they are minted, revoked and found again. Two modes,
 * chosen by what the connection's own token is:
 *
 * - **Administrator connection** (GitLab Self-Managed or Dedicated): create-new-then-revoke,
 *   as for every other kind. The new token is created for the stored token's user
 *   (`POST /users/:id/personal_access_tokens`, with credrot's marker in its description),
 *   the old one is revoked after the grace period (`DELETE /personal_access_tokens/:id`),
 *   and a token an interrupted run minted is found in the administrator listing
 *   (`GET /personal_access_tokens?state=active`) by its marker and revoked. Status is read
 *   by id, so a replaced token is never presented again. An expired or revoked current
 *   token is simply replaced. The first value must be stored by hand (the user is taken
 *   from it).
 * - **Any other connection** (GitLab.com, where no API creates a personal token for a
 *   user): self-rotation (`POST /personal_access_tokens/self/rotate`, scope `api` or
 *   `self_rotate`), which revokes the old value at once. Limitations, stated plainly:
 *   consumers hold a revoked value from the mint until distribute has finished; and a run
 *   that dies after GitLab rotated but before the store has the new value loses it (the
 *   old value is revoked, the new one is unknown to credrot and stays valid until it
 *   expires: nobody holding a valid credential of that user can list it). The next run
 *   then refuses to self-rotate the revoked value (that would trip GitLab's reuse
 *   detection and revoke the whole family) and says how to recover. A value minted in this
 *   process that must be rolled back is revoked with itself (`DELETE .../self`).
 *
 * https://docs.gitlab.com/api/personal_access_tokens/
 * https://docs.gitlab.com/api/user_tokens/#create-a-personal-access-token-for-a-user
 */
import { PermissionError, ProviderError } from '../../errors.js';
import type { MintRequest, Orphan, SourceStatus, StoredCredential } from '../../rotation/types.js';
import { type GitLabClient, isNotFound } from './client.js';
import { marker, mintedFor } from './marker.js';

export interface PersonalTokenView {
  id: number;
  name: string;
  active: boolean;
  revoked: boolean;
  expires_at?: string | null;
  user_id: number;
  description?: string | null;
  token?: string;
}

export interface PersonalTokensOptions {
  credential: string;
  /** The connection's client: an administrator, or the personal token itself at first. */
  client: GitLabClient;
  clientFor: (token: string) => GitLabClient;
  tokenName: string;
  scopes: string[];
  description?: string;
  /** The source's status reader (by id with an administrator, else with the token). */
  status: (value: StoredCredential) => Promise<SourceStatus>;
}

export class PersonalTokens {
  private admin: Promise<boolean> | undefined;
  /** Ids minted by this process and not rotated away since: safe to revoke with themselves. */
  private readonly fresh = new Set<number>();

  constructor(private readonly options: PersonalTokensOptions) {}

  /** Whether the connection's user is an administrator (asked once). */
  isAdmin(): Promise<boolean> {
    this.admin ??= this.options.client.Users.showCurrentUser().then(
      (u) => (u as { is_admin?: boolean }).is_admin === true,
      (err: unknown) => {
        // The connection's token may be the personal token itself, already rotated away
        // or revoked: then it is certainly no administrator, and the mint explains the rest.
        if (err instanceof ProviderError && err.status === 401) return false;
        throw err;
      },
    );
    this.admin.catch(() => {
      this.admin = undefined;
    });
    return this.admin;
  }

  async mint(req: MintRequest): Promise<PersonalTokenView & { token: string }> {
    const { current } = req;
    if (await this.isAdmin()) {
      if (!current || current.userId === undefined) {
        throw new ProviderError(
          `${this.options.credential}: an administrator connection creates the new personal access token for the user of the stored one, and no value is stored yet. Store the first value by hand (or rotate once with the token itself as the connection).`,
        );
      }
      const description = `${marker(this.options.credential, req.rotationId)} ${this.options.description ?? 'managed by credrot: do not edit or revoke by hand'}`;
      const view = (await this.options.client.PersonalAccessTokens.create(
        current.userId,
        this.options.tokenName,
        this.options.scopes,
        { expiresAt: req.expiresOn, description: description.slice(0, 255) } as never,
      )) as unknown as PersonalTokenView & { token: string };
      this.fresh.add(view.id);
      return view;
    }
    if (current) {
      // Self-rotating a revoked token trips reuse detection: GitLab revokes the family.
      const status = await this.options.status(current);
      if (status.state !== 'active') {
        throw new PermissionError(
          `${this.options.credential}: the stored personal access token (id ${current.sourceId}) is ${status.state}, and rotating it would make GitLab revoke its whole token family. Create a new token by hand and store it as current, or use an administrator connection (GitLab Self-Managed) so credrot can create one.`,
        );
      }
    }
    const client = current ? this.options.clientFor(current.token) : this.options.client;
    if (!current) {
      // The first rotation presents the connection's own token: a harmless GET first, so
      // a dead one (often the original, rotated away by an earlier run) never reaches rotate.
      const self = (await client.PersonalAccessTokens.show().catch((err: unknown) => {
        if (err instanceof ProviderError && err.status === 401) return { active: false };
        throw err;
      })) as { active?: boolean };
      if (!self.active) {
        throw new PermissionError(
          `${this.options.credential}: the connection's token is not active, so it cannot rotate itself; create a new token with the api or self_rotate scope and put it in the connection's token reference`,
        );
      }
    }
    const view = (await client.PersonalAccessTokens.rotate('self', {
      expiresAt: req.expiresOn,
    })) as unknown as PersonalTokenView & { token: string };
    if (current) this.fresh.delete(current.sourceId);
    this.fresh.add(view.id);
    return view;
  }

  async status(value: StoredCredential): Promise<unknown> {
    if (await this.isAdmin())
      return this.options.client.PersonalAccessTokens.show({ tokenId: value.sourceId });
    return this.options.clientFor(value.token).PersonalAccessTokens.show();
  }

  /** Revokes from saved state; idempotent. See the module comment for the self-rotation case. */
  async revoke(value: StoredCredential): Promise<void> {
    if (await this.isAdmin()) {
      await this.revokeId(value.sourceId);
      return;
    }
    // A value replaced by self-rotation is already revoked, and presenting it again is
    // never done; only a value this process minted and still owns is revoked, with itself.
    if (!this.fresh.has(value.sourceId)) return;
    try {
      await this.options.clientFor(value.token).PersonalAccessTokens.remove();
    } catch (err) {
      if (!(err instanceof ProviderError && (err.status === 401 || err.status === 404))) throw err;
    }
    this.fresh.delete(value.sourceId);
  }

  async revokeId(id: number): Promise<void> {
    try {
      await this.options.client.PersonalAccessTokens.remove({ tokenId: id });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  /** With an administrator: active tokens carrying this credential's marker. Otherwise none can be seen. */
  async findMinted(): Promise<Orphan[]> {
    if (!(await this.isAdmin())) return [];
    const all = (await this.options.client.PersonalAccessTokens.all({
      state: 'active',
      perPage: 100,
      maxPages: 100,
    } as never)) as unknown as PersonalTokenView[];
    return mintedFor(
      all,
      this.options.credential,
      (t) => t.description,
      (t) => `personal access token "${t.name}" id ${t.id} of user ${t.user_id}`,
    );
  }
}
