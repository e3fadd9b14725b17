import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../shared/errors.js';
import { HostLimiter } from '../../shared/http/host-limiter.js';
import { createPolicyFetch, type Fetch, retryAfterMs } from '../../shared/http/policy-fetch.js';

/** A fake server: answers the scripted statuses in order and records what it saw. */
function scripted(statuses: Array<number | 'drop'>, headers: Record<string, string> = {}) {
  const seen: string[] = [];
  const fetch: Fetch = async (input, init) => {
    seen.push(`${init?.method ?? 'GET'} ${String(input)}`);
    const next = statuses.shift() ?? 200;
    if (next === 'drop') throw new TypeError('fetch failed');
    return new Response(JSON.stringify({ message: String(next) }), { status: next, headers });
  };
  return { fetch, seen };
}

/** The policy on a virtual clock: sleeping advances time instead of waiting. */
function policy(fetch: Fetch, waits: number[] = []) {
  let now = Date.now();
  const sleep = async (ms: number) => {
    waits.push(ms);
    now += ms;
  };
  const advance = async (ms: number) => {
    now += ms;
  };
  const limiter = new HostLimiter({ now: () => now, sleep: advance });
  return createPolicyFetch({ fetch, limiter, sleep });
}

describe('the HTTP retry policy', () => {
  it('retries an idempotent GET through 502 and 503 until it succeeds', async () => {
    const server = scripted([502, 503, 200]);
    const res = await policy(server.fetch)('http://gitlab.test/api/v4/projects/1');
    expect(res.status).toBe(200);
    expect(server.seen).toHaveLength(3);
  });

  it('never retries a POST that failed with a 5xx, because it may have taken effect', async () => {
    const server = scripted([502, 200]);
    const res = await policy(server.fetch)(
      'http://gitlab.test/api/v4/projects/1/access_tokens/7/rotate',
      { method: 'POST' },
    );
    expect(res.status).toBe(502);
    expect(server.seen).toHaveLength(1);
  });

  it('never retries a POST whose connection dropped, and says why', async () => {
    const server = scripted(['drop', 200]);
    const call = policy(server.fetch)('http://gitlab.test/api/v4/projects/1/access_tokens', {
      method: 'POST',
    });
    await expect(call).rejects.toThrow(/not retried because it may have taken effect/);
    await expect(call).rejects.toBeInstanceOf(ProviderError);
    expect(server.seen).toHaveLength(1);
  });

  it('retries a rate-limited POST after the Retry-After the server asked for', async () => {
    const server = scripted([429, 201], { 'retry-after': '3' });
    const waits: number[] = [];
    const res = await policy(server.fetch, waits)('http://gitlab.test/x', {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(201);
    expect(waits).toEqual([3000]);
  });

  it('gives up with the 429 when the server asks for a wait longer than the configured maximum', async () => {
    const server = scripted([429, 200], { 'retry-after': '3600' });
    const res = await policy(server.fetch)('http://gitlab.test/x');
    expect(res.status).toBe(429);
    expect(server.seen).toHaveLength(1);
  });

  it('does not leak the query string into errors', async () => {
    const server = scripted(['drop', 'drop', 'drop', 'drop', 'drop']);
    const call = policy(server.fetch)('http://gitlab.test/x?private_token=s3cret');
    await expect(call).rejects.toThrow(/after 5 attempts/);
    await call.catch((err: Error) => expect(err.message).not.toContain('s3cret'));
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '12' }))).toBe(12_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), now)).toBe(
      30_000,
    );
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});

describe('the per-host limiter', () => {
  it('holds requests until the window resets once the server reports the budget spent', async () => {
    let now = Date.parse('2026-11-22T00:00:00Z');
    const slept: number[] = [];
    const limiter = new HostLimiter({
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    limiter.observe(
      'gitlab.test',
      new Headers({ 'ratelimit-remaining': '0', 'ratelimit-reset': String((now + 5000) / 1000) }),
    );
    const release = await limiter.acquire('gitlab.test');
    release();
    expect(slept).toEqual([5000]);
  });

  it('bounds the requests in flight per host', async () => {
    const limiter = new HostLimiter({ concurrency: 2 });
    const a = await limiter.acquire('h');
    await limiter.acquire('h');
    let third = false;
    const pending = limiter.acquire('h').then(() => {
      third = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    a();
    await pending;
    expect(third).toBe(true);
  });
});
