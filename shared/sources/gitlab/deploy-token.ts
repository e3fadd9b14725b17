/**
 * GitLab deploy tokens (project or group) as a credential source. GitLab has no rotate
 * endpoint for them: credrot creates a new token, and the engine deletes the old one
 * after the grace period. Deploy tokens have no description, so the marker that lets a
 * later run find an orphan lives in the name.
 *
 * Deploy tokens cannot call the REST API, so they are verified where they are used. When
 * the credential names its registry, the new token logs in to that registry and reads the
 * configured image's manifest, the whole `docker login` + pull flow (shared/registry); a
 * refusal there (401/403) rolls the rotation back. Without a registry, a token with a
 * registry scope asks GitLab's registry token endpoint (`/jwt/auth`) for a pull token;
 * other tokens are checked by their metadata.
 */
import { PermissionError, ProviderError, VerificationError } from '../../errors.js';
import { createPolicyFetch, type Fetch } from '../../http/policy-fetch.js';
import type {
  CredentialSource,
  MintRequest,
  Orphan,
  SourceStatus,
  StoredCredential,
} from '../../rotation/types.js';
import { proveAtRegistry, type RegistryTarget } from '../registry/common.js';
import { type GitLabClient, isNotFound } from './client.js';
import { marker, mintedFor } from './marker.js';

export interface DeployTokenSourceOptions {
  credential: string;
  gitlabUrl: string;
  client: GitLabClient;
  resource: { project: string | number } | { group: string | number };
  tokenName: string;
  scopes: string[];
  username?: string;
  fetch?: Fetch;
  /** The registry the token is used at; verify then proves it there (repository default: the project's). */
  registry?: RegistryTarget;
}

interface DeployTokenView {
  id: number;
  name: string;
  username: string;
  expires_at: string | null;
  revoked?: boolean;
  expired?: boolean;
  scopes: string[];
  token?: string;
}

export class GitLabDeployTokenSource implements CredentialSource {
  readonly kind = 'gitlab-deploy-token' as const;
  private resolved: { projectId?: number; groupId?: number; path: string } | undefined;
  private readonly fetch: Fetch;

  constructor(private readonly options: DeployTokenSourceOptions) {
    this.fetch = options.fetch ?? createPolicyFetch();
  }

  private async where(): Promise<{ projectId?: number; groupId?: number; path: string }> {
    if (this.resolved) return this.resolved;
    const { client, resource } = this.options;
    if ('project' in resource) {
      const p = await client.Projects.show(resource.project);
      this.resolved = { projectId: p.id, path: p.path_with_namespace };
    } else {
      const g = await client.Groups.show(resource.group);
      this.resolved = { groupId: g.id, path: g.full_path };
    }
    return this.resolved;
  }

  private async owner(): Promise<{ projectId: number } | { groupId: number }> {
    const w = await this.where();
    return w.projectId !== undefined ? { projectId: w.projectId } : { groupId: w.groupId! };
  }

  async mint(req: MintRequest): Promise<StoredCredential> {
    const where = await this.where();
    const name = `${this.options.tokenName} ${marker(this.options.credential, req.rotationId)}`;
    const extra: Record<string, unknown> = {
      ...(await this.owner()),
      expires_at: `${req.expiresOn}T00:00:00Z`,
    };
    if (this.options.username) extra['username'] = this.options.username;
    const view = (await this.options.client.DeployTokens.create(
      name,
      this.options.scopes as never,
      extra as never,
    )) as unknown as DeployTokenView;
    if (!view.token)
      throw new ProviderError(
        'GitLab created a deploy token but returned no value; revoke it by hand and retry',
      );
    const out: StoredCredential = {
      token: view.token,
      username: view.username,
      kind: this.kind,
      credential: this.options.credential,
      sourceId: view.id,
      gitlabUrl: this.options.gitlabUrl,
      expiresAt: new Date(view.expires_at ?? `${req.expiresOn}T00:00:00Z`).toISOString(),
      rotationId: req.rotationId,
      mintedAt: req.now.toISOString(),
    };
    if (where.projectId !== undefined) out.projectId = where.projectId;
    if (where.groupId !== undefined) out.groupId = where.groupId;
    return out;
  }

  async verify(value: StoredCredential): Promise<string | undefined> {
    if (this.options.registry) {
      const target = this.options.registry;
      const where = await this.where();
      // A project token pulls its own project's image unless the config names another.
      const repository =
        target.repository ?? (where.projectId !== undefined ? where.path : undefined);
      return proveAtRegistry({ ...target, ...(repository ? { repository } : {}) }, value);
    }
    const registry = this.options.scopes.some(
      (s) => s === 'read_registry' || s === 'write_registry',
    );
    if (!registry) {
      const status = await this.status(value);
      if (status.state !== 'active')
        throw new VerificationError(
          `GitLab reports the new deploy token (id ${value.sourceId}) as ${status.state}`,
        );
      return;
    }
    const { path } = await this.where();
    const scope = `repository:${path}:pull`;
    const url = new URL('/jwt/auth', this.options.gitlabUrl);
    url.searchParams.set('service', 'container_registry');
    url.searchParams.set('scope', scope);
    const basic = Buffer.from(`${value.username ?? ''}:${value.token}`).toString('base64');
    const res = await this.fetch(url.toString(), { headers: { authorization: `Basic ${basic}` } });
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403) {
      throw new VerificationError(
        `GitLab's registry token endpoint refused the new deploy token (${res.status}) for scope ${scope}`,
      );
    }
    if (!res.ok)
      throw new ProviderError(
        `GitLab's registry token endpoint answered ${res.status} for scope ${scope}`,
        { status: res.status, retryable: res.status >= 500 },
      );
  }

  async status(value: StoredCredential): Promise<SourceStatus> {
    try {
      const view = (await this.options.client.DeployTokens.show(
        value.sourceId,
        (await this.owner()) as never,
      )) as unknown as DeployTokenView;
      const state = view.revoked ? 'revoked' : view.expired ? 'expired' : 'active';
      return view.expires_at
        ? { state, expiresAt: new Date(view.expires_at).toISOString() }
        : { state };
    } catch (err) {
      if (isNotFound(err)) return { state: 'missing' };
      throw err;
    }
  }

  async revoke(value: StoredCredential): Promise<void> {
    await this.remove(value.sourceId);
  }

  private async remove(id: number): Promise<void> {
    try {
      await this.options.client.DeployTokens.remove(id, (await this.owner()) as never);
    } catch (err) {
      if (isNotFound(err)) return;
      if (err instanceof PermissionError) throw err;
      throw err;
    }
  }

  async findMinted(): Promise<Orphan[]> {
    const all = (await this.options.client.DeployTokens.all({
      ...(await this.owner()),
      active: true,
      perPage: 100,
      maxPages: 100,
    } as never)) as unknown as DeployTokenView[];
    return mintedFor(
      all.filter((t) => !t.revoked && !t.expired),
      this.options.credential,
      (t) => t.name,
      (t) => `deploy token "${t.name}" id ${t.id}`,
    );
  }

  async revokeOrphan(orphan: Orphan): Promise<void> {
    await this.remove(orphan.sourceId);
  }
}
