/**
 * CI/CD variables at project, group and instance level.
 *
 * Wiring (for `index.ts`):
 *   const variables = createVariableStore();
 *   registerVariableRoutes(router, ctx, variables);   // returns the same store
 *   // tests/demo: variables.read('project', projectId, 'KEY', '*')?.value  (hidden ones too)
 * The store argument is optional; without it a fresh store is created and returned.
 *
 * Authorization follows GitLab: project variables need Maintainer, group variables Owner,
 * instance variables an administrator. Reads accept `read_api`; writes need `api`.
 *
 * When one key exists in several environment scopes and no `filter[environment_scope]`
 * is given, project-level get/update/delete answer 409 (GitLab refuses to guess), while
 * group level picks the oldest match, as GitLab has always done there.
 */
import type { Request, Response, Router } from '../http.js';
import { HttpError } from '../http.js';
import { AccessLevel, type Caller, type GitLabContext } from './context.js';
import {
  type ApiParams,
  boolParam as bool,
  apiParams as params,
  strParam as str,
} from './grape.js';
import { paginate } from './pagination.js';
import {
  createVariableStore,
  type MemoryVariableStore,
  type VariableLevel,
  type VariableRecord,
  type VariableType,
} from './variables-store.js';

export type { VariableLevel, VariableRecord, VariableStore } from './variables-store.js';
export { createVariableStore, isMaskable } from './variables-store.js';

const READ_SCOPES = ['api', 'read_api'];
const WRITE_SCOPES = ['api'];

interface Owner {
  level: VariableLevel;
  id: number;
}

/** How each level resolves its owner, authorizes the caller and names its 404. */
interface LevelSpec {
  level: VariableLevel;
  prefix: string;
  notFound: string;
  owner(ctx: GitLabContext, caller: Caller, req: Request): Owner;
}

const LEVELS: LevelSpec[] = [
  // https://docs.gitlab.com/api/project_level_variables/
  {
    level: 'project',
    prefix: '/api/v4/projects/:id/variables',
    notFound: '404 Variable Not Found',
    owner(ctx, caller, req) {
      const project = ctx.project(caller, req.params['id'] ?? '');
      ctx.requireProjectAccess(caller, project, AccessLevel.maintainer);
      return { level: 'project', id: project.id };
    },
  },
  // https://docs.gitlab.com/api/group_level_variables/ (managing them needs the Owner role)
  {
    level: 'group',
    prefix: '/api/v4/groups/:id/variables',
    notFound: '404 GroupVariable Not Found',
    owner(ctx, caller, req) {
      const group = ctx.group(caller, req.params['id'] ?? '');
      ctx.requireGroupAccess(caller, group, AccessLevel.owner);
      return { level: 'group', id: group.id };
    },
  },
  // https://docs.gitlab.com/api/instance_level_ci_variables/
  {
    level: 'instance',
    prefix: '/api/v4/admin/ci/variables',
    notFound: '404 Variable Not Found',
    owner(ctx, caller) {
      ctx.requireAdmin(caller);
      return { level: 'instance', id: 0 };
    },
  },
];

/**
 * Registers list/get/create/update/delete for the three variable levels.
 * @returns the store, so the caller can read values in-process.
 */
export function registerVariableRoutes(
  router: Router,
  ctx: GitLabContext,
  store: MemoryVariableStore = createVariableStore(),
): MemoryVariableStore {
  for (const spec of LEVELS) {
    const op = (name: string) => `gitlab.${name}${capitalize(spec.level)}Variable`;
    const auth = (req: Request, scopes: string[]): Owner => {
      const caller = ctx.authenticate(req);
      ctx.requireScope(caller, scopes);
      return spec.owner(ctx, caller, req);
    };

    router.on('GET', spec.prefix, op('list'), (req) => {
      const owner = auth(req, READ_SCOPES);
      return paginate(req, store.list(owner.level, owner.id), (v) => present(spec.level, v));
    });

    router.on('GET', `${spec.prefix}/:key`, op('get'), (req) => {
      const owner = auth(req, READ_SCOPES);
      const found = find(store, spec, owner, req.params['key'] ?? '', params(req));
      return { status: 200, body: present(spec.level, found) };
    });

    router.on('POST', spec.prefix, op('create'), (req) => {
      const owner = auth(req, WRITE_SCOPES);
      const p = params(req);
      requirePresent(p, ['key', 'value']);
      const hidden = spec.level !== 'instance' && bool(p, 'masked_and_hidden') === true;
      const raw = bool(p, 'raw') ?? false;
      const record = store.insert(owner.level, owner.id, {
        key: str(p, 'key') ?? '',
        value: str(p, 'value') ?? '',
        variable_type: variableType(p) ?? 'env_var',
        protected: bool(p, 'protected') ?? false,
        masked: hidden || (bool(p, 'masked') ?? false),
        hidden,
        raw,
        environment_scope: spec.level === 'instance' ? '*' : (str(p, 'environment_scope') ?? '*'),
        description: str(p, 'description') ?? null,
      });
      return { status: 201, body: present(spec.level, record) };
    });

    router.on('PUT', `${spec.prefix}/:key`, op('update'), (req) => {
      const owner = auth(req, WRITE_SCOPES);
      const p = params(req);
      const found = find(store, spec, owner, req.params['key'] ?? '', p);
      const changes: Partial<VariableRecord> = {};
      const set = <K extends keyof VariableRecord>(k: K, v: VariableRecord[K] | undefined) => {
        if (v !== undefined) changes[k] = v;
      };
      set('value', str(p, 'value'));
      set('variable_type', variableType(p));
      set('protected', bool(p, 'protected'));
      set('masked', bool(p, 'masked'));
      set('raw', bool(p, 'raw'));
      set('description', str(p, 'description'));
      if (spec.level !== 'instance') set('environment_scope', str(p, 'environment_scope'));
      const updated = store.update(owner.level, owner.id, found, changes);
      return { status: 200, body: present(spec.level, updated) };
    });

    router.on('DELETE', `${spec.prefix}/:key`, op('delete'), (req) => {
      const owner = auth(req, WRITE_SCOPES);
      const found = find(store, spec, owner, req.params['key'] ?? '', params(req));
      store.remove(owner.level, owner.id, found);
      return { status: 204 };
    });
  }
  return store;
}

/** GitLab's `find_variable`: filter by scope, 404 when none, 409 (project) when ambiguous. */
function find(
  store: MemoryVariableStore,
  spec: LevelSpec,
  owner: Owner,
  key: string,
  p: ApiParams,
): VariableRecord {
  const scope = spec.level === 'instance' ? undefined : environmentScopeFilter(p);
  const matches = store.matching(owner.level, owner.id, key, scope);
  const first = matches[0];
  if (!first) throw new HttpError(404, { message: spec.notFound });
  if (matches.length > 1 && spec.level === 'project') {
    throw new HttpError(409, {
      message:
        "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'",
    });
  }
  return first;
}

function variableType(p: ApiParams): VariableType | undefined {
  const t = str(p, 'variable_type');
  if (t === undefined) return undefined;
  if (t !== 'env_var' && t !== 'file') {
    throw new HttpError(400, { error: 'variable_type does not have a valid value' });
  }
  return t;
}

/** The API entity. Hidden values are never returned (`value: null`). */
function present(level: VariableLevel, v: VariableRecord): Response['body'] {
  const base = {
    variable_type: v.variable_type,
    key: v.key,
    value: v.hidden ? null : v.value,
    protected: v.protected,
    masked: v.masked,
    raw: v.raw,
    description: v.description,
  };
  if (level === 'instance') return base;
  return { ...base, hidden: v.hidden, environment_scope: v.environment_scope };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Grape's `requires` for these two: only an absent parameter is missing (an empty value
 * is a valid variable value).
 */
function requirePresent(p: ApiParams, names: string[]): void {
  const missing = names.filter((n) => p[n] === undefined || p[n] === null);
  if (missing.length > 0) {
    throw new HttpError(400, { error: missing.map((n) => `${n} is missing`).join(', ') });
  }
}

/**
 * `filter[environment_scope]`, wherever the client put it: the query string (GET, and
 * DELETE from curl), a nested JSON object (`{"filter":{"environment_scope":"x"}}`, which
 * is how @gitbeaker sends PUT and DELETE), or a flat form key.
 */
export function environmentScopeFilter(p: ApiParams): string | undefined {
  const flat = p['filter[environment_scope]'];
  if (typeof flat === 'string') return flat;
  const nested = p['filter'];
  if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
    const scope = (nested as ApiParams)['environment_scope'];
    if (typeof scope === 'string') return scope;
  }
  return undefined;
}
