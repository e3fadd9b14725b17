/**
 * Proves a registry credential works where it is used: it logs in to the registry and
 * reads a named image's manifest, exactly as `docker login` + `docker pull` (or
 * `skopeo inspect`) would, before credrot hands the credential to any consumer.
 *
 * Outcomes, per hop (see probe.ts for the hops):
 * - 401 or 403 anywhere, or 404 for the manifest: the credential does not do what it
 *   must. `VerificationError`, whose message names the registry, the hop, the scope
 *   asked for and the status, never the secret; the engine rolls the rotation back and
 *   the old credential stays current.
 * - no answer, 429 or 5xx: the registry is down or busy, not the credential's fault.
 *   `ProviderError` with `retryable: true`; the pending value is verified again next run.
 */
import { ProviderError, VerificationError } from '../errors.js';
import type { Fetch } from '../http/policy-fetch.js';
import { registryBaseUrl, registryHost } from './address.js';
import { probeRegistry, type RegistryHop, type RegistryProbeResult } from './probe.js';
import type { RegistryCredentials } from './token.js';

export interface RegistryVerifyOptions {
  /** `host[:port]` as in image references, or a full URL. */
  registry: string;
  credentials: RegistryCredentials;
  /** Repository to pull, e.g. `group/project`; without it, only the login is proven. */
  repository?: string;
  /** Tag or digest; default `latest`. */
  reference?: string;
  /** Also prove push access (a blob upload, started then cancelled). */
  push?: boolean;
  /** Per request, in ms (default 10 000). */
  timeoutMs?: number;
  fetch?: Fetch;
}

export interface RegistryProof {
  /** One line for output: what was proven, with statuses. Never a secret. */
  summary: string;
  result: RegistryProbeResult;
}

const HOP_TEXT: Record<RegistryHop['name'], string> = {
  ping: 'the API check GET /v2/',
  'login-token': 'the token request for login',
  'authenticated-ping': 'GET /v2/ with the credential',
  'scoped-token': 'the token request',
  manifest: 'the manifest read',
  'push-upload': 'the push probe (blob upload)',
};

function scopeOf(step: RegistryHop, options: RegistryVerifyOptions): string {
  if (step.name === 'login-token' || step.name === 'ping' || step.name === 'authenticated-ping')
    return 'none (login)';
  if (!options.repository) return 'none (login)';
  return `repository:${options.repository}:${options.push ? 'pull,push' : 'pull'}`;
}

function statusText(step: RegistryHop): string {
  const detail = [step.error, step.challengeError].filter(Boolean).join(', ');
  return `HTTP ${step.status}${detail ? ` (${detail})` : ''}`;
}

/**
 * Logs in to the registry with `credentials` and reads the configured manifest.
 * @returns a secret-free proof line, e.g. for `credrot rotate`'s verify step.
 * @throws VerificationError when the registry refuses the credential (401/403) or the
 *   image is missing (404); ProviderError (retryable) when the registry is unreachable,
 *   rate-limits or fails (0, 429, 5xx).
 */
export async function verifyRegistryCredential(
  options: RegistryVerifyOptions,
): Promise<RegistryProof> {
  const host = registryHost(options.registry);
  const result = await probeRegistry(registryBaseUrl(options.registry), options.credentials, {
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.repository ? { repository: options.repository } : {}),
    ...(options.reference ? { reference: options.reference } : {}),
    ...(options.push ? { push: true } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const statuses = result.steps.map((s) => s.status).join(' -> ');
  const target = options.repository
    ? `${options.repository}:${options.reference ?? 'latest'}`
    : undefined;
  if (result.ok) {
    const what = target
      ? `login and ${options.push ? 'push probe on' : 'pull of'} ${target}${result.digest ? ` (${result.digest.slice(0, 19)})` : ''}`
      : 'login';
    const how =
      result.scheme === 'none' ? ' (the registry asks for no authentication)' : ` (${statuses})`;
    return { summary: `registry ${host}: ${what} succeeded${how}`, result };
  }
  const failed = result.steps.at(-1)!;
  const context = {
    registry: host,
    hop: failed.name,
    status: failed.status,
    scope: scopeOf(failed, options),
  };
  const where = `registry ${host}: ${HOP_TEXT[failed.name]} answered ${statusText(failed)}; scope asked for: ${context.scope}`;
  if (failed.status === 0 || failed.status === 429 || failed.status >= 500) {
    const why = failed.status === 0 ? `got no answer (${failed.error ?? 'no response'})` : '';
    throw new ProviderError(
      `${why ? `registry ${host}: ${HOP_TEXT[failed.name]} ${why}` : where}. The registry is unreachable or busy, not the credential at fault: the next run verifies again`,
      { status: failed.status, retryable: true, context },
    );
  }
  if (failed.status === 401 || failed.status === 403) {
    throw new VerificationError(
      `${where}. The registry refused the credential${failed.challengeError === 'insufficient_scope' ? ': it authenticates but may not pull this repository' : ''}; fix its scopes or the repository's permissions (verify.repository names the image credrot reads)`,
      { context },
    );
  }
  if (failed.name === 'manifest' && failed.status === 404) {
    throw new VerificationError(
      `${where}. The image ${target} does not exist: point verify.repository and verify.reference at an image the credential must be able to pull`,
      { context },
    );
  }
  if (failed.name === 'ping') {
    throw new ProviderError(
      `${where}. ${host} does not answer as a Docker registry (expected 401 with a Bearer or Basic challenge, or 200): check the credential's registry`,
      { status: failed.status, context },
    );
  }
  throw new VerificationError(`${where}. The registry did not accept the credential`, {
    context,
  });
}
