/**
 * The network half of `credrot check`, wired to the configured connections. Kept apart
 * from the watcher scan so that `credrot check --offline` never loads the AWS, GCP and
 * GitLab SDKs: the CLI imports this module only when it checks live credentials.
 */
import { Connections } from '../config/connections.js';
import type { Config } from '../config/load.js';
import type { Thresholds } from '../expiry/types.js';
import { createPolicyFetch } from '../http/policy-fetch.js';
import { assembleTarget } from '../rotation/assemble.js';
import { scanCredentials } from './credentials.js';
import { checkDiscovery } from './discovery.js';
import type { Finding } from './finding.js';
import { storeMetadataReader } from './store-metadata.js';

export interface LiveCheckOptions {
  now: Date;
  /** Where the connections' `{ env: NAME }` references are read from. */
  env: Record<string, string | undefined>;
  /** Status thresholds, already resolved (defaults, then command-line overrides). */
  thresholds: Thresholds;
  /** The command-line overrides alone, ahead of a discovery entry's own thresholds. */
  overrides?: Partial<Thresholds>;
  /** Per HTTP attempt and per GCP call, and the longest wait for one credential, ms. */
  timeoutMs: number;
}

/**
 * Checks every configured credential against its source and stores, and runs every
 * discovery entry. Never rejects for one credential or entry: a failure is its `unknown`
 * finding.
 */
export async function checkCredentials(
  config: Config,
  options: LiveCheckOptions,
): Promise<Finding[]> {
  // Once the findings are made, calls still being retried past their credential's
  // deadline are cut short, so the command exits at once instead of minutes later.
  const done = new AbortController();
  const connections = new Connections(config, {
    env: options.env,
    fetch: createPolicyFetch({
      timeoutMs: options.timeoutMs,
      fetch: (input, init) =>
        globalThis.fetch(input, {
          ...init,
          signal: init?.signal ? AbortSignal.any([init.signal, done.signal]) : done.signal,
        }),
      sleep: (ms) => sleepUnless(done.signal, ms),
    }),
    awsRequestTimeoutMs: options.timeoutMs,
  });
  try {
    const discovered = checkDiscovery(config, connections, {
      now: options.now,
      ...(options.overrides ? { thresholds: options.overrides } : {}),
    });
    const credentials = scanCredentials(
      config.credentials,
      {
        // A check reads the source and the stores only: no sink credential is needed.
        target: (credential) => assembleTarget({ ...credential, sinks: [] }, connections),
        storeMetadata: storeMetadataReader(connections, options.timeoutMs),
      },
      {
        now: options.now,
        thresholds: options.thresholds,
        connections: config.connections,
        deadlineMs: options.timeoutMs,
      },
    );
    return (await Promise.all([credentials, discovered])).flat();
  } finally {
    done.abort();
    await closeGcpClients(config, connections);
  }
}

/** Waits `ms`, or less once `signal` aborts. */
function sleepUnless(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Closes the gRPC channels so the process can exit at once, even while a call to an
 * unreachable endpoint is still being retried after the deadline gave up on it.
 */
async function closeGcpClients(config: Config, connections: Connections): Promise<void> {
  const used = new Set(
    config.credentials.flatMap((credential) =>
      credential.stores.flatMap((store) =>
        store.type === 'gcp-secret-manager' ? [store.connection] : [],
      ),
    ),
  );
  await Promise.all(
    [...used].map(async (name) => {
      try {
        await (await connections.gcp(name)).client.close();
      } catch {
        // Closing is best effort: the findings are already made.
      }
    }),
  );
}
