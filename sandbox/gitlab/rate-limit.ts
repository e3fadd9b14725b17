/**
 * GitLab's Rack::Attack API throttle: a fixed window per minute, counted per authenticated
 * user (`throttle_authenticated_api`) or per client IP for requests without a valid token
 * (`throttle_unauthenticated_api`).
 * https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/#response-headers
 *
 * Every answer carries `RateLimit-Name`, `RateLimit-Limit`, `RateLimit-Observed`,
 * `RateLimit-Remaining` and `RateLimit-Reset` (Unix seconds); a throttled request gets
 * `429` with the plain-text body `Retry later` plus `RateLimit-ResetTime` (RFC 2616 date)
 * and `Retry-After` (seconds until the window resets).
 */
import type { Request, Response } from '../http.js';

export interface RateLimiterOptions {
  /** Requests allowed per client per minute. */
  limitPerMinute: number;
  now: () => Date;
  /** The user id behind the request's token when it is valid; undefined counts per IP. */
  identify: (req: Request) => number | undefined;
}

interface Verdict {
  name: string;
  observed: number;
  resetSeconds: number;
}

const WINDOW_SECONDS = 60;

export class RateLimiter {
  private windowStart = 0;
  private readonly counts = new Map<string, number>();
  private readonly verdicts = new WeakMap<Request, Verdict>();

  private limit: number;

  constructor(private readonly options: RateLimiterOptions) {
    this.limit = options.limitPerMinute;
  }

  /** Changes the limit from the next request on (a bench or test of a tighter tier). */
  setLimit(perMinute: number): void {
    this.limit = perMinute;
  }

  /** Router `before` hook: counts the request and answers 429 once over the limit. */
  readonly before = (req: Request): Response | undefined => {
    if (!req.rawPath.startsWith('/api/')) return undefined;
    const nowSeconds = Math.floor(this.options.now().getTime() / 1000);
    const windowStart = nowSeconds - (nowSeconds % WINDOW_SECONDS);
    if (windowStart !== this.windowStart) {
      this.windowStart = windowStart;
      this.counts.clear();
    }
    const userId = this.options.identify(req);
    const key = userId === undefined ? `ip:${clientIp(req)}` : `user:${userId}`;
    const observed = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, observed);
    const verdict: Verdict = {
      name: userId === undefined ? 'throttle_unauthenticated_api' : 'throttle_authenticated_api',
      observed,
      resetSeconds: windowStart + WINDOW_SECONDS,
    };
    this.verdicts.set(req, verdict);
    if (observed <= this.limit) return undefined;
    const retryAfter = Math.max(1, verdict.resetSeconds - nowSeconds);
    return {
      status: 429,
      headers: {
        'content-type': 'text/plain',
        'retry-after': retryAfter,
        'ratelimit-resettime': new Date(verdict.resetSeconds * 1000).toUTCString(),
      },
      body: 'Retry later\n',
    };
  };

  /** Router `after` hook: the RateLimit-* headers on every counted answer. */
  readonly after = (req: Request, res: Response): void => {
    const v = this.verdicts.get(req);
    if (!v) return;
    const limit = this.limit;
    res.headers = {
      ...res.headers,
      'ratelimit-name': v.name,
      'ratelimit-limit': limit,
      'ratelimit-observed': v.observed,
      'ratelimit-remaining': Math.max(0, limit - v.observed),
      'ratelimit-reset': v.resetSeconds,
    };
  };
}

function clientIp(req: Request): string {
  const forwarded = req.header('x-forwarded-for');
  return forwarded?.split(',')[0]?.trim() || 'local';
}
