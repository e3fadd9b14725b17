/**
 * Discovery, side by side: the naive baseline against credrot's instance discovery, on
 * the same world, each with a fresh rate-limit window and its own client.
 */
import { discoverInstanceTokens } from '../shared/discovery/gitlab-instance.js';
import { naiveDiscovery } from './baseline-naive.js';
import { meteredClients, nextWindow } from './clients.js';
import type { BenchClock } from './clock.js';
import { memorySampler } from './meter.js';
import type { BenchWorld } from './world.js';

export interface DiscoverySide {
  calls: number;
  callsPerCredential: number;
  wallMs: number;
  /** calls / allowed rate, in real ms. */
  lowerBoundMs: number;
  overLowerBound: number;
  throttled: number;
  retries: number;
  found: number;
}

export interface DiscoveryBench {
  checked: number;
  due: number;
  groups: number;
  /** ceil(N / 100) + groups. */
  callBound: number;
  naive: DiscoverySide;
  credrot: DiscoverySide & { join: string; peakRssMb: number; peakHeapMb: number };
  /** Both found exactly the same due tokens with the same owners. */
  agree: boolean;
}

export async function benchDiscovery(
  world: BenchWorld,
  clock: BenchClock,
  options: { rateLimitPerMinute: number; concurrency: number },
): Promise<DiscoveryBench> {
  const lowerBound = (calls: number) =>
    (calls * 60_000) / options.rateLimitPerMinute / clock.factor;
  const side = (
    calls: number,
    wallMs: number,
    throttled: number,
    retries: number,
    found: number,
  ) => ({
    calls,
    callsPerCredential: calls / world.tokenCount,
    wallMs,
    lowerBoundMs: lowerBound(calls),
    overLowerBound: wallMs / lowerBound(calls),
    throttled,
    retries,
    found,
  });

  await nextWindow(clock);
  const naiveClients = meteredClients(world.url, world.adminToken, clock, options.concurrency);
  let from = await world.callCount();
  let started = performance.now();
  const naiveFound = await naiveDiscovery(naiveClients.admin, world.horizon);
  const naiveWall = performance.now() - started;
  const naiveCounts = await world.countCalls(from);

  await nextWindow(clock);
  const clients = meteredClients(world.url, world.adminToken, clock, options.concurrency);
  from = await world.callCount();
  const memory = memorySampler();
  started = performance.now();
  const found = await discoverInstanceTokens({
    client: clients.admin,
    expiresBefore: world.horizon,
    concurrency: options.concurrency,
  });
  const wall = performance.now() - started;
  const peak = memory.stop();
  const counts = await world.countCalls(from);

  const key = (id: number, owner: object) => `${id}:${JSON.stringify(owner)}`;
  const naiveKeys = new Set(naiveFound.map((t) => key(t.id, t.owner)));
  const ours = found.tokens.map((t) => key(t.id, t.owner));
  const agree = ours.length === naiveKeys.size && ours.every((k) => naiveKeys.has(k));

  return {
    checked: world.tokenCount,
    due: world.dueCount,
    groups: world.groupIds.length,
    callBound: Math.ceil(world.tokenCount / 100) + world.groupIds.length,
    naive: side(
      naiveCounts.calls,
      naiveWall,
      naiveCounts.throttled,
      naiveClients.retries(),
      naiveFound.length,
    ),
    credrot: {
      ...side(counts.calls, wall, counts.throttled, clients.retries(), found.tokens.length),
      join: found.join,
      peakRssMb: peak.rssMb,
      peakHeapMb: peak.heapMb,
    },
    agree,
  };
}
