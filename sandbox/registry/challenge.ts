/**
 * Reads the registry's `WWW-Authenticate` header, e.g.
 * `Bearer realm="http://127.0.0.1:5555/jwt/auth",service="container_registry",scope="repository:a/b:pull",error="insufficient_scope"`.
 * https://distribution.github.io/distribution/spec/auth/token/#how-to-authenticate
 */
export interface BearerChallenge {
  realm: string;
  service: string;
  scope?: string;
  /** `invalid_token` (bad, expired or untrusted token) or `insufficient_scope`. */
  error?: string;
}

/** Parses a Bearer challenge; undefined when the header is absent or another scheme. */
export function parseBearerChallenge(
  header: string | null | undefined,
): BearerChallenge | undefined {
  if (!header) return undefined;
  const match = /^\s*bearer\s+(.*)$/is.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const m of (match[1] ?? '').matchAll(/([A-Za-z_]+)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) {
    params[(m[1] ?? '').toLowerCase()] = (m[2] ?? '').replace(/\\(.)/g, '$1');
  }
  if (params['realm'] === undefined) return undefined;
  return {
    realm: params['realm'],
    service: params['service'] ?? '',
    ...(params['scope'] === undefined ? {} : { scope: params['scope'] }),
    ...(params['error'] === undefined ? {} : { error: params['error'] }),
  };
}
