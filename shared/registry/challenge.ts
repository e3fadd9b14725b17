/**
 * Reads a registry's `WWW-Authenticate` header. Distribution-style registries (GitLab,
 * Docker Hub, Artifact Registry, the sandbox) answer `GET /v2/` with a Bearer challenge,
 * e.g. `Bearer realm="https://gitlab.example.com/jwt/auth",service="container_registry",scope="repository:a/b:pull",error="insufficient_scope"`;
 * others (Amazon ECR, a plain `htpasswd` registry) with `Basic realm="..."`.
 * https://distribution.github.io/distribution/spec/auth/token/#how-to-authenticate
 * https://www.rfc-editor.org/rfc/rfc7235#section-4.1
 */
export interface BearerChallenge {
  realm: string;
  service: string;
  scope?: string;
  /** `invalid_token` (bad, expired or untrusted token) or `insufficient_scope`. */
  error?: string;
}

export type RegistryChallenge =
  | ({ scheme: 'bearer' } & BearerChallenge)
  | { scheme: 'basic'; realm?: string };

function params(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z_]+)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) {
    out[(m[1] ?? '').toLowerCase()] = (m[2] ?? '').replace(/\\(.)/g, '$1');
  }
  return out;
}

/** Parses a Bearer challenge; undefined when the header is absent or another scheme. */
export function parseBearerChallenge(
  header: string | null | undefined,
): BearerChallenge | undefined {
  const parsed = parseChallenge(header);
  if (parsed?.scheme !== 'bearer') return undefined;
  const { scheme: _, ...challenge } = parsed;
  return challenge;
}

/** Parses a Bearer or Basic challenge; undefined for anything else. */
export function parseChallenge(header: string | null | undefined): RegistryChallenge | undefined {
  if (!header) return undefined;
  const bearer = /^\s*bearer\s+(.*)$/is.exec(header);
  if (bearer) {
    const p = params(bearer[1] ?? '');
    if (p['realm'] === undefined) return undefined;
    return {
      scheme: 'bearer',
      realm: p['realm'],
      service: p['service'] ?? '',
      ...(p['scope'] === undefined ? {} : { scope: p['scope'] }),
      ...(p['error'] === undefined ? {} : { error: p['error'] }),
    };
  }
  const basic = /^\s*basic\b(.*)$/is.exec(header);
  if (basic) {
    const realm = params(basic[1] ?? '')['realm'];
    return realm === undefined ? { scheme: 'basic' } : { scheme: 'basic', realm };
  }
  return undefined;
}
