/**
 * GitHub's primary and secondary REST rate limits.
 *
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api
 * - Primary: a budget of requests per hour per user (5,000 for tokens, 60 for
 *   unauthenticated callers). Every answer carries `x-ratelimit-limit`, `-remaining`,
 *   `-used`, `-reset` (UTC epoch seconds) and `-resource`. Exceeding it answers 403 with
 *   `x-ratelimit-remaining: 0`; clients wait until `x-ratelimit-reset`.
 * - Secondary: among others, at most 80 content-generating requests per minute. Exceeding
 *   it answers an error whose message names the secondary rate limit, with `retry-after`
 *   in seconds. We answer 429 there so that clients can tell the two apart by status as
 *   well as by message (GitHub documents "403 or 429" for both).
 */
import type { Request, Response } from '../http.js';
import { RATE_LIMIT_DOCS } from './errors.js';

export interface RateLimitConfig {
  now: () => Date;
  /** Authenticated requests per hour. */
  coreLimitPerHour: number;
  /** Unauthenticated requests per hour. */
  anonymousLimitPerHour: number;
  /** Content-creating requests (PUT/PATCH/DELETE) per minute. */
  contentCreatingPerMinute: number;
}

interface Bucket {
  limit: number;
  used: number;
  /** Epoch seconds at which `used` starts over. */
  resetAt: number;
  contentWindowStartMs: number;
  contentUsed: number;
}

export interface RateStatus {
  limit: number;
  remaining: number;
  used: number;
  reset: number;
  resource: 'core';
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly byRequest = new WeakMap<Request, Bucket>();

  constructor(private readonly config: RateLimitConfig) {}

  /**
   * Counts `req` against the caller's budgets. Answers the limit error when a budget is
   * spent, undefined when the request may proceed. `counted: false` (GET /rate_limit)
   * reads the budget without spending it.
   */
  admit(
    req: Request,
    caller: { key: string; authenticated: boolean; userId?: number },
    options: { counted: boolean; contentCreating: boolean },
  ): Response | undefined {
    const bucket = this.bucket(caller.key, caller.authenticated);
    this.byRequest.set(req, bucket);
    if (!options.counted) return undefined;
    if (bucket.used >= bucket.limit) {
      const who = caller.authenticated ? `user ID ${caller.userId}` : 'your IP address';
      return {
        status: 403,
        body: {
          message: `API rate limit exceeded for ${who}.`,
          documentation_url: `${RATE_LIMIT_DOCS}#about-primary-rate-limits`,
          status: '403',
        },
      };
    }
    bucket.used += 1;
    if (!options.contentCreating) return undefined;
    const nowMs = this.config.now().getTime();
    if (nowMs >= bucket.contentWindowStartMs + 60_000) {
      bucket.contentWindowStartMs = nowMs;
      bucket.contentUsed = 0;
    }
    if (bucket.contentUsed >= this.config.contentCreatingPerMinute) {
      const retryAfter = Math.max(
        1,
        Math.ceil((bucket.contentWindowStartMs + 60_000 - nowMs) / 1000),
      );
      return {
        status: 429,
        headers: { 'retry-after': retryAfter },
        body: {
          message:
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          documentation_url: `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`,
          status: '429',
        },
      };
    }
    bucket.contentUsed += 1;
    return undefined;
  }

  /** The `x-ratelimit-*` headers for an answer to `req` (none when `admit` never saw it). */
  headers(req: Request): Record<string, string | number> {
    const bucket = this.byRequest.get(req);
    if (!bucket) return {};
    const s = this.status(bucket);
    return {
      'x-ratelimit-limit': s.limit,
      'x-ratelimit-remaining': s.remaining,
      'x-ratelimit-used': s.used,
      'x-ratelimit-reset': s.reset,
      'x-ratelimit-resource': s.resource,
    };
  }

  /** The caller's primary budget as `GET /rate_limit` reports it. */
  statusOf(req: Request): RateStatus | undefined {
    const bucket = this.byRequest.get(req);
    return bucket ? this.status(bucket) : undefined;
  }

  private status(bucket: Bucket): RateStatus {
    return {
      limit: bucket.limit,
      remaining: Math.max(0, bucket.limit - bucket.used),
      used: bucket.used,
      reset: bucket.resetAt,
      resource: 'core',
    };
  }

  private bucket(key: string, authenticated: boolean): Bucket {
    const nowS = Math.floor(this.config.now().getTime() / 1000);
    let bucket = this.buckets.get(key);
    if (!bucket || nowS >= bucket.resetAt) {
      bucket = {
        limit: authenticated ? this.config.coreLimitPerHour : this.config.anonymousLimitPerHour,
        used: 0,
        resetAt: nowS + 3600,
        contentWindowStartMs: bucket?.contentWindowStartMs ?? Number.NEGATIVE_INFINITY,
        contentUsed: bucket?.contentUsed ?? 0,
      };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
