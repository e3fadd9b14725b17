import { describe, expect, it } from 'vitest';
import { HostLimiter } from '../../shared/http/host-limiter.js';

/** A limiter on a virtual clock: sleeping advances time, and every sleep is recorded. */
function virtual(options: ConstructorParameters<typeof HostLimiter>[0] = {}) {
  let now = Date.parse('2026-11-22T00:00:00Z');
  const slept: number[] = [];
  const limiter = new HostLimiter({
    ...options,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  });
  return { limiter, slept, now: () => now };
}

const budget = (remaining: number, resetAtMs: number, limit?: number) =>
  new Headers({
    'ratelimit-remaining': String(remaining),
    'ratelimit-reset': String(Math.floor(resetAtMs / 1000)),
    ...(limit !== undefined ? { 'ratelimit-limit': String(limit) } : {}),
  });

describe('the per-host limiter', () => {
  it('counts its own requests against the announced budget and waits for the reset once it is spent', async () => {
    const { limiter, slept, now } = virtual();
    const resetAt = now() + 10_000;
    limiter.observe('gitlab.test', budget(3, resetAt, 2000));
    for (let i = 0; i < 3; i++) (await limiter.acquire('gitlab.test'))();
    expect(slept).toEqual([]);
    (await limiter.acquire('gitlab.test'))();
    expect(slept).toEqual([10_000]);
    // The new window's full budget is known from RateLimit-Limit: no more waiting.
    (await limiter.acquire('gitlab.test'))();
    expect(slept).toEqual([10_000]);
  });

  it('never raises the budget within a window when answers arrive out of order', async () => {
    const { limiter, now } = virtual();
    const resetAt = now() + 60_000;
    limiter.observe('gitlab.test', budget(5, resetAt));
    limiter.observe('gitlab.test', budget(9, resetAt));
    expect(limiter.snapshot('gitlab.test').remaining).toBe(5);
  });

  it('takes requests still in flight off the budget of a new window', async () => {
    const { limiter, now } = virtual();
    const inFlight = [await limiter.acquire('h'), await limiter.acquire('h')];
    limiter.observe('h', budget(100, now() + 60_000));
    expect(limiter.snapshot('h').remaining).toBe(98);
    for (const release of inFlight) release();
  });

  it('paces requests with a token bucket for limits the server does not announce', async () => {
    const { limiter, slept } = virtual({
      hosts: { 'api.github.test': { ratePerSecond: 2, burst: 2 } },
    });
    for (let i = 0; i < 5; i++) (await limiter.acquire('api.github.test'))();
    // Two at once (the burst), then one every 500 ms.
    expect(slept).toEqual([500, 500, 500]);
    // Another host has no bucket.
    for (let i = 0; i < 5; i++) (await limiter.acquire('other.test'))();
    expect(slept).toHaveLength(3);
  });

  it('holds every request to a host during a Retry-After pause, and no other host', async () => {
    const { limiter, slept } = virtual();
    limiter.pause('gitlab.test', 3_000);
    (await limiter.acquire('other.test'))();
    expect(slept).toEqual([]);
    (await limiter.acquire('gitlab.test'))();
    expect(slept).toEqual([3_000]);
    expect(limiter.snapshot('gitlab.test').delayed).toBe(1);
  });

  it('grants slots first come, first served when the concurrency bound is reached', async () => {
    const limiter = new HostLimiter({ concurrency: 1 });
    const first = await limiter.acquire('h');
    const order: number[] = [];
    const waiting = [1, 2, 3].map((n) =>
      limiter.acquire('h').then((release) => {
        order.push(n);
        release();
      }),
    );
    expect(limiter.snapshot('h').queued).toBe(3);
    first();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
  });
});
