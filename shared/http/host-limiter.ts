/**
 * One limiter per process, shared by every client that talks to a host, so that all
 * work in a process spends one API budget together. Per host it keeps:
 *
 * - a bound on requests in flight (`concurrency`), granted first come, first served;
 * - an optional token bucket (`ratePerSecond`, `burst`) for limits the server does not
 *   announce in headers (GitHub's secondary limit of about 80 content-creating requests a
 *   minute), so a burst of work never turns into a burst of 429s;
 * - the server's own budget, learned from every answer: `RateLimit-Remaining` /
 *   `RateLimit-Reset` / `RateLimit-Limit` on GitLab
 *   (https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/#response-headers),
 *   `x-ratelimit-*` on GitHub
 *   (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api). The
 *   limiter counts the requests it lets through against that budget itself, so requests
 *   already in flight cannot overdraw it, and when it is spent every request waits for the
 *   window to reset instead of being refused;
 * - a pause for `Retry-After` (set by the retry policy on a 429), which holds every
 *   request to the host, not only the one that was refused.
 */
import { sleep } from './sleep.js';

interface HostState {
  /** Slots granted (requests waiting for the budget included). */
  active: number;
  /** Requests past the gate whose answer has not been observed yet. */
  inflight: number;
  waiters: Array<() => void>;
  /** Requests the server still allows in its current window, as we count them. */
  remaining?: number;
  /** The window's size, when the server says it (`RateLimit-Limit`). */
  limit?: number;
  /** Epoch ms when the server's window resets. */
  resetAt?: number;
  /** Epoch ms before which no request may start (Retry-After). */
  pausedUntil: number;
  /** Token bucket: tokens available and when they were last topped up (epoch ms). */
  tokens: number;
  refilledAt: number;
  /** Requests that waited for the budget or a pause, for reports. */
  delayed: number;
}

export interface HostBudget {
  /** Requests in flight to the host. */
  concurrency?: number;
  /** Steady rate the bucket refills at, in requests per second; unset: no bucket. */
  ratePerSecond?: number;
  /** Bucket size (requests that may start at once after a quiet spell); default 1 s of rate. */
  burst?: number;
}

export interface HostLimiterOptions extends HostBudget {
  /** Keep this many requests of the window in reserve for other tools sharing the token. */
  reserve?: number;
  /**
   * Extra wait after the server's announced reset, in ms, for clock skew between us and
   * the server (the reset is given in whole seconds). Default 0.
   */
  resetMarginMs?: number;
  /** Budgets for particular hosts (`gitlab.example.com`, `api.github.com:443`). */
  hosts?: Record<string, HostBudget>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** What the limiter knows about a host, for reports and tests. */
export interface HostSnapshot {
  active: number;
  queued: number;
  remaining?: number;
  resetAt?: number;
  pausedUntil: number;
  delayed: number;
}

export class HostLimiter {
  private readonly hosts = new Map<string, HostState>();
  private readonly options: HostLimiterOptions;
  private readonly reserve: number;
  private readonly resetMarginMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: HostLimiterOptions = {}) {
    this.options = options;
    this.reserve = options.reserve ?? 0;
    this.resetMarginMs = options.resetMarginMs ?? 0;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
  }

  private budget(host: string): { concurrency: number; ratePerSecond?: number; burst: number } {
    const own = this.options.hosts?.[host] ?? {};
    const rate = own.ratePerSecond ?? this.options.ratePerSecond;
    const out: { concurrency: number; ratePerSecond?: number; burst: number } = {
      concurrency: own.concurrency ?? this.options.concurrency ?? 8,
      burst: own.burst ?? this.options.burst ?? Math.max(1, rate ?? 0),
    };
    if (rate !== undefined && rate > 0) out.ratePerSecond = rate;
    return out;
  }

  private state(host: string): HostState {
    let s = this.hosts.get(host);
    if (!s) {
      s = {
        active: 0,
        inflight: 0,
        waiters: [],
        pausedUntil: 0,
        tokens: this.budget(host).burst,
        refilledAt: this.now(),
        delayed: 0,
      };
      this.hosts.set(host, s);
    }
    return s;
  }

  /** Waits for a slot and for the budget; returns the release function. */
  async acquire(host: string): Promise<() => void> {
    const s = this.state(host);
    const budget = this.budget(host);
    if (s.active >= budget.concurrency) {
      await new Promise<void>((resolve) => s.waiters.push(resolve));
    } else s.active += 1;
    let waited = false;
    for (;;) {
      const wait = this.waitMs(s, budget);
      if (wait <= 0) break;
      waited = true;
      await this.sleep(wait);
    }
    if (waited) s.delayed += 1;
    if (s.remaining !== undefined) s.remaining -= 1;
    if (budget.ratePerSecond) s.tokens -= 1;
    s.inflight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      s.inflight -= 1;
      const next = s.waiters.shift();
      if (next) next();
      else s.active -= 1;
    };
  }

  /** How long the next request must wait, in ms; 0 when it may start now. */
  private waitMs(s: HostState, budget: { ratePerSecond?: number; burst: number }): number {
    const now = this.now();
    if (s.pausedUntil > now) return s.pausedUntil - now;
    if (s.remaining !== undefined && s.remaining <= this.reserve && s.resetAt !== undefined) {
      const until = s.resetAt + this.resetMarginMs;
      if (until > now) return until - now;
      // A new window: the full budget again when we know it, else learn it from the answers.
      if (s.limit !== undefined) s.remaining = s.limit;
      else delete s.remaining;
      delete s.resetAt;
    }
    const rate = budget.ratePerSecond;
    if (rate) {
      s.tokens = Math.min(budget.burst, s.tokens + ((now - s.refilledAt) * rate) / 1000);
      s.refilledAt = now;
      if (s.tokens < 1) return Math.ceil(((1 - s.tokens) * 1000) / rate);
    }
    return 0;
  }

  /** Learns the server's budget from a response's headers. */
  observe(host: string, headers: Headers): void {
    const s = this.state(host);
    const remaining = numberHeader(headers, ['ratelimit-remaining', 'x-ratelimit-remaining']);
    const reset = numberHeader(headers, ['ratelimit-reset', 'x-ratelimit-reset']);
    const limit = numberHeader(headers, ['ratelimit-limit', 'x-ratelimit-limit']);
    if (limit !== undefined) s.limit = limit;
    if (remaining === undefined) return;
    // Both GitLab and GitHub send the reset as epoch seconds; a small number is a delta.
    const resetAt =
      reset === undefined ? undefined : reset > 1e9 ? reset * 1000 : this.now() + reset * 1000;
    const sameWindow =
      s.resetAt !== undefined && resetAt !== undefined && Math.abs(resetAt - s.resetAt) < 1000;
    if (sameWindow && s.remaining !== undefined) {
      // Answers arrive out of order; our own count already includes requests the server
      // has not seen yet, so only ever lower it within a window.
      s.remaining = Math.min(s.remaining, remaining);
    } else if (resetAt === undefined || s.resetAt === undefined || resetAt > s.resetAt) {
      // A newer window: the requests still in flight may be counted in it too.
      s.remaining = remaining - s.inflight;
      if (resetAt !== undefined) s.resetAt = resetAt;
    }
  }

  /** Pauses every request to the host (Retry-After). */
  pause(host: string, ms: number): void {
    const s = this.state(host);
    s.pausedUntil = Math.max(s.pausedUntil, this.now() + ms);
  }

  /** What the limiter knows about `host` now. */
  snapshot(host: string): HostSnapshot {
    const s = this.state(host);
    return {
      active: s.active,
      queued: s.waiters.length,
      ...(s.remaining !== undefined ? { remaining: s.remaining } : {}),
      ...(s.resetAt !== undefined ? { resetAt: s.resetAt } : {}),
      pausedUntil: s.pausedUntil,
      delayed: s.delayed,
    };
  }
}

function numberHeader(headers: Headers, names: string[]): number | undefined {
  for (const name of names) {
    const v = headers.get(name);
    if (v !== null && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}
