/**
 * One timed credrot discovery with a fresh client (limiter, retry count) on the bench
 * clock: what the bench process and the fresh process (discovery-process.ts) both run.
 */
import {
  discoverInstanceTokens,
  type InstanceDiscovery,
} from '../shared/discovery/gitlab-instance.js';
import { meteredClients } from './clients.js';
import type { BenchClock } from './clock.js';

export interface TimedDiscovery {
  result: InstanceDiscovery;
  wallMs: number;
  retries: number;
}

export async function timedDiscovery(
  target: { url: string; adminToken: string; horizon: string },
  clock: BenchClock,
  concurrency: number,
): Promise<TimedDiscovery> {
  const clients = meteredClients(target.url, target.adminToken, clock, concurrency);
  const started = performance.now();
  const result = await discoverInstanceTokens({
    client: clients.admin,
    expiresBefore: target.horizon,
    concurrency,
  });
  return { result, wallMs: performance.now() - started, retries: clients.retries() };
}
