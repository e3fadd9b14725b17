/**
 * GitLab's daily expiry notification job, run on demand: project and group access tokens,
 * and deploy tokens, that expire within seven days raise one `expiring_access_token` /
 * `expiring_deploy_token` webhook each (GitLab marks a token notified and does not repeat).
 * https://docs.gitlab.com/user/project/integrations/webhook_events/#project-and-group-access-token-events
 * (GitLab 17.7+ can also notify at 30 and 60 days; we emulate only the seven-day notice.)
 */

import type { DeployTokenStore } from './deploy-tokens.js';
import type { DeliveryResult, HookDispatcher, HookTarget } from './hooks.js';
import type { ResourceRef, World } from './identity.js';
import { expiryInstant } from './token-store.js';

const NOTICE_MS = 7 * 86_400_000;

export class ExpiryWorker {
  private readonly notified = new Set<string>();

  constructor(
    private readonly world: World,
    private readonly deployTokens: DeployTokenStore,
    private readonly hooks: HookDispatcher,
  ) {}

  /** Emits the due notifications once each; resolves with every delivery attempted. */
  async run(): Promise<DeliveryResult[]> {
    const now = this.world.now().getTime();
    const due = (expires: Date | null) =>
      expires !== null && expires.getTime() > now && expires.getTime() - now <= NOTICE_MS;
    const sends: Promise<DeliveryResult[]>[] = [];

    for (const t of this.world.tokens.all()) {
      const ref = this.world.botResource.get(t.userId);
      const key = `pat:${t.id}`;
      if (!ref || this.notified.has(key) || this.world.tokens.state(t) !== 'active') continue;
      const target = this.target(ref);
      if (!target || !t.expiresAt || !due(expiryInstant(t.expiresAt))) continue;
      this.notified.add(key);
      sends.push(
        this.hooks.emitResourceAccessTokenEvent(target, {
          id: t.id,
          name: t.name,
          user_id: t.userId,
          created_at: t.createdAt,
          expires_at: t.expiresAt,
        }),
      );
    }

    for (const d of this.deployTokens.list()) {
      const key = `deploy:${d.id}`;
      const target = this.target(d.owner);
      if (!target || this.notified.has(key) || !this.deployTokens.active(d) || !due(d.expiresAt))
        continue;
      this.notified.add(key);
      sends.push(
        this.hooks.emitDeployTokenEvent(target, {
          id: d.id,
          name: d.name,
          username: d.username,
          created_at: d.createdAt,
          expires_at: d.expiresAt ? d.expiresAt.toISOString() : null,
        }),
      );
    }
    return (await Promise.all(sends)).flat();
  }

  private target(ref: ResourceRef): HookTarget | undefined {
    if (ref.kind === 'project') {
      const project = this.world.projects.get(ref.id);
      return project && { project };
    }
    const group = this.world.groups.get(ref.id);
    return group && { group };
  }
}
