/**
 * Discovery, side by side: the naive baseline against credrot's instance discovery, on
 * the same world, each run in a fresh rate-limit window with its own client.
 *
 * The baseline runs once (about a minute, latency-bound: warming up cannot move it).
 * credrot runs `repeats` times in the bench process, and the median is the wall time
 * figure, as for any repeated measurement. Then once in a Node process of its own
 * (discovery-process.ts), as a scheduled function would: that cold run gives its own
 * wall time and credrot's peak memory apart from the emulator. Then under a tight limit
 * (GitLab's proposed free-tier 100 requests a minute by default), where the budget, not
 * the round trips, bounds discovery: that run shows whether the limiter spends each
 * window's budget and waits for the reset instead of drawing 429s.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { naiveDiscovery } from './baseline-naive.js';
import { meteredClients, nextWindow } from './clients.js';
import type { BenchClock } from './clock.js';
import type { DiscoveryProcessInput, DiscoveryProcessResult } from './discovery-process.js';
import { timedDiscovery } from './timed-discovery.js';
import type { BenchWorld } from './world.js';

const execFileAsync = promisify(execFile);

type Found = { id: number; owner: object }[];

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
  /** The run in a fresh process: its wall time and ratio to the lower bound. */
  cold: { wallMs: number; overLowerBound: number };
  /** Wall times of the runs in the bench process, in run order (the figure is their median). */
  wallsMs: number[];
  /** Every run made the same number of calls. */
  sameCalls: boolean;
  /** Peak RSS (the kernel's maxRSS) and sampled peak heap of the fresh process. */
  maxRssMb: number;
  peakHeapMb: number;
}

interface Run {
  tokens: Found;
  wallMs: number;
  counts: { calls: number; throttled: number };
  retries: number;
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
  /** credrot runs in the bench process after the cold one (at least 1). */
  repeats: number;
  /** The tight limit of the rate-bound run, requests a minute. */
  tightRateLimitPerMinute: number;
}

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

  /** One credrot discovery in a fresh window, with a fresh limiter and retry count. */
  const once = async (): Promise<Run> => {
    await nextWindow(clock);
    const from = await world.callCount();
    const { result, wallMs, retries } = await timedDiscovery(world, clock, options.concurrency);
    const counts = await world.countCalls(from);
    return { tokens: result.tokens, wallMs, counts, retries };
  };

  // The measured runs in this process, then the cold one in a process of its own (after
  // them, so that it does not pay for the emulator's first build of its listing indexes).
  const measured: Run[] = [];
  for (let i = 0; i < Math.max(1, options.repeats); i++) measured.push(await once());
  const fresh = await inFreshProcess(world, clock, options.concurrency);
  const cold = fresh.run;
  const runs = [...measured, cold];
  const walls = measured.map((r) => r.wallMs);
  const calls = Math.max(...runs.map((r) => r.counts.calls));
  const sum = (f: (r: Run) => number) => runs.reduce((n, r) => n + f(r), 0);
  const agree = runs.every((r) => agrees(r.tokens));

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
        Math.min(...runs.map((r) => r.tokens.length)),
      ),
      join: fresh.join,
      cold: { wallMs: cold.wallMs, overLowerBound: cold.wallMs / lowerBound(cold.counts.calls) },
      wallsMs: walls,
      sameCalls: runs.every((r) => r.counts.calls === calls),
      maxRssMb: fresh.maxRssMb,
      peakHeapMb: fresh.heapMb,
    },
    tight: {
      ...side(
        tightRun.counts.calls,
        tightRun.wallMs,
        tightRun.counts.throttled,
        tightRun.retries,
        tightRun.tokens.length,
        options.tightRateLimitPerMinute,
      ),
      rateLimitPerMinute: options.tightRateLimitPerMinute,
      windowBoundMs,
      overWindowBound: windowBoundMs > 0 ? tightRun.wallMs / windowBoundMs : Number.NaN,
      agree: agrees(tightRun.tokens),
    },
    agree,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Bundles bench/discovery-process.ts (once per bench process) and runs it in a new `node`. */
async function inFreshProcess(
  world: BenchWorld,
  clock: BenchClock,
  concurrency: number,
): Promise<{ run: Run; join: string; maxRssMb: number; heapMb: number }> {
  bundled ??= bundleDiscoveryProcess();
  const script = await bundled;
  const input: DiscoveryProcessInput = {
    url: world.url,
    adminToken: world.adminToken,
    horizon: world.horizon,
    concurrency,
    clock: { factor: clock.factor, start: clock.start, origin: clock.origin },
  };
  const from = await world.callCount();
  const { stdout } = await execFileAsync(process.execPath, [script], {
    env: { ...process.env, BENCH_DISCOVERY: JSON.stringify(input) },
    maxBuffer: 64 * 2 ** 20,
  });
  const out = JSON.parse(stdout) as DiscoveryProcessResult;
  const counts = await world.countCalls(from);
  return {
    run: { tokens: out.tokens, wallMs: out.wallMs, counts, retries: out.retries },
    join: out.join,
    maxRssMb: out.maxRssMb,
    heapMb: out.heapMb,
  };
}

let bundled: Promise<string> | undefined;

async function bundleDiscoveryProcess(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'credrot-bench-'));
  const outfile = join(dir, 'discovery-process.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./discovery-process.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  return outfile;
}
