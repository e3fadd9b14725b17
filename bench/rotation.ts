/**
 * Rotation throughput: `count` due project access tokens, each with three GitLab CI/CD
 * variable sinks, rotated through the real engine, source and sinks (the store is in
 * memory: the GitLab budget is what is measured), against the ideal
 * max(critical-path calls x latency x ceil(count / concurrency), calls / allowed rate).
 */

import { type RotationTarget, rotate } from '../shared/rotation/engine.js';
import { mapBounded } from '../shared/rotation/fleet.js';
import type { StoredCredential } from '../shared/rotation/types.js';
import { GitLabVariableSink } from '../shared/sinks/gitlab-variables/sink.js';
import { expiryInstant, GitLabAccessTokenSource } from '../shared/sources/gitlab/access-token.js';
import { MemoryStore } from '../test/unit/support/memory-world.js';
import { meteredClients, nextWindow } from './clients.js';
import type { BenchClock } from './clock.js';
import { type BenchWorld, isoDay } from './world.js';

/** GitLab calls one rotation makes in a row: list (orphans), status, create, verify, then per sink GET, PUT, GET. */
export const CRITICAL_PATH_CALLS = 7;
const SINK_KEYS = ['DEPLOY_TOKEN_A', 'DEPLOY_TOKEN_B', 'DEPLOY_TOKEN_C'];
const DAY_MS = 86_400_000;

export interface RotationBench {
  credentials: number;
  sinksEach: number;
  concurrency: number;
  rotated: number;
  calls: number;
  throttled: number;
  retries: number;
  wallMs: number;
  /** critical-path calls x latency x ceil(count / concurrency). */
  latencyIdealMs: number;
  /** Calls counted against the administrator / allowed rate. */
  rateIdealMs: number;
  idealMs: number;
  overIdeal: number;
}

export async function benchRotation(
  world: BenchWorld,
  clock: BenchClock,
  options: { count: number; concurrency: number; latencyMs: number; rateLimitPerMinute: number },
): Promise<RotationBench> {
  const clients = meteredClients(world.url, world.adminToken, clock, options.concurrency * 3);
  const now = clock.now();
  const expiresAt = isoDay(now + 3 * DAY_MS);
  const seeds = await world.seedRotation({
    count: options.count,
    expiresAt,
    sinkKeys: SINK_KEYS,
  });
  const targets: RotationTarget[] = [];
  for (const [i, seeded] of seeds.entries()) {
    const { projectId } = seeded;
    const name = `deploy-${i}`;
    const current: StoredCredential = {
      token: seeded.token,
      kind: 'gitlab-project-access-token',
      credential: name,
      sourceId: seeded.id,
      gitlabUrl: world.url,
      projectId,
      userId: seeded.userId,
      expiresAt: expiryInstant(expiresAt),
      rotationId: `seed-${i}`,
      mintedAt: new Date(now - 87 * DAY_MS).toISOString(),
    };
    const store = new MemoryStore();
    store.seedCurrent(current);
    targets.push({
      name,
      source: new GitLabAccessTokenSource({
        credential: name,
        kind: 'gitlab-project-access-token',
        gitlabUrl: world.url,
        client: clients.admin,
        clientFor: clients.clientFor,
        fetch: clients.fetch,
        resource: projectId,
        tokenName: name,
        scopes: ['read_api'],
        strategy: 'recreate',
      }),
      stores: [store],
      sinks: SINK_KEYS.map(
        (key) =>
          new GitLabVariableSink({
            client: clients.admin,
            level: { project: projectId },
            key: `${key}_${i}`,
          }),
      ),
      policy: { lifetimeMs: 90 * DAY_MS, gracePeriodMs: 7 * DAY_MS },
    });
  }

  await nextWindow(clock);
  const from = await world.callCount();
  const started = performance.now();
  const outcomes = await mapBounded(
    targets,
    options.concurrency,
    (target) =>
      rotate(target, { trigger: 'schedule', holder: 'bench', now: () => new Date(clock.now()) }),
    (target) => ({ credential: target.name, result: 'failed' as const, steps: [] }),
  );
  const wallMs = performance.now() - started;
  const counts = await world.countCalls(from);
  // The verify call authenticates as the new token's bot user: it has its own budget.
  const adminCalls = counts.calls - (counts.byOperation['gitlab.getSelfPersonalToken'] ?? 0);
  const latencyIdealMs =
    CRITICAL_PATH_CALLS * options.latencyMs * Math.ceil(options.count / options.concurrency);
  const rateIdealMs = (adminCalls * 60_000) / options.rateLimitPerMinute / clock.factor;
  const idealMs = Math.max(latencyIdealMs, rateIdealMs);
  return {
    credentials: options.count,
    sinksEach: SINK_KEYS.length,
    concurrency: options.concurrency,
    rotated: outcomes.filter((o) => o.result === 'rotated').length,
    calls: counts.calls,
    throttled: counts.throttled,
    retries: clients.retries(),
    wallMs,
    latencyIdealMs,
    rateIdealMs,
    idealMs,
    overIdeal: wallMs / idealMs,
  };
}
