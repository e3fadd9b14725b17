/**
 * credrot's discovery in a Node process of its own, as a scheduled function runs it: a
 * cold process, new connections, nothing but credrot's code loaded. The bench bundles
 * this file with esbuild (no TypeScript loader in the process) and runs it once against
 * its emulator; the process's peak RSS (`maxRSS`, the kernel's figure rather than a
 * sample) is then credrot's own, apart from the emulator and its world.
 *
 * Input: JSON in the environment variable BENCH_DISCOVERY (`DiscoveryProcessInput`);
 * output: one JSON line on stdout (`DiscoveryProcessResult`).
 */
import { nextWindow } from './clients.js';
import { acceleratedClock } from './clock.js';
import { memorySampler } from './meter.js';
import { timedDiscovery } from './timed-discovery.js';

export interface DiscoveryProcessInput {
  url: string;
  adminToken: string;
  horizon: string;
  concurrency: number;
  /** The bench's clock, recreated here (its time factor, start and origin). */
  clock: { factor: number; start: number; origin: number };
}

export interface DiscoveryProcessResult {
  wallMs: number;
  retries: number;
  tokens: { id: number; owner: object }[];
  join: string;
  maxRssMb: number;
  /** Peak heap used, sampled every 5 ms. */
  heapMb: number;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env['BENCH_DISCOVERY'] ?? '{}') as DiscoveryProcessInput;
  const clock = acceleratedClock(input.clock.factor, input.clock.start, input.clock.origin);
  await nextWindow(clock);
  const memory = memorySampler(5);
  const { result: found, wallMs, retries } = await timedDiscovery(input, clock, input.concurrency);
  const peak = memory.stop();
  const result: DiscoveryProcessResult = {
    wallMs,
    retries,
    tokens: found.tokens.map((t) => ({ id: t.id, owner: t.owner })),
    join: found.join,
    // maxRSS is in kilobytes.
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapMb: peak.heapMb,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
