/**
 * Deploy tokens: the instance list (administrators), and list/get/create/delete on projects
 * and groups. https://docs.gitlab.com/api/deploy_tokens/
 * - Project endpoints need Maintainer; group listing needs Maintainer, group create/delete
 *   Owner; the instance list needs an administrator. Refusals are `403 {"message":"403 Forbidden"}`.
 * - `expires_at` is a datetime (no value: never expires); `username` defaults to
 *   `gitlab+deploy-token-<id>`; there is no rotate endpoint.
 * - Deleting destroys the token (a later GET is 404 and it stops authenticating).
 * - Deploy tokens cannot call the REST API (identity.ts answers 401); they authenticate to
 *   the container registry through `registryAccess` (registry-access.ts).
 */
import { HttpError, type Request, type Router } from '../http.js';
import { AccessLevel, type GitLabGroup, type GitLabProject } from './context.js';
import {
  apiParams,
  boolParam,
  dateTimeParam,
  requireParams,
  scopesParam,
  strParam,
} from './grape.js';
import type { ResourceRef, TokenCaller, World } from './identity.js';
import { paginate } from './pagination.js';
import { digestOf, newTokenValue } from './token-store.js';

export const DEPLOY_TOKEN_SCOPES = [
  'read_repository',
  'read_registry',
  'write_registry',
  'read_package_registry',
  'write_package_registry',
  'read_virtual_registry',
  'write_virtual_registry',
] as const;

export interface DeployTokenRecord {
  id: number;
  name: string;
  username: string;
  scopes: string[];
  expiresAt: Date | null;
  createdAt: Date;
  revoked: boolean;
  /** Destroyed by DELETE: invisible to the API, kept so `tokenState` can say "revoked". */
  deleted: boolean;
  owner: ResourceRef;
  digest: string;
}

export class DeployTokenStore {
  private readonly tokens = new Map<number, DeployTokenRecord>();

  constructor(
    private readonly nextId: () => number,
    private readonly now: () => Date,
  ) {}

  create(input: {
    owner: ResourceRef;
    name: string;
    scopes: string[];
    expiresAt: Date | null;
    username?: string;
  }): { record: DeployTokenRecord; token: string } {
    const token = newTokenValue('gldt-');
    const id = this.nextId();
    const record: DeployTokenRecord = {
      id,
      name: input.name,
      username: input.username || `gitlab+deploy-token-${id}`,
      scopes: [...input.scopes],
      expiresAt: input.expiresAt,
      createdAt: this.now(),
      revoked: false,
      deleted: false,
      owner: input.owner,
      digest: digestOf(token),
    };
    this.tokens.set(id, record);
    return { record, token };
  }

  /** Live (not deleted) tokens, optionally of one project or group. */
  list(owner?: ResourceRef): DeployTokenRecord[] {
    return [...this.tokens.values()].filter(
      (t) => !t.deleted && (!owner || (t.owner.kind === owner.kind && t.owner.id === owner.id)),
    );
  }

  findByValue(value: string): DeployTokenRecord | undefined {
    const digest = digestOf(value);
    return [...this.tokens.values()].find((t) => t.digest === digest);
  }

  expired(t: DeployTokenRecord): boolean {
    return t.expiresAt !== null && t.expiresAt.getTime() <= this.now().getTime();
  }

  active(t: DeployTokenRecord): boolean {
    return !t.revoked && !t.deleted && !this.expired(t);
  }

  present(t: DeployTokenRecord, token?: string): Record<string, unknown> {
    const out: Record<string, unknown> = {
      id: t.id,
      name: t.name,
      username: t.username,
      expires_at: t.expiresAt ? t.expiresAt.toISOString() : null,
      revoked: t.revoked,
      expired: this.expired(t),
      scopes: [...t.scopes],
    };
    if (token !== undefined) out['token'] = token;
    return out;
  }
}

export function registerDeployTokenRoutes(
  router: Router,
  world: World,
  store: DeployTokenStore,
): void {
  const activeFilter = (req: Request, tokens: DeployTokenRecord[]) => {
    const active = boolParam(apiParams(req), 'active');
    return active === undefined ? tokens : tokens.filter((t) => store.active(t) === active);
  };

  router.on('GET', '/api/v4/deploy_tokens', 'gitlab.listAllDeployTokens', (req) => {
    const caller = world.authenticate(req);
    world.requireScope(caller, ['api', 'read_api']);
    world.requireAdmin(caller);
    return paginate(req, activeFilter(req, store.list()), (t) => store.present(t));
  });

  for (const kind of ['project', 'group'] as const) {
    const base = `/api/v4/${kind}s/:id/deploy_tokens`;
    const resolve = (caller: TokenCaller, id: string, write: boolean): ResourceRef => {
      if (kind === 'project') {
        const project: GitLabProject = world.project(caller, id);
        world.requireProjectAccess(caller, project, AccessLevel.maintainer);
        return { kind, id: project.id };
      }
      const group: GitLabGroup = world.group(caller, id);
      world.requireGroupAccess(caller, group, write ? AccessLevel.owner : AccessLevel.maintainer);
      return { kind, id: group.id };
    };
    const findIn = (owner: ResourceRef, tokenId: string): DeployTokenRecord => {
      const t = store.list(owner).find((x) => String(x.id) === tokenId);
      if (!t) throw new HttpError(404, { message: '404 Not found' });
      return t;
    };

    router.on('GET', base, 'gitlab.listDeployTokens', (req) => {
      const caller = world.authenticate(req);
      world.requireScope(caller, ['api', 'read_api']);
      const owner = resolve(caller, req.params['id']!, false);
      return paginate(req, activeFilter(req, store.list(owner)), (t) => store.present(t));
    });

    router.on('GET', `${base}/:token_id`, 'gitlab.getDeployToken', (req) => {
      const caller = world.authenticate(req);
      world.requireScope(caller, ['api', 'read_api']);
      const owner = resolve(caller, req.params['id']!, false);
      return { status: 200, body: store.present(findIn(owner, req.params['token_id']!)) };
    });

    router.on('POST', base, 'gitlab.createDeployToken', (req) => {
      const caller = world.authenticate(req);
      world.requireScope(caller, ['api']);
      const p = apiParams(req);
      requireParams(p, ['name', 'scopes']);
      const scopes = scopesParam(p, 'scopes', DEPLOY_TOKEN_SCOPES);
      const expiresAt = dateTimeParam(p, 'expires_at') ?? null;
      const owner = resolve(caller, req.params['id']!, true);
      const username = strParam(p, 'username');
      if (username && store.list(owner).some((t) => t.username === username)) {
        throw new HttpError(400, { message: { username: ['has already been taken'] } });
      }
      const { record, token } = store.create({
        owner,
        name: strParam(p, 'name')!,
        scopes,
        expiresAt,
        username,
      });
      return { status: 201, body: store.present(record, token) };
    });

    router.on('DELETE', `${base}/:token_id`, 'gitlab.deleteDeployToken', (req) => {
      const caller = world.authenticate(req);
      world.requireScope(caller, ['api']);
      const owner = resolve(caller, req.params['id']!, true);
      const t = findIn(owner, req.params['token_id']!);
      t.revoked = true;
      t.deleted = true;
      return { status: 204 };
    });
  }
}
