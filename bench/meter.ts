/**
 * What the bench measures around a phase: wall time, the emulator's call log (calls,
 * 429s), the client's retries, and the process's peak memory.
 */
import type { GitLabEmulator } from '../sandbox/gitlab/index.js';

export interface PhaseCounts {
  calls: number;
  /** Answers with status 429 (each one then waited for and retried, or reported). */
  throttled: number;
  byOperation: Record<string, number>;
}

/** Counts the emulator's calls from `from` (an index into its call log). */
export function countCalls(gitlab: GitLabEmulator, from: number): PhaseCounts {
  const calls = gitlab.router.calls.slice(from);
  const byOperation: Record<string, number> = {};
  for (const c of calls) byOperation[c.operation] = (byOperation[c.operation] ?? 0) + 1;
  return {
    calls: calls.length,
    throttled: calls.filter((c) => c.status === 429).length,
    byOperation,
  };
}

/** Samples RSS and heap every `everyMs` until stopped; returns the peaks in MB. */
export function memorySampler(everyMs = 25): { stop(): { rssMb: number; heapMb: number } } {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { rssMb: rss / 2 ** 20, heapMb: heap / 2 ** 20 };
    },
  };
}
