/**
 * The bench's time factor: GitLab's limit of 2,000 requests a minute is kept, but the
 * minute lasts `1/factor` of a real minute, for the emulator (its clock and rate-limit
 * window) and for credrot's limiter and retry policy alike (their `now` and `sleep`).
 * Injected latency stays in real milliseconds.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface BenchClock {
  factor: number;
  /** Emulated epoch ms at `origin`. */
  start: number;
  /** Real epoch ms (high resolution) at which the clock read `start`. */
  origin: number;
  /** Emulated epoch ms. */
  now(): number;
  /** Sleeps `ms` emulated ms (`ms / factor` real ms). */
  sleep(ms: number): Promise<void>;
}

/** Real epoch ms, high resolution, comparable across threads (each has its own timeOrigin). */
function realNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A clock running `factor` times faster than real time. `start` and `origin` recreate the
 * same clock in another thread (the bench's emulator worker).
 */
export function acceleratedClock(
  factor: number,
  start = Date.now(),
  origin = realNow(),
): BenchClock {
  return {
    factor,
    start,
    origin,
    now: () => start + (realNow() - origin) * factor,
    sleep: async (ms) => {
      await delay(Math.max(0, ms / factor));
    },
  };
}
