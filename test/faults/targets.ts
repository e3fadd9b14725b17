/**
 * A world's RotationTarget built as the CLI builds it (loadConfig + Connections +
 * assembleTarget) but with short client timeouts, so a `timeout` fault (a call the
 * sandbox never answers) trips the clients' own timers within seconds: credrot's HTTP
 * policy for GitLab and GitHub, the request timeout of the AWS SDK. (The GCP client has no
 * such option in Connections; a hung gRPC call ends when the sandbox drops it.)
 */
import { Connections } from '../../shared/config/connections.js';
import { loadConfig } from '../../shared/config/load.js';
import { createPolicyFetch } from '../../shared/http/policy-fetch.js';
import { assembleTarget } from '../../shared/rotation/assemble.js';
import type { RotationTarget } from '../../shared/rotation/engine.js';
import type { RotationWorld } from '../support/rotation-world.js';

/** Per-attempt client timeout, ms: far above a loaded sandbox's answer time, below HANG_MS. */
export const CLIENT_TIMEOUT_MS = 2_000;

/** A fresh target for `world` (own SDK clients, as a separate process would have). */
export async function quickTarget(world: RotationWorld): Promise<RotationTarget> {
  const config = await loadConfig(world.config);
  const fetch = createPolicyFetch({ timeoutMs: CLIENT_TIMEOUT_MS, backoffMs: 50 });
  const connections = new Connections(config, {
    env: world.env,
    fetch,
    awsRequestTimeoutMs: CLIENT_TIMEOUT_MS,
  });
  return assembleTarget(config.credentials[0]!, connections);
}
