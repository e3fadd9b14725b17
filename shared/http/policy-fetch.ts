/**
 * The one retry policy for every HTTP API credrot calls. The rule that matters most:
 * never repeat a call that may already have taken effect unless repeating it is harmless.
 * A retried GitLab `rotate` after a lost answer rotates a token that is already revoked,
 * and GitLab's reuse detection then revokes the whole token family.
 *
 * - GET, HEAD, PUT, DELETE, OPTIONS are idempotent: retried on 429, 502, 503, 504 and on
 *   network errors or timeouts, with exponential backoff, honouring `Retry-After`.
 * - GitHub answers a secondary rate limit with 403 *or* 429 and `Retry-After`; a 403 that
 *   carries `Retry-After` is treated as a 429 (a plain 403 is a permission failure).
 * - POST and PATCH are retried only on 429: a rate-limited request was refused before it
 *   ran. Any other failure surfaces at once, and the caller reconciles with a read.
 */
import { ProviderError } from '../errors.js';
import { HostLimiter } from './host-limiter.js';
import { sleep as realSleep } from './sleep.js';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface PolicyFetchOptions {
  /** Attempts after the first, for a retryable failure. */
  retries?: number;
  /** Per-attempt timeout in ms. */
  timeoutMs?: number;
  /** Longest Retry-After we wait for, in ms; beyond it the call fails with the wait named. */
  maxRetryAfterMs?: number;
  /** First backoff in ms; doubles per attempt. */
  backoffMs?: number;
  limiter?: HostLimiter;
  fetch?: Fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Called for each retry, with no request body or headers (they may hold secrets). */
  onRetry?: (info: {
    method: string;
    url: string;
    status?: number;
    attempt: number;
    waitMs: number;
  }) => void;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** A process-wide limiter, shared by every client unless a test passes its own. */
export const sharedLimiter = new HostLimiter();

/** `Retry-After` as ms: delta-seconds or an HTTP date. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const raw = headers.get('retry-after');
  if (raw === null) return undefined;
  if (/^\d+$/.test(raw.trim())) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * A refusal for rate: 429, or GitHub's 403 with `Retry-After` (secondary rate limits,
 * https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api).
 */
function isRateLimited(response: Response): boolean {
  return (
    response.status === 429 || (response.status === 403 && response.headers.has('retry-after'))
  );
}

/** URL without query string: query strings may carry tokens in some APIs. */
function safeUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

export function createPolicyFetch(options: PolicyFetchOptions = {}): Fetch {
  const retries = options.retries ?? 4;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
  const backoffMs = options.backoffMs ?? 200;
  const limiter = options.limiter ?? sharedLimiter;
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? realSleep;

  return async (input, init = {}) => {
    const request = input instanceof Request ? input : undefined;
    const url = request ? request.url : String(input);
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    const host = new URL(url).host;
    const idempotent = IDEMPOTENT.has(method);

    for (let attempt = 0; ; attempt++) {
      const release = await limiter.acquire(host);
      let response: Response;
      try {
        const signal = AbortSignal.timeout(timeoutMs);
        response = request
          ? await doFetch(request.clone(), { ...init, signal })
          : await doFetch(url, { ...init, signal });
      } catch (err) {
        release();
        const timedOut =
          (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
        const what = timedOut
          ? `timed out after ${timeoutMs} ms`
          : 'failed before an answer (connection lost)';
        if (idempotent && attempt < retries) {
          const waitMs = backoffMs * 2 ** attempt;
          options.onRetry?.({ method, url: safeUrl(url), attempt: attempt + 1, waitMs });
          await sleep(waitMs);
          continue;
        }
        throw new ProviderError(
          `${method} ${safeUrl(url)} ${what}${idempotent ? ` after ${attempt + 1} attempts` : '; not retried because it may have taken effect'}`,
          {
            cause: err,
            retryable: idempotent,
            context: { method, url: safeUrl(url), ambiguous: !idempotent },
          },
        );
      }
      release();
      limiter.observe(host, response.headers);
      const rateLimited = isRateLimited(response);
      if (response.ok || !(RETRYABLE_STATUS.has(response.status) || rateLimited)) return response;

      const canRetry = (idempotent || rateLimited) && attempt < retries;
      const hinted = retryAfterMs(response.headers);
      if (hinted !== undefined) limiter.pause(host, Math.min(hinted, maxRetryAfterMs));
      if (!canRetry) return response;
      if (hinted !== undefined && hinted > maxRetryAfterMs) return response;
      const waitMs = hinted ?? backoffMs * 2 ** attempt;
      options.onRetry?.({
        method,
        url: safeUrl(url),
        status: response.status,
        attempt: attempt + 1,
        waitMs,
      });
      await response.body?.cancel();
      await sleep(waitMs);
    }
  };
}
