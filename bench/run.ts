/**
 * One bench run: builds the world, then measures discovery (baseline and credrot) and
 * rotation throughput on it, and, unless skipped, cold starts and webhook acknowledgement.
 */
import { availableParallelism, loadavg } from 'node:os';
import { type Check, discoveryChecks, rotationChecks } from './checks.js';
import { acceleratedClock } from './clock.js';
import { benchDiscovery, type DiscoveryBench } from './discovery.js';
import { benchRotation, type RotationBench } from './rotation.js';
import type { WorldSize } from './world.js';
import { type EmulatorPlacement, startWorld } from './world-host.js';

export interface BenchOptions extends WorldSize {
  /** Injected latency per GitLab call, real ms. */
  latencyMs: number;
  /** GitLab's per-user limit, requests per (emulated) minute. */
  rateLimitPerMinute: number;
  /** Emulated minutes per real minute. */
  timeFactor: number;
  /** Requests in flight per host (discovery), rotations in flight (rotation). */
  concurrency: number;
  /** credrot discovery runs measured after the cold one (the figure is their median). */
  discoveryRepeats: number;
  /** The limit of the rate-bound discovery run, requests per (emulated) minute. */
  tightRateLimitPerMinute: number;
  rotations: number;
  rotationConcurrency: number;
  /** Where the GitLab emulator runs: a worker thread (default) or the bench's own thread. */
  emulator?: EmulatorPlacement;
}

export const DEFAULTS: BenchOptions = {
  tokens: 10_000,
  projects: 2_000,
  groups: 100,
  variables: 30_000,
  dueShare: 0.1,
  latencyMs: 25,
  rateLimitPerMinute: 2_000,
  timeFactor: 20,
  // GitLab's limit is per minute, not per second: a window's 2,000 requests may all be in
  // flight, and the limiter still counts every one against the budget. 100 lets discovery
  // read every page of its second round (about 110 here) side by side.
  concurrency: 100,
  discoveryRepeats: 5,
  // GitLab's proposed free-tier limit: discovery's 111 calls then need two windows.
  tightRateLimitPerMinute: 100,
  rotations: 1_000,
  rotationConcurrency: 50,
};

/** Small enough for CI (a few seconds); only its call counts are asserted. */
export const SMOKE: BenchOptions = {
  ...DEFAULTS,
  tokens: 600,
  projects: 60,
  groups: 6,
  variables: 600,
  latencyMs: 2,
  discoveryRepeats: 1,
  // Below the smoke's 8 discovery calls, so that the limit binds there too.
  tightRateLimitPerMinute: 5,
  rotations: 40,
  rotationConcurrency: 10,
};

export interface BenchRun {
  options: BenchOptions;
  seedMs: number;
  discovery: DiscoveryBench;
  rotation: RotationBench;
  checks: Check[];
  /** CPUs, and the 1-minute load average before and after the run (other work skews times). */
  machine: { cpus: number; loadBefore: number; loadAfter: number };
  /** Where the emulator ran. */
  emulator: EmulatorPlacement;
}

export async function runBench(
  options: BenchOptions,
  log: (line: string) => void = () => {},
): Promise<BenchRun> {
  const loadBefore = loadavg()[0]!;
  const clock = acceleratedClock(options.timeFactor);
  const seedStarted = performance.now();
  const world = await startWorld(options, clock, {
    rateLimitPerMinute: options.rateLimitPerMinute,
    latencyMs: options.latencyMs,
    where: options.emulator ?? 'worker',
  });
  const seedMs = performance.now() - seedStarted;
  log(
    `world seeded in ${(seedMs / 1000).toFixed(1)} s: ${options.tokens} tokens, ${options.projects} projects, ${options.groups} groups, ${options.variables} variables`,
  );
  try {
    log('discovery: naive baseline, then credrot ...');
    const discovery = await benchDiscovery(world, clock, {
      rateLimitPerMinute: options.rateLimitPerMinute,
      concurrency: options.concurrency,
      repeats: options.discoveryRepeats,
      tightRateLimitPerMinute: options.tightRateLimitPerMinute,
    });
    log(`rotation: ${options.rotations} credentials x 3 sinks ...`);
    const rotation = await benchRotation(world, clock, {
      count: options.rotations,
      concurrency: options.rotationConcurrency,
      latencyMs: options.latencyMs,
      rateLimitPerMinute: options.rateLimitPerMinute,
    });
    return {
      options,
      seedMs,
      discovery,
      rotation,
      checks: [...discoveryChecks(discovery), ...rotationChecks(rotation)],
      machine: { cpus: availableParallelism(), loadBefore, loadAfter: loadavg()[0]! },
      emulator: world.where,
    };
  } finally {
    await world.close();
  }
}
