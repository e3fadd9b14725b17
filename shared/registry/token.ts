/**
 * The client half of the registry token flow, as docker and skopeo do it:
 * `GET realm?service=..&scope=..` with HTTP Basic credentials, answered `{token}` (or
 * `{access_token}`). Results carry statuses and error codes, never the credentials; the
 * token itself is a secret and stays in `token`.
 * https://distribution.github.io/distribution/spec/auth/token/#requesting-a-token
 */
import { decodeJwt } from 'jose';
import type { Fetch } from '../http/policy-fetch.js';
import type { BearerChallenge } from './challenge.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface TokenFetchResult {
  /** HTTP status; 0 when no answer came (timeout or dropped connection). */
  status: number;
  /** The bearer token on 200. A secret: never log it. */
  token?: string;
  /** `errors[0].code` of an error body (`UNAUTHORIZED`, `DENIED`), or `timeout`/`connection-dropped`. */
  error?: string;
  /** Seconds, from a 429/503 `Retry-After`. */
  retryAfter?: number;
  /** The request URL; it carries no credentials. */
  url: string;
}

export type TokenFetcher = (
  challenge: BearerChallenge,
  scopes: string[],
  credentials: RegistryCredentials,
  opts?: { timeoutMs?: number; account?: boolean; fetch?: Fetch },
) => Promise<TokenFetchResult>;

/** `Authorization: Basic ...` for a username and password (RFC 7617). */
export function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

/** Maps a fetch failure to the hop error names the flow reports. */
export function networkError(err: unknown): string {
  const name = err instanceof Error ? err.name : '';
  const text = err instanceof Error ? err.message : '';
  return name === 'TimeoutError' || name === 'AbortError' || /timed? ?out/i.test(text)
    ? 'timeout'
    : 'connection-dropped';
}

/** Reads `errors[0].code` from a Distribution or GitLab error body, if it is one. */
export function errorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return undefined;
  const first: unknown = errors[0];
  if (typeof first !== 'object' || first === null) return undefined;
  const code = (first as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The body as JSON, or undefined when it is not JSON (or empty). */
export async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Requests a bearer token from the challenge's realm with Basic credentials. */
export const fetchRegistryToken: TokenFetcher = async (
  challenge,
  scopes,
  credentials,
  opts = {},
) => {
  const url = new URL(challenge.realm);
  url.searchParams.set('service', challenge.service);
  // `docker login` names the account; later scoped requests do too.
  if (opts.account !== false) url.searchParams.set('account', credentials.username);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const fetch = opts.fetch ?? globalThis.fetch;
  try {
    const res = await fetch(url, {
      headers: { authorization: basicAuthorization(credentials) },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000),
    });
    const body = await readJson(res);
    const result: TokenFetchResult = { status: res.status, url: url.toString() };
    const retryAfter = res.headers.get('retry-after');
    if (retryAfter !== null) result.retryAfter = Number(retryAfter);
    if (res.status === 200 && typeof body === 'object' && body !== null) {
      const { token, access_token } = body as { token?: unknown; access_token?: unknown };
      const value = typeof token === 'string' ? token : access_token;
      if (typeof value === 'string') result.token = value;
    }
    const code = errorCode(body);
    if (code !== undefined) result.error = code;
    return result;
  } catch (err) {
    return { status: 0, error: networkError(err), url: url.toString() };
  }
};

/** The `access` claim of a registry token, as `name → actions`; not secret, unlike the token. */
export function grantedAccess(token: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch {
    // Not every registry's token is a JWT (the spec calls it opaque).
    return out;
  }
  if (!Array.isArray(claims['access'])) return out;
  for (const entry of claims['access'] as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { name, actions } = entry as { name?: unknown; actions?: unknown };
    if (typeof name === 'string' && Array.isArray(actions)) {
      out[name] = actions.filter((a): a is string => typeof a === 'string');
    }
  }
  return out;
}
