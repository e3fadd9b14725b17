/**
 * The bench's time factor: GitLab's limit of 2,000 requests a minute is kept, but the
 * minute lasts `1/factor` of a real minute, for the emulator (its clock and rate-limit
 * window) and for credrot's limiter and retry policy alike (their `now` and `sleep`).
 * Injected latency stays in real milliseconds.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface BenchClock {
  factor: number;
  /** Emulated epoch ms. */
  now(): number;
  /** Sleeps `ms` emulated ms (`ms / factor` real ms). */
  sleep(ms: number): Promise<void>;
}

export function acceleratedClock(factor: number, start = Date.now()): BenchClock {
  const t0 = performance.now();
  return {
    factor,
    now: () => start + (performance.now() - t0) * factor,
    sleep: async (ms) => {
      await delay(Math.max(0, ms / factor));
    },
  };
}
