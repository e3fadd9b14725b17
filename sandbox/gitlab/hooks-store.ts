/**
 * Project and group webhooks as stored records, plus GitLab's auto-disabling rule for
 * failing hooks: https://docs.gitlab.com/user/project/integrations/webhooks/#auto-disabled-webhooks
 * After 4 consecutive failures (any non-2xx, timeout or connection error) a hook is
 * temporarily disabled for 1 minute, doubling with each further failure up to 24 hours;
 * after 40 consecutive failures it is disabled until someone re-enables it.
 */
import { randomUUID } from 'node:crypto';

export type HookKind = 'project' | 'group';

/** Trigger flags shared by project and group hooks (`push_events` defaults to true). */
export const HOOK_EVENT_FLAGS = [
  'push_events',
  'issues_events',
  'confidential_issues_events',
  'merge_requests_events',
  'tag_push_events',
  'note_events',
  'confidential_note_events',
  'job_events',
  'pipeline_events',
  'wiki_page_events',
  'deployment_events',
  'feature_flag_events',
  'releases_events',
  'emoji_events',
  'resource_access_token_events',
  'resource_deploy_token_events',
  'repository_update_events',
] as const;
/** Flags only group hooks have. */
export const GROUP_HOOK_EVENT_FLAGS = [
  'subgroup_events',
  'member_events',
  'project_events',
] as const;

export type HookEventFlag =
  | (typeof HOOK_EVENT_FLAGS)[number]
  | (typeof GROUP_HOOK_EVENT_FLAGS)[number];

export interface HookRecord {
  id: number;
  kind: HookKind;
  /** Project id or group id. */
  ownerId: number;
  url: string;
  /** The secret sent as `X-Gitlab-Token`; never returned by the API. */
  token: string | null;
  name: string | null;
  description: string | null;
  events: Partial<Record<HookEventFlag, boolean>>;
  enable_ssl_verification: boolean;
  push_events_branch_filter: string | null;
  created_at: Date;
  /** Stable per hook: `X-Gitlab-Webhook-UUID`. */
  uuid: string;
  recent_failures: number;
  backoff_count: number;
  disabled_until: Date | null;
  permanently_disabled: boolean;
}

export type AlertStatus = 'executable' | 'temporarily_disabled' | 'disabled';

const FAILURE_THRESHOLD = 3;
const PERMANENT_FAILURE_COUNT = 40;
const INITIAL_BACKOFF_MS = 60_000;
const MAX_BACKOFF_MS = 24 * 3_600_000;

export class HookStore {
  private readonly hooks: HookRecord[] = [];

  add(
    fields: Omit<
      HookRecord,
      'uuid' | 'recent_failures' | 'backoff_count' | 'disabled_until' | 'permanently_disabled'
    >,
  ): HookRecord {
    const hook: HookRecord = {
      ...fields,
      uuid: randomUUID(),
      recent_failures: 0,
      backoff_count: 0,
      disabled_until: null,
      permanently_disabled: false,
    };
    this.hooks.push(hook);
    return hook;
  }

  list(kind: HookKind, ownerId: number): HookRecord[] {
    return this.hooks.filter((h) => h.kind === kind && h.ownerId === ownerId);
  }

  get(kind: HookKind, ownerId: number, id: number): HookRecord | undefined {
    return this.hooks.find((h) => h.kind === kind && h.ownerId === ownerId && h.id === id);
  }

  byId(id: number): HookRecord | undefined {
    return this.hooks.find((h) => h.id === id);
  }

  remove(hook: HookRecord): void {
    const i = this.hooks.indexOf(hook);
    if (i >= 0) this.hooks.splice(i, 1);
  }
}

/** Whether GitLab would send to this hook now. */
export function isExecutable(hook: HookRecord, now: Date): boolean {
  return alertStatus(hook, now) === 'executable';
}

export function alertStatus(hook: HookRecord, now: Date): AlertStatus {
  if (hook.permanently_disabled) return 'disabled';
  if (hook.disabled_until && hook.disabled_until.getTime() > now.getTime()) {
    return 'temporarily_disabled';
  }
  return 'executable';
}

export function recordSuccess(hook: HookRecord): void {
  hook.recent_failures = 0;
  hook.backoff_count = 0;
  hook.disabled_until = null;
}

/** Counts a failed delivery and applies the backoff or the permanent disable. */
export function recordFailure(hook: HookRecord, now: Date): void {
  hook.recent_failures += 1;
  if (hook.recent_failures >= PERMANENT_FAILURE_COUNT) {
    hook.permanently_disabled = true;
    hook.disabled_until = null;
    return;
  }
  if (hook.recent_failures > FAILURE_THRESHOLD) {
    const ms = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** hook.backoff_count);
    hook.disabled_until = new Date(now.getTime() + ms);
    hook.backoff_count += 1;
  }
}

/** Manual re-enable (editing the hook in GitLab's UI does this). */
export function reenable(hook: HookRecord): void {
  recordSuccess(hook);
  hook.permanently_disabled = false;
}
