/**
 * The bench at small N (bench/run.ts SMOKE), so that it cannot rot. Only what does not
 * depend on the machine's speed is asserted: call counts, 429s honoured, and that credrot
 * finds what the naive baseline finds. `npm run bench` gives the timed figures.
 */
import { describe, expect, it } from 'vitest';
import { runBench, SMOKE } from '../../bench/run.js';

describe('the bench, at small N', () => {
  it('discovers and rotates within the call-count bounds of issue 8', async () => {
    const run = await runBench(SMOKE);
    const { discovery: d, rotation: r } = run;
    // The emulator runs in its own thread, so the figures are credrot's (not a speed bound).
    expect(run.emulator).toBe('worker');
    expect(d.agree).toBe(true);
    expect(d.credrot.found).toBe(d.due);
    expect(d.credrot.calls).toBeLessThanOrEqual(Math.ceil(SMOKE.tokens / 100) + SMOKE.groups);
    expect(d.credrot.calls).toBeLessThan(d.naive.calls / 5);
    expect(d.credrot.retries).toBeGreaterThanOrEqual(d.credrot.throttled);
    expect(d.credrot.sameCalls).toBe(true);
    // Under a limit below its call count, discovery spends the first window's budget and
    // waits for the next: the same calls and tokens, and not one 429 drawn.
    expect(d.tight.calls).toBe(d.credrot.calls);
    expect(d.tight.calls).toBeGreaterThan(SMOKE.tightRateLimitPerMinute);
    expect(d.tight.agree).toBe(true);
    expect(d.tight.throttled).toBe(0);
    expect(r.rotated).toBe(SMOKE.rotations);
    expect(r.calls).toBeLessThanOrEqual(SMOKE.rotations * (4 + 3 * r.sinksEach));
    expect(r.retries).toBeGreaterThanOrEqual(r.throttled);
    const broken = run.checks.filter((c) => c.speedIndependent && !c.ok);
    expect(broken).toEqual([]);
  }, 60_000);
});
