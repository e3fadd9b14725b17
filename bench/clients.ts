/**
 * GitLab clients for the bench: credrot's own client and HTTP policy, with a limiter and
 * retry sleeps on the bench clock, and a count of the retries the policy made.
 */
import { HostLimiter } from '../shared/http/host-limiter.js';
import { createPolicyFetch, type Fetch } from '../shared/http/policy-fetch.js';
import { createGitLabClient, type GitLabClient } from '../shared/sources/gitlab/client.js';
import type { BenchClock } from './clock.js';

export interface MeteredClients {
  admin: GitLabClient;
  /** A client that authenticates with `token`, sharing the limiter and the retry count. */
  clientFor(token: string): GitLabClient;
  /** The policy fetch all of them use (limiter, retries, the bench clock). */
  fetch: Fetch;
  limiter: HostLimiter;
  retries(): number;
}

export function meteredClients(
  url: string,
  adminToken: string,
  clock: BenchClock,
  concurrency: number,
): MeteredClients {
  let retries = 0;
  const limiter = new HostLimiter({ concurrency, now: clock.now, sleep: clock.sleep });
  const fetch = createPolicyFetch({
    limiter,
    sleep: clock.sleep,
    onRetry: () => {
      retries += 1;
    },
  });
  return {
    admin: createGitLabClient({ url, token: adminToken, fetch }),
    clientFor: (token) => createGitLabClient({ url, token, fetch }),
    fetch,
    limiter,
    retries: () => retries,
  };
}

/** Waits for the start of the emulator's next rate-limit window, so phases start even. */
export async function nextWindow(clock: BenchClock): Promise<void> {
  const now = clock.now();
  await clock.sleep(60_000 - (now % 60_000) + 50);
}
