/**
 * Webhook delivery: which hooks receive an event, the request GitLab sends, the delivery
 * timeout and the failure accounting that auto-disables a hook.
 * Headers: https://docs.gitlab.com/user/project/integrations/webhooks/#delivery-headers
 * Timeout: https://docs.gitlab.com/user/gitlab_com/#webhooks (10 s; configurable on
 * self-managed). A retried or resent delivery keeps its `Idempotency-Key`.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Caller, GitLabContext, GitLabGroup, GitLabProject, GitLabUser } from './context.js';
import {
  accessTokenPayload,
  deployTokenPayload,
  type ExpiringAccessToken,
  type ExpiringDeployToken,
  type HookTarget,
  type IssueLike,
  issuePayload,
  type MergeRequestLike,
  type NoteLike,
  notePayload,
} from './hooks-payloads.js';
import {
  type HookEventFlag,
  type HookRecord,
  type HookStore,
  isExecutable,
  recordFailure,
  recordSuccess,
} from './hooks-store.js';

export interface HookDispatcherOptions {
  /** Per-delivery timeout in ms (GitLab.com: 10 000). */
  timeoutMs?: number;
  /** Sent as `X-Gitlab-Instance` and used for URLs inside payloads. */
  instanceUrl?: string;
  /** GitLab version in `User-Agent: GitLab/<version>`. */
  version?: string;
}

/** The outcome of one HTTP delivery of one event to one hook. */
export interface DeliveryResult {
  /** Equal to the `Idempotency-Key` header; pass it to `redeliver`. */
  deliveryId: string;
  hookId: number;
  url: string;
  event: string;
  eventUuid: string;
  idempotencyKey: string;
  /** HTTP status of the receiver's answer; absent on timeout or connection error. */
  status?: number;
  ok: boolean;
  error?: 'timeout' | 'network';
  durationMs: number;
  /** 1 for the first delivery, +1 per redelivery. */
  attempt: number;
}

interface Sent {
  hookId: number;
  event: string;
  eventUuid: string;
  body: string;
  attempts: number;
}

/** A caller that sees every group, for walking a project's ancestors when routing events. */
const SYSTEM_CALLER: Caller = {
  user: { id: 0, username: 'system', name: 'System', admin: true, bot: true, state: 'active' },
  scopes: ['api'],
};

export class HookDispatcher {
  /** Delivery timeout in ms; tests lower it. */
  timeoutMs: number;
  readonly instanceUrl: string;
  readonly version: string;
  /** Every delivery attempt in order. */
  readonly deliveries: DeliveryResult[] = [];
  private readonly sent = new Map<string, Sent>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: HookStore,
    private readonly ctx: GitLabContext,
    options: HookDispatcherOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.instanceUrl = (options.instanceUrl ?? 'https://gitlab.sandbox.test').replace(/\/$/, '');
    this.version = options.version ?? '18.2.0';
  }

  /** `Resource Access Token Hook` / `expiring_access_token` to hooks with `resource_access_token_events`. */
  emitResourceAccessTokenEvent(
    target: HookTarget,
    token: ExpiringAccessToken,
  ): Promise<DeliveryResult[]> {
    const body = accessTokenPayload(target, token, this.instanceUrl);
    return this.emit(
      this.targetHooks(target),
      'resource_access_token_events',
      'Resource Access Token Hook',
      body,
    );
  }

  /** `Resource Deploy Token Hook` / `expiring_deploy_token` to hooks with `resource_deploy_token_events`. */
  emitDeployTokenEvent(target: HookTarget, token: ExpiringDeployToken): Promise<DeliveryResult[]> {
    const body = deployTokenPayload(target, token, this.instanceUrl);
    return this.emit(
      this.targetHooks(target),
      'resource_deploy_token_events',
      'Resource Deploy Token Hook',
      body,
    );
  }

  /** `Note Hook` to the project's hooks (and its groups' hooks) with `note_events`. */
  emitNoteEvent(args: {
    user: GitLabUser;
    project: GitLabProject;
    note: NoteLike;
    noteable: IssueLike | MergeRequestLike;
  }): Promise<DeliveryResult[]> {
    const body = notePayload({ ...args, instanceUrl: this.instanceUrl });
    return this.emit(this.projectHooks(args.project), 'note_events', 'Note Hook', body);
  }

  /** `Issue Hook` to hooks with `issues_events`. */
  emitIssueEvent(args: {
    user: GitLabUser;
    project: GitLabProject;
    issue: IssueLike;
  }): Promise<DeliveryResult[]> {
    const body = issuePayload({ ...args, instanceUrl: this.instanceUrl });
    return this.emit(this.projectHooks(args.project), 'issues_events', 'Issue Hook', body);
  }

  /** Sends an earlier delivery again, same body, same `Idempotency-Key` and event UUID. */
  async redeliver(deliveryId: string): Promise<DeliveryResult> {
    const sent = this.sent.get(deliveryId);
    const hook = sent ? this.store.byId(sent.hookId) : undefined;
    if (!sent || !hook) throw new Error(`unknown delivery ${deliveryId} (or its hook was deleted)`);
    sent.attempts += 1;
    return this.deliver(hook, sent, deliveryId);
  }

  /**
   * Starts delivery without waiting (the API answers before hooks run, as GitLab's
   * Sidekiq workers do); `idle()` waits for it.
   */
  background(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Resolves when every background delivery has settled. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async emit(
    hooks: HookRecord[],
    flag: HookEventFlag,
    event: string,
    payload: unknown,
  ): Promise<DeliveryResult[]> {
    const now = this.ctx.now();
    const eventUuid = randomUUID();
    const body = JSON.stringify(payload);
    const targets = hooks.filter((h) => h.events[flag] === true && isExecutable(h, now));
    return Promise.all(
      targets.map((hook) => {
        const deliveryId = randomUUID();
        const sent: Sent = { hookId: hook.id, event, eventUuid, body, attempts: 1 };
        this.sent.set(deliveryId, sent);
        return this.deliver(hook, sent, deliveryId);
      }),
    );
  }

  private async deliver(hook: HookRecord, sent: Sent, deliveryId: string): Promise<DeliveryResult> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': `GitLab/${this.version}`,
      'x-gitlab-event': sent.event,
      'x-gitlab-webhook-uuid': hook.uuid,
      'x-gitlab-event-uuid': sent.eventUuid,
      'x-gitlab-instance': this.instanceUrl,
      'idempotency-key': deliveryId,
    };
    if (hook.token) headers['x-gitlab-token'] = hook.token;
    const started = performance.now();
    let status: number | undefined;
    let error: DeliveryResult['error'];
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers,
        body: sent.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      // Drain the body so the socket is released; GitLab stores only a prefix of it.
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      const name = (err as { name?: string }).name;
      error = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
    }
    const ok = status !== undefined && status >= 200 && status < 300;
    if (ok) recordSuccess(hook);
    else recordFailure(hook, this.ctx.now());
    const result: DeliveryResult = {
      deliveryId,
      hookId: hook.id,
      url: hook.url,
      event: sent.event,
      eventUuid: sent.eventUuid,
      idempotencyKey: deliveryId,
      ok,
      durationMs: Math.round(performance.now() - started),
      attempt: sent.attempts,
      ...(status !== undefined ? { status } : {}),
      ...(error ? { error } : {}),
    };
    this.deliveries.push(result);
    return result;
  }

  private targetHooks(target: HookTarget): HookRecord[] {
    if ('project' in target) return this.projectHooks(target.project);
    return [...this.store.list('group', target.group.id)];
  }

  /** A project event reaches the project's hooks and the hooks of every ancestor group. */
  private projectHooks(project: GitLabProject): HookRecord[] {
    const hooks = [...this.store.list('project', project.id)];
    for (const group of this.ancestors(project.namespace_id)) {
      hooks.push(...this.store.list('group', group.id));
    }
    return hooks;
  }

  private ancestors(namespaceId: number): GitLabGroup[] {
    const out: GitLabGroup[] = [];
    let id: number | null = namespaceId;
    while (id !== null && out.length < 32) {
      try {
        const group: GitLabGroup = this.ctx.group(SYSTEM_CALLER, String(id));
        out.push(group);
        id = group.parent_id;
      } catch {
        break; // a user namespace, or a group the context does not know
      }
    }
    return out;
  }
}
