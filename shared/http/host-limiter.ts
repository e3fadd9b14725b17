/**
 * One limiter per process, shared by every client that talks to a host, so that all
 * work in a process spends one API budget together: bounded concurrency per host, and a
 * pause until the window resets when the server says the budget is spent
 * (`RateLimit-Remaining`/`RateLimit-Reset` on GitLab, `x-ratelimit-*` on GitHub).
 */
import { sleep } from './sleep.js';

interface HostState {
  active: number;
  waiters: Array<() => void>;
  remaining?: number;
  /** Epoch ms when the server's window resets. */
  resetAt?: number;
  /** Epoch ms before which no request may start (Retry-After). */
  pausedUntil: number;
}

export interface HostLimiterOptions {
  /** Requests in flight per host. */
  concurrency?: number;
  /** Keep this many requests of the window in reserve for other tools sharing the token. */
  reserve?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class HostLimiter {
  private readonly hosts = new Map<string, HostState>();
  private readonly concurrency: number;
  private readonly reserve: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: HostLimiterOptions = {}) {
    this.concurrency = options.concurrency ?? 8;
    this.reserve = options.reserve ?? 0;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
  }

  private state(host: string): HostState {
    let s = this.hosts.get(host);
    if (!s) {
      s = { active: 0, waiters: [], pausedUntil: 0 };
      this.hosts.set(host, s);
    }
    return s;
  }

  /** Waits for a slot and for the budget; returns the release function. */
  async acquire(host: string): Promise<() => void> {
    const s = this.state(host);
    if (s.active >= this.concurrency) {
      await new Promise<void>((resolve) => s.waiters.push(resolve));
    } else s.active += 1;
    for (;;) {
      const now = this.now();
      if (s.pausedUntil > now) {
        await this.sleep(s.pausedUntil - now);
        continue;
      }
      if (
        s.remaining !== undefined &&
        s.remaining <= this.reserve &&
        s.resetAt !== undefined &&
        s.resetAt > now
      ) {
        await this.sleep(s.resetAt - now);
        continue;
      }
      break;
    }
    if (s.remaining !== undefined) s.remaining -= 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = s.waiters.shift();
      if (next) next();
      else s.active -= 1;
    };
  }

  /** Learns the server's budget from a response's headers. */
  observe(host: string, headers: Headers): void {
    const s = this.state(host);
    const remaining = numberHeader(headers, ['ratelimit-remaining', 'x-ratelimit-remaining']);
    const reset = numberHeader(headers, ['ratelimit-reset', 'x-ratelimit-reset']);
    if (remaining !== undefined) s.remaining = remaining;
    // Both GitLab and GitHub send the reset as epoch seconds.
    if (reset !== undefined) s.resetAt = reset > 1e9 ? reset * 1000 : this.now() + reset * 1000;
  }

  /** Pauses every request to the host (Retry-After). */
  pause(host: string, ms: number): void {
    const s = this.state(host);
    s.pausedUntil = Math.max(s.pausedUntil, this.now() + ms);
  }
}

function numberHeader(headers: Headers, names: string[]): number | undefined {
  for (const name of names) {
    const v = headers.get(name);
    if (v !== null && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}
