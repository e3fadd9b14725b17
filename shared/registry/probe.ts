/**
 * The registry login and pull, walked one hop at a time the way `docker login`,
 * `docker pull` and `skopeo inspect` walk them, so a caller sees which hop refused a
 * credential and with what status:
 * 1. `GET /v2/` → 401 with `WWW-Authenticate: Bearer realm=...,service=...` (or `Basic`)
 * 2. Bearer: `GET realm?service=..&account=..` with Basic credentials → 200 `{token}`
 *    (GitLab: 401 wrong credentials, 403 credential without any registry scope)
 * 3. `GET /v2/` with the bearer token (or, for a Basic registry, the Basic credentials)
 *    → 200: this is where `docker login` stops
 * 4. Bearer: `GET realm?...&scope=repository:<name>:pull[,push]` → 200; the token's
 *    `access` lists only what was granted
 * 5. `HEAD /v2/<name>/manifests/<ref>` → 200 and `Docker-Content-Digest`, or 401 with
 *    `error="insufficient_scope"` when the token lacks `pull`. HEAD, not GET: Docker
 *    Hub does not count a HEAD against the pull rate limit.
 * 6. (push) `POST /v2/<name>/blobs/uploads/` → 202 (then cancelled), or 401 `insufficient_scope`
 *
 * Results carry statuses, error codes and granted actions, never a password or token.
 * API: https://distribution.github.io/distribution/spec/api/
 * Token flow: https://distribution.github.io/distribution/spec/auth/token/
 */
import type { Fetch } from '../http/policy-fetch.js';
import { parseChallenge, type RegistryChallenge } from './challenge.js';
import {
  basicAuthorization,
  errorCode,
  fetchRegistryToken,
  grantedAccess,
  networkError,
  type RegistryCredentials,
  readJson,
  type TokenFetcher,
} from './token.js';

export type RegistryHopName =
  | 'ping'
  | 'login-token'
  | 'authenticated-ping'
  | 'scoped-token'
  | 'manifest'
  | 'push-upload';

export interface RegistryHop {
  name: RegistryHopName;
  method: string;
  /** Request URL (never with credentials). */
  url: string;
  /** HTTP status; 0 when no answer came. */
  status: number;
  /** `errors[0].code` of the body (`UNAUTHORIZED`, `DENIED`, ...) or `timeout`/`connection-dropped`. */
  error?: string;
  /** The `error` of the registry's Bearer challenge: `invalid_token` or `insufficient_scope`. */
  challengeError?: string;
  /** Token hops: the token's `access` claim as `repository → actions`. */
  granted?: Record<string, string[]>;
  /** Seconds from `Retry-After`, when the answer had one. */
  retryAfter?: number;
  /** Token hops: the scopes asked for (none for the login hop). */
  scopes?: string[];
}

export interface RegistryProbeResult {
  /** Every hop that ran answered what a working credential gets. */
  ok: boolean;
  /** Hops 1–3 succeeded: `docker login` would print "Login Succeeded". */
  loggedIn: boolean;
  failedAt?: RegistryHopName;
  steps: RegistryHop[];
  /** Manifest digest from hop 5. */
  digest?: string;
  /** How the registry asked to be authenticated; `none` when `/v2/` needed nothing. */
  scheme?: 'bearer' | 'basic' | 'none';
}

export interface RegistryProbeOptions {
  /** Also pull (and with `push`, probe a push to) this repository, e.g. `group/project`. */
  repository?: string;
  /** Tag or digest to read; default `latest`. With `push`, the manifest is read only when given. */
  reference?: string;
  /** Ask for `pull,push` and start (then cancel) a blob upload. */
  push?: boolean;
  /** Per request, in ms (default 5000). */
  timeoutMs?: number;
  /** Default: the global fetch. Production passes the shared HTTP policy. */
  fetch?: Fetch;
  fetchToken?: TokenFetcher;
}

export const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

interface Answer {
  step: RegistryHop;
  headers?: Headers;
}

async function hop(
  fetch: Fetch,
  name: RegistryHopName,
  method: string,
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Answer> {
  const step: RegistryHop = { name, method, url, status: 0 };
  try {
    const res = await fetch(url, { method, headers, signal: AbortSignal.timeout(timeoutMs) });
    step.status = res.status;
    const code = errorCode(await readJson(res));
    if (code !== undefined) step.error = code;
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    if (challenge?.scheme === 'bearer' && challenge.error !== undefined)
      step.challengeError = challenge.error;
    const retryAfter = res.headers.get('retry-after');
    if (retryAfter !== null) step.retryAfter = Number(retryAfter);
    return { step, headers: res.headers };
  } catch (err) {
    step.error = networkError(err);
    return { step };
  }
}

/**
 * Walks the login (and optional pull/push) flow against the registry at `baseUrl`
 * (`https://host[:port]`, no trailing slash) and reports every hop. Never throws for
 * an answer: a refusal is a result.
 */
export async function probeRegistry(
  baseUrl: string,
  credentials: RegistryCredentials,
  opts: RegistryProbeOptions = {},
): Promise<RegistryProbeResult> {
  const base = baseUrl.replace(/\/$/, '');
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const fetch = opts.fetch ?? globalThis.fetch;
  const fetchToken = opts.fetchToken ?? fetchRegistryToken;
  const steps: RegistryHop[] = [];
  let scheme: RegistryProbeResult['scheme'];
  const result = (ok: boolean, loggedIn: boolean, extra: Partial<RegistryProbeResult> = {}) => {
    const last = steps[steps.length - 1];
    return {
      ok,
      loggedIn,
      steps,
      ...(ok || !last ? {} : { failedAt: last.name }),
      ...(scheme ? { scheme } : {}),
      ...extra,
    };
  };

  const ping = await hop(fetch, 'ping', 'GET', `${base}/v2/`, {}, timeoutMs);
  steps.push(ping.step);
  const challenge: RegistryChallenge | undefined = parseChallenge(
    ping.headers?.get('www-authenticate'),
  );
  if (ping.step.status === 200) scheme = 'none';
  else if (ping.step.status !== 401 || !challenge) return result(false, false);
  else scheme = challenge.scheme;

  const tokenStep = async (name: RegistryHopName, scopes: string[]) => {
    if (challenge?.scheme !== 'bearer') return undefined;
    const got = await fetchToken(challenge, scopes, credentials, { timeoutMs, fetch });
    const step: RegistryHop = { name, method: 'GET', url: got.url, status: got.status, scopes };
    if (got.error !== undefined) step.error = got.error;
    if (got.retryAfter !== undefined) step.retryAfter = got.retryAfter;
    if (got.token !== undefined) step.granted = grantedAccess(got.token);
    steps.push(step);
    return got.status === 200 ? got.token : undefined;
  };
  const authorization = async (
    name: RegistryHopName,
    scopes: string[],
  ): Promise<Record<string, string> | undefined> => {
    if (scheme === 'none') return {};
    if (scheme === 'basic') return { authorization: basicAuthorization(credentials) };
    const token = await tokenStep(name, scopes);
    return token === undefined ? undefined : { authorization: `Bearer ${token}` };
  };

  const login = await authorization('login-token', []);
  if (login === undefined) return result(false, false);
  if (scheme !== 'none') {
    const authed = await hop(fetch, 'authenticated-ping', 'GET', `${base}/v2/`, login, timeoutMs);
    steps.push(authed.step);
    if (authed.step.status !== 200) return result(false, false);
  }
  if (opts.repository === undefined) return result(true, true);

  const repo = opts.repository;
  const scoped = await authorization('scoped-token', [
    `repository:${repo}:${opts.push ? 'pull,push' : 'pull'}`,
  ]);
  if (scoped === undefined) return result(false, true);

  let digest: string | undefined;
  if (!opts.push || opts.reference !== undefined) {
    const reference = opts.reference ?? 'latest';
    const manifest = await hop(
      fetch,
      'manifest',
      'HEAD',
      `${base}/v2/${repo}/manifests/${reference}`,
      { ...scoped, accept: MANIFEST_ACCEPT },
      timeoutMs,
    );
    steps.push(manifest.step);
    if (manifest.step.status !== 200) return result(false, true);
    digest = manifest.headers?.get('docker-content-digest') ?? undefined;
  }

  if (opts.push) {
    const upload = await hop(
      fetch,
      'push-upload',
      'POST',
      `${base}/v2/${repo}/blobs/uploads/`,
      scoped,
      timeoutMs,
    );
    steps.push(upload.step);
    if (upload.step.status !== 202) return result(false, true, digest ? { digest } : {});
    const location = upload.headers?.get('location');
    // Cancel the probe upload so that it leaves nothing behind.
    if (location) {
      await fetch(new URL(location, base).toString(), { method: 'DELETE', headers: scoped }).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
    }
  }
  return result(true, true, digest ? { digest } : {});
}
