/**
 * `docker login` and a pull (or push) as a client walks them, one hop at a time, so a
 * test sees which hop refused a credential and with what status:
 * 1. `GET /v2/` → 401 with `WWW-Authenticate: Bearer realm=...,service=...`
 * 2. `GET realm?service=..&account=..` with Basic credentials → 200 `{token}`
 *    (GitLab: 401 wrong credentials, 403 credential without any registry scope)
 * 3. `GET /v2/` with the bearer token → 200 (this is where `docker login` stops)
 * 4. `GET realm?...&scope=repository:<name>:pull[,push]` → 200; the token's `access`
 *    lists only what was granted
 * 5. `GET /v2/<name>/manifests/<ref>` → 200 and `Docker-Content-Digest`, or 401 with
 *    `error="insufficient_scope"` when the token lacks `pull`
 * 6. (push) `POST /v2/<name>/blobs/uploads/` → 202, or 401 `insufficient_scope`
 *
 * A sandbox test client; credrot's production verifier is separate. Results carry
 * statuses, error codes and granted actions, never the password or a token.
 * API: https://distribution.github.io/distribution/spec/api/
 */
import { type BearerChallenge, parseBearerChallenge } from './challenge.js';
import {
  errorCode,
  fetchRegistryToken,
  grantedAccess,
  networkError,
  type RegistryCredentials,
  type TokenFetcher,
} from './token-client.js';

export type LoginStepName =
  | 'ping'
  | 'login-token'
  | 'authenticated-ping'
  | 'scoped-token'
  | 'manifest'
  | 'push-upload';

export interface LoginStep {
  name: LoginStepName;
  method: string;
  /** Request URL (never with credentials). */
  url: string;
  /** HTTP status; 0 when no answer came. */
  status: number;
  /** `errors[0].code` of the body (`UNAUTHORIZED`, `DENIED`, ...) or `timeout`/`connection-dropped`. */
  error?: string;
  /** The `error` of the registry's Bearer challenge: `invalid_token` or `insufficient_scope`. */
  challengeError?: string;
  /** Token steps: the token's `access` claim as `repository → actions`. */
  granted?: Record<string, string[]>;
  /** Seconds from `Retry-After`, when the answer had one. */
  retryAfter?: number;
}

export interface DockerLoginResult {
  /** Every hop that ran answered what a working credential gets. */
  ok: boolean;
  /** Hops 1–3 succeeded: `docker login` would print "Login Succeeded". */
  loggedIn: boolean;
  failedAt?: LoginStepName;
  steps: LoginStep[];
  /** Manifest digest from hop 5. */
  digest?: string;
}

export interface DockerLoginOptions {
  /** Also pull (and with `push`, probe a push to) this repository, e.g. `group/project`. */
  repository?: string;
  /** Tag or digest to read; default `latest`. With `push`, the manifest is read only when given. */
  reference?: string;
  /** Ask for `pull,push` and start (then cancel) a blob upload. */
  push?: boolean;
  /** Per request, in ms (default 5000). */
  timeoutMs?: number;
  fetchToken?: TokenFetcher;
}

const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

interface Answer {
  step: LoginStep;
  headers?: Headers;
}

async function hop(
  name: LoginStepName,
  method: string,
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Answer> {
  const step: LoginStep = { name, method, url, status: 0 };
  try {
    const res = await fetch(url, { method, headers, signal: AbortSignal.timeout(timeoutMs) });
    step.status = res.status;
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const code = errorCode(body);
    if (code !== undefined) step.error = code;
    const challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
    if (challenge?.error !== undefined) step.challengeError = challenge.error;
    const retryAfter = res.headers.get('retry-after');
    if (retryAfter !== null) step.retryAfter = Number(retryAfter);
    return { step, headers: res.headers };
  } catch (err) {
    step.error = networkError(err);
    return { step };
  }
}

/** Walks the login (and optional pull/push) flow against `registry` and reports every hop. */
export async function dockerLogin(
  registry: { url: string } | string,
  credentials: RegistryCredentials,
  opts: DockerLoginOptions = {},
): Promise<DockerLoginResult> {
  const base = typeof registry === 'string' ? registry : registry.url;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const fetchToken = opts.fetchToken ?? fetchRegistryToken;
  const steps: LoginStep[] = [];
  const result = (ok: boolean, loggedIn: boolean, extra: Partial<DockerLoginResult> = {}) => {
    const last = steps[steps.length - 1];
    return { ok, loggedIn, steps, ...(ok || !last ? {} : { failedAt: last.name }), ...extra };
  };

  const ping = await hop('ping', 'GET', `${base}/v2/`, {}, timeoutMs);
  steps.push(ping.step);
  const challenge: BearerChallenge | undefined = parseBearerChallenge(
    ping.headers?.get('www-authenticate'),
  );
  if (ping.step.status !== 401 || !challenge) return result(false, false);

  const tokenStep = async (name: LoginStepName, scopes: string[]) => {
    const got = await fetchToken(challenge, scopes, credentials, { timeoutMs });
    const step: LoginStep = { name, method: 'GET', url: got.url, status: got.status };
    if (got.error !== undefined) step.error = got.error;
    if (got.retryAfter !== undefined) step.retryAfter = got.retryAfter;
    if (got.token !== undefined) step.granted = grantedAccess(got.token);
    steps.push(step);
    return got.status === 200 ? got.token : undefined;
  };

  const loginToken = await tokenStep('login-token', []);
  if (loginToken === undefined) return result(false, false);
  const authed = await hop(
    'authenticated-ping',
    'GET',
    `${base}/v2/`,
    { authorization: `Bearer ${loginToken}` },
    timeoutMs,
  );
  steps.push(authed.step);
  if (authed.step.status !== 200) return result(false, false);
  if (opts.repository === undefined) return result(true, true);

  const repo = opts.repository;
  const scoped = await tokenStep('scoped-token', [
    `repository:${repo}:${opts.push ? 'pull,push' : 'pull'}`,
  ]);
  if (scoped === undefined) return result(false, true);
  const bearer = { authorization: `Bearer ${scoped}` };

  let digest: string | undefined;
  if (!opts.push || opts.reference !== undefined) {
    const reference = opts.reference ?? 'latest';
    const manifest = await hop(
      'manifest',
      'GET',
      `${base}/v2/${repo}/manifests/${reference}`,
      { ...bearer, accept: MANIFEST_ACCEPT },
      timeoutMs,
    );
    steps.push(manifest.step);
    if (manifest.step.status !== 200) return result(false, true);
    digest = manifest.headers?.get('docker-content-digest') ?? undefined;
  }

  if (opts.push) {
    const upload = await hop(
      'push-upload',
      'POST',
      `${base}/v2/${repo}/blobs/uploads/`,
      bearer,
      timeoutMs,
    );
    steps.push(upload.step);
    if (upload.step.status !== 202) return result(false, true, digest ? { digest } : {});
    const location = upload.headers?.get('location');
    // Cancel the probe upload so that it leaves nothing behind.
    if (location) {
      await fetch(new URL(location, base), { method: 'DELETE', headers: bearer }).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
    }
  }
  return result(true, true, digest ? { digest } : {});
}
