/**
 * Project and group webhooks: the REST endpoints, and the in-process `HookDispatcher`
 * that sends events to them.
 *
 * Wiring (for `index.ts`):
 *   const hooks = registerHookRoutes(router, ctx, { timeoutMs, instanceUrl });
 *   registerNoteRoutes(router, ctx, hooks);          // notes.ts emits Note/Issue hooks
 *   hooks.emitResourceAccessTokenEvent({ project }, token);  // from the expiry worker
 *   await hooks.idle();                               // tests: wait for background deliveries
 *
 * Managing hooks needs Maintainer on a project and Owner on a group. The hook's secret
 * `token` is write-only. Loopback URLs are allowed, as with the instance setting "Allow
 * requests to the local network from webhooks and integrations" turned on.
 *
 * Operation names (fault plans): gitlab.{list,get,create,edit,delete}{Project,Group}Hook.
 */
import { HttpError, type Request, type Router } from '../http.js';
import { AccessLevel, type Caller, type GitLabContext } from './context.js';
import {
  type ApiParams,
  boolParam as bool,
  apiParams as params,
  requireParams,
  strParam as str,
} from './grape.js';
import { HookDispatcher, type HookDispatcherOptions } from './hooks-delivery.js';
import {
  alertStatus,
  GROUP_HOOK_EVENT_FLAGS,
  HOOK_EVENT_FLAGS,
  type HookEventFlag,
  type HookKind,
  type HookRecord,
  HookStore,
  reenable,
} from './hooks-store.js';
import { paginate } from './pagination.js';

export type { DeliveryResult, HookDispatcherOptions } from './hooks-delivery.js';
export { HookDispatcher } from './hooks-delivery.js';
export type { ExpiringAccessToken, ExpiringDeployToken, HookTarget } from './hooks-payloads.js';
export { alertStatus, type HookRecord, HookStore } from './hooks-store.js';

interface KindSpec {
  kind: HookKind;
  prefix: string;
  ownerField: 'project_id' | 'group_id';
  notFound: string;
  flags: readonly HookEventFlag[];
  owner(ctx: GitLabContext, caller: Caller, req: Request): number;
}

const KINDS: KindSpec[] = [
  // https://docs.gitlab.com/api/project_webhooks/
  {
    kind: 'project',
    prefix: '/api/v4/projects/:id/hooks',
    ownerField: 'project_id',
    notFound: '404 Project Hook Not Found',
    flags: HOOK_EVENT_FLAGS,
    owner(ctx, caller, req) {
      const project = ctx.project(caller, req.params['id'] ?? '');
      ctx.requireProjectAccess(caller, project, AccessLevel.maintainer);
      return project.id;
    },
  },
  // https://docs.gitlab.com/api/group_webhooks/
  {
    kind: 'group',
    prefix: '/api/v4/groups/:id/hooks',
    ownerField: 'group_id',
    notFound: '404 Group Hook Not Found',
    flags: [...HOOK_EVENT_FLAGS, ...GROUP_HOOK_EVENT_FLAGS],
    owner(ctx, caller, req) {
      const group = ctx.group(caller, req.params['id'] ?? '');
      ctx.requireGroupAccess(caller, group, AccessLevel.owner);
      return group.id;
    },
  },
];

/**
 * Registers list/get/create/edit/delete for project and group hooks.
 * @returns the dispatcher that emits events to the registered hooks.
 */
export function registerHookRoutes(
  router: Router,
  ctx: GitLabContext,
  options: HookDispatcherOptions = {},
  store: HookStore = new HookStore(),
): HookDispatcher {
  const dispatcher = new HookDispatcher(store, ctx, options);
  for (const spec of KINDS) {
    const op = (name: string) =>
      `gitlab.${name}${spec.kind === 'project' ? 'Project' : 'Group'}Hook`;
    const auth = (req: Request, scopes: string[]): number => {
      const caller = ctx.authenticate(req);
      ctx.requireScope(caller, scopes);
      return spec.owner(ctx, caller, req);
    };
    const find = (req: Request, ownerId: number): HookRecord => {
      const id = Number(req.params['hook_id']);
      const hook = Number.isInteger(id) ? store.get(spec.kind, ownerId, id) : undefined;
      if (!hook) throw new HttpError(404, { message: spec.notFound });
      return hook;
    };
    const show = (hook: HookRecord) => present(spec, hook, ctx.now());

    router.on('GET', spec.prefix, op('list'), (req) => {
      const ownerId = auth(req, ['api', 'read_api']);
      return paginate(req, store.list(spec.kind, ownerId), show);
    });

    router.on('GET', `${spec.prefix}/:hook_id`, op('get'), (req) => {
      const ownerId = auth(req, ['api', 'read_api']);
      return { status: 200, body: show(find(req, ownerId)) };
    });

    router.on('POST', spec.prefix, op('create'), (req) => {
      const ownerId = auth(req, ['api']);
      const p = params(req);
      requireParams(p, ['url']);
      const url = validUrl(str(p, 'url') ?? '');
      const events: Partial<Record<HookEventFlag, boolean>> = { push_events: true };
      applyFlags(spec, p, events);
      const hook = store.add({
        id: ctx.nextId('hook'),
        kind: spec.kind,
        ownerId,
        url,
        token: str(p, 'token') ?? null,
        name: str(p, 'name') ?? null,
        description: str(p, 'description') ?? null,
        events,
        enable_ssl_verification: bool(p, 'enable_ssl_verification') ?? true,
        push_events_branch_filter: str(p, 'push_events_branch_filter') ?? null,
        created_at: ctx.now(),
      });
      return { status: 201, body: show(hook) };
    });

    router.on('PUT', `${spec.prefix}/:hook_id`, op('edit'), (req) => {
      const ownerId = auth(req, ['api']);
      const hook = find(req, ownerId);
      const p = params(req);
      const url = str(p, 'url');
      if (url !== undefined) hook.url = validUrl(url);
      const token = str(p, 'token');
      if (token !== undefined) hook.token = token.length > 0 ? token : null;
      hook.name = str(p, 'name') ?? hook.name;
      hook.description = str(p, 'description') ?? hook.description;
      hook.enable_ssl_verification =
        bool(p, 'enable_ssl_verification') ?? hook.enable_ssl_verification;
      applyFlags(spec, p, hook.events);
      // Saving a hook clears its failure state, as GitLab does for an edited hook.
      reenable(hook);
      return { status: 200, body: show(hook) };
    });

    router.on('DELETE', `${spec.prefix}/:hook_id`, op('delete'), (req) => {
      const ownerId = auth(req, ['api']);
      store.remove(find(req, ownerId));
      return { status: 204 };
    });
  }
  return dispatcher;
}

function applyFlags(
  spec: KindSpec,
  p: ApiParams,
  events: Partial<Record<HookEventFlag, boolean>>,
): void {
  for (const flag of spec.flags) {
    const v = bool(p, flag);
    if (v !== undefined) events[flag] = v;
  }
  // `job_events` has an older alias in the API, `build_events`.
  const build = bool(p, 'build_events');
  if (build !== undefined) events.job_events = build;
}

/** GitLab rejects anything but an absolute http(s) URL with 422 "Invalid url given". */
function validUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol === 'http:' || u.protocol === 'https:') return raw;
  } catch {
    // fall through
  }
  throw new HttpError(422, { error: 'Invalid url given' });
}

/** The API entity; never includes the secret token. */
function present(spec: KindSpec, hook: HookRecord, now: Date) {
  const flags: Record<string, boolean> = {};
  for (const flag of spec.flags) flags[flag] = hook.events[flag] === true;
  return {
    id: hook.id,
    url: hook.url,
    name: hook.name,
    description: hook.description,
    [spec.ownerField]: hook.ownerId,
    ...flags,
    push_events_branch_filter: hook.push_events_branch_filter,
    branch_filter_strategy: 'wildcard',
    enable_ssl_verification: hook.enable_ssl_verification,
    alert_status: alertStatus(hook, now),
    disabled_until: hook.disabled_until ? hook.disabled_until.toISOString() : null,
    url_variables: [],
    custom_headers: [],
    custom_webhook_template: null,
    created_at: hook.created_at.toISOString(),
  };
}
