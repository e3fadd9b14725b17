/**
 * Discovery, side by side: the naive baseline against credrot's instance discovery, on
 * the same world, each run in a fresh rate-limit window with its own client.
 *
 * The baseline runs once (about a minute, latency-bound: warming up cannot move it).
 * credrot runs `1 + repeats` times: the first run is reported on its own as the cold
 * one (first use of these code paths in this process, new connections, and the
 * emulator building its listing indexes), and the wall time is the median of the rest,
 * as for any repeated measurement. Then once more under a tight limit (GitLab's proposed
 * free-tier 100 requests a minute by default), where the budget, not the round trips,
 * bounds discovery: that run shows whether the limiter spends a window's budget fully
 * and waits for the reset instead of drawing 429s.
 */
import {
  discoverInstanceTokens,
  type InstanceDiscovery,
} from '../shared/discovery/gitlab-instance.js';
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

export interface CredrotDiscovery extends DiscoverySide {
  join: string;
  /** The first run's wall time and its ratio to the lower bound. */
  cold: { wallMs: number; overLowerBound: number };
  /** Wall times of the measured (warm) runs, in run order. */
  warmWallsMs: number[];
  /** Every run made the same number of calls. */
  sameCalls: boolean;
  /** The process's RSS just before credrot's first run (the emulator and its world). */
  restRssMb: number;
  peakRssMb: number;
  peakHeapMb: number;
}

export interface DiscoveryBench {
  checked: number;
  due: number;
  groups: number;
  /** ceil(N / 100) + groups. */
  callBound: number;
  naive: DiscoverySide;
  /** 429s and retries are totals over every run, the cold one included. */
  credrot: CredrotDiscovery;
  /**
   * One credrot run under `rateLimitPerMinute` requests a minute. GitLab counts in fixed
   * windows, so the budget forces a wait of (windows needed - 1) whole windows; that,
   * not calls / rate, is what the run cannot beat (`windowBoundMs`).
   */
  tight: DiscoverySide & {
    rateLimitPerMinute: number;
    windowBoundMs: number;
    overWindowBound: number;
    agree: boolean;
  };
  /** Both found exactly the same due tokens with the same owners. */
  agree: boolean;
}

export interface DiscoveryBenchOptions {
  rateLimitPerMinute: number;
  concurrency: number;
  /** Measured credrot runs after the cold one. */
  repeats: number;
  /** The tight limit of the rate-bound run, requests a minute. */
  tightRateLimitPerMinute: number;
}

type Found = { id: number; owner: object }[];

export async function benchDiscovery(
  world: BenchWorld,
  clock: BenchClock,
  options: DiscoveryBenchOptions,
): Promise<DiscoveryBench> {
  const lowerBound = (calls: number, perMinute = options.rateLimitPerMinute) =>
    (calls * 60_000) / perMinute / clock.factor;
  const side = (
    calls: number,
    wallMs: number,
    throttled: number,
    retries: number,
    found: number,
    perMinute = options.rateLimitPerMinute,
  ): DiscoverySide => ({
    calls,
    callsPerCredential: calls / world.tokenCount,
    wallMs,
    lowerBoundMs: lowerBound(calls, perMinute),
    overLowerBound: wallMs / lowerBound(calls, perMinute),
    throttled,
    retries,
    found,
  });

  await nextWindow(clock);
  const naiveClients = meteredClients(world.url, world.adminToken, clock, options.concurrency);
  const naiveFrom = await world.callCount();
  const naiveStarted = performance.now();
  const naiveFound = await naiveDiscovery(naiveClients.admin, world.horizon);
  const naiveWall = performance.now() - naiveStarted;
  const naiveCounts = await world.countCalls(naiveFrom);
  const key = (t: Found[number]) => `${t.id}:${JSON.stringify(t.owner)}`;
  const naiveKeys = new Set(naiveFound.map(key));
  const agrees = (found: Found) =>
    found.length === naiveKeys.size && found.every((t) => naiveKeys.has(key(t)));

  interface Run {
    result: InstanceDiscovery;
    wallMs: number;
    counts: { calls: number; throttled: number };
    retries: number;
  }
  /** One credrot discovery in a fresh window, with a fresh limiter and retry count. */
  const once = async (): Promise<Run> => {
    await nextWindow(clock);
    const clients = meteredClients(world.url, world.adminToken, clock, options.concurrency);
    const from = await world.callCount();
    const started = performance.now();
    const result = await discoverInstanceTokens({
      client: clients.admin,
      expiresBefore: world.horizon,
      concurrency: options.concurrency,
    });
    const wallMs = performance.now() - started;
    const counts = await world.countCalls(from);
    return { result, wallMs, counts, retries: clients.retries() };
  };

  const restRssMb = process.memoryUsage().rss / 2 ** 20;
  const memory = memorySampler();
  const runs: Run[] = [];
  for (let i = 0; i <= options.repeats; i++) runs.push(await once());
  const peak = memory.stop();
  const [cold, ...warm] = runs as [Run, ...Run[]];
  const measured = warm.length > 0 ? warm : [cold];
  const walls = measured.map((r) => r.wallMs);
  const calls = Math.max(...runs.map((r) => r.counts.calls));
  const sum = (f: (r: Run) => number) => runs.reduce((n, r) => n + f(r), 0);
  const agree = runs.every((r) => agrees(r.result.tokens));

  await world.setRateLimit(options.tightRateLimitPerMinute);
  let tightRun: Run;
  try {
    tightRun = await once();
  } finally {
    await world.setRateLimit(options.rateLimitPerMinute);
  }

  const windowMs = 60_000 / clock.factor;
  const windowBoundMs =
    Math.max(0, Math.ceil(tightRun.counts.calls / options.tightRateLimitPerMinute) - 1) * windowMs;
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
      ...side(
        calls,
        median(walls),
        sum((r) => r.counts.throttled),
        sum((r) => r.retries),
        Math.min(...runs.map((r) => r.result.tokens.length)),
      ),
      join: cold.result.join,
      cold: { wallMs: cold.wallMs, overLowerBound: cold.wallMs / lowerBound(cold.counts.calls) },
      warmWallsMs: warm.map((r) => r.wallMs),
      sameCalls: runs.every((r) => r.counts.calls === calls),
      restRssMb,
      peakRssMb: peak.rssMb,
      peakHeapMb: peak.heapMb,
    },
    tight: {
      ...side(
        tightRun.counts.calls,
        tightRun.wallMs,
        tightRun.counts.throttled,
        tightRun.retries,
        tightRun.result.tokens.length,
        options.tightRateLimitPerMinute,
      ),
      rateLimitPerMinute: options.tightRateLimitPerMinute,
      windowBoundMs,
      overWindowBound: windowBoundMs > 0 ? tightRun.wallMs / windowBoundMs : Number.NaN,
      agree: agrees(tightRun.result.tokens),
    },
    agree,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
