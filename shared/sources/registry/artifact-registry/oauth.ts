/**
 * Google service-account keys and the OAuth 2.0 JWT-bearer grant that turns one into an
 * access token, as Google's client libraries do it without any library:
 * sign `{iss: client_email, scope, aud: token_uri, iat, exp}` (RS256, `kid` the key id)
 * and POST it to `token_uri` with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`;
 * the answer is `{access_token, expires_in, token_type: "Bearer"}`.
 * https://developers.google.com/identity/protocols/oauth2/service-account#httprest
 * Key file format: https://cloud.google.com/iam/docs/keys-create-delete (JSON key file).
 */
import { importPKCS8, SignJWT } from 'jose';
import { z } from 'zod';
import { PermissionError, ProviderError } from '../../../errors.js';
import type { Fetch } from '../../../http/policy-fetch.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

const keyFile = z.object({
  type: z.literal('service_account'),
  private_key_id: z.string().min(1),
  private_key: z.string().includes('PRIVATE KEY'),
  client_email: z.string().min(3),
  token_uri: z.url().optional(),
});

export type ServiceAccountKey = z.output<typeof keyFile>;

/**
 * Parses a service-account key file. `where` names it in errors, which never quote it.
 * @throws PermissionError when the text is not a service-account key.
 */
export function parseServiceAccountKey(text: string, where: string): ServiceAccountKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const key = keyFile.safeParse(parsed);
  if (!key.success) {
    throw new PermissionError(
      `${where} is not a Google service-account key file (JSON with type "service_account", private_key, client_email): download one with gcloud iam service-accounts keys create`,
    );
  }
  return key.data;
}

export interface AccessToken {
  /** A secret: never log it. */
  token: string;
  /** When Google stops accepting it. */
  expiresAt: Date;
}

/**
 * Exchanges a service-account key for an access token (`scope`, default cloud-platform).
 * @param now the clock for `iat`/`exp` and the answer's expiry
 * @throws PermissionError when Google refuses the key (400 invalid_grant, 401, 403);
 *   ProviderError for anything else (retryable on 429/5xx).
 */
export async function accessTokenFor(
  key: ServiceAccountKey,
  options: { fetch: Fetch; now: Date; scope?: string; tokenUri?: string },
): Promise<AccessToken> {
  const tokenUri = options.tokenUri ?? key.token_uri ?? DEFAULT_TOKEN_URI;
  const iat = Math.floor(options.now.getTime() / 1000);
  const assertion = await new SignJWT({ scope: options.scope ?? CLOUD_PLATFORM_SCOPE })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.private_key_id })
    .setIssuer(key.client_email)
    .setAudience(tokenUri)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .sign(await importPKCS8(key.private_key, 'RS256'));
  const res = await options.fetch(tokenUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
    }).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: unknown;
    expires_in?: unknown;
    error?: unknown;
  };
  const account = key.client_email;
  if (res.ok && typeof body.access_token === 'string') {
    const seconds = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    return {
      token: body.access_token,
      expiresAt: new Date(options.now.getTime() + seconds * 1000),
    };
  }
  const code = typeof body.error === 'string' ? ` (${body.error})` : '';
  const message = `Google's token endpoint answered ${res.status}${code} for service account ${account} (key ${key.private_key_id.slice(0, 8)})`;
  if (res.status === 400 || res.status === 401 || res.status === 403)
    throw new PermissionError(
      `${message}: the key is deleted, disabled or wrong; create a new key for the service account`,
      { status: res.status },
    );
  throw new ProviderError(message, {
    status: res.status,
    retryable: res.status === 429 || res.status >= 500,
  });
}
