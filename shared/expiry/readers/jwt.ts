/**
 * JWTs, including Kubernetes service-account tokens. Only the claims are read: the
 * signature is NOT verified (credrot wants to know when a token stops working, not
 * whether to trust it), and every window says so in its detail.
 * Claims: RFC 7519 §4.1 (`exp`, `nbf`, `iat` are NumericDate, seconds since the epoch).
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ParseError } from '../../errors.js';
import { fingerprint } from '../../util/fingerprint.js';
import type { ExpiryWindow } from '../types.js';
import { isRecord } from './common.js';

export const SIGNATURE_NOT_VERIFIED = 'signature not verified';

const LEGACY_SA_ISSUER = 'kubernetes/serviceaccount';

/** True when `text` has the shape of a JWS compact JWT with a JSON header naming an `alg`. */
export function looksLikeJwt(text: string): boolean {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(trimmed)) return false;
  try {
    return typeof decodeProtectedHeader(trimmed).alg === 'string';
  } catch {
    return false;
  }
}

/**
 * The window of a compact JWT: `notAfter` from `exp`, `notBefore` from `nbf` or else
 * `iat`, subject from `sub` (Kubernetes: `system:serviceaccount:<ns>:<name>`).
 * Throws `ParseError` for anything that is not a decodable JWS (the token is never quoted).
 */
export function readJwt(token: string, options: { locator?: string } = {}): ExpiryWindow {
  const trimmed = token.trim();
  const parts = trimmed.split('.');
  if (parts.length === 5) throw new ParseError('encrypted JWT (JWE): its claims cannot be read');
  if (parts.length !== 3 || parts.some((part, index) => index < 2 && part === '')) {
    throw new ParseError(
      `not a JWT: expected three base64url parts separated by dots, found ${parts.length}`,
    );
  }
  let claims: Record<string, unknown>;
  try {
    decodeProtectedHeader(trimmed);
    claims = decodeJwt(trimmed);
  } catch {
    throw new ParseError('not a JWT: the header or payload is not base64url-encoded JSON');
  }
  const exp = numericDate(claims, 'exp');
  const nbf = numericDate(claims, 'nbf');
  const iat = numericDate(claims, 'iat');
  const details = [SIGNATURE_NOT_VERIFIED];
  if (exp === undefined && claims['iss'] === LEGACY_SA_ISSUER) {
    details.push('legacy service-account token: never expires, valid until its Secret is deleted');
  } else if (exp === undefined) {
    details.push('no exp claim');
  }
  const window: ExpiryWindow = {
    kind: 'jwt',
    subject: subjectOf(claims),
    fingerprint: fingerprint(trimmed),
    detail: details.join('; '),
  };
  const notBefore = nbf ?? iat;
  if (notBefore !== undefined) window.notBefore = notBefore;
  if (exp !== undefined) window.notAfter = exp;
  if (options.locator !== undefined) window.locator = options.locator;
  return window;
}

function numericDate(claims: Record<string, unknown>, name: string): Date | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ParseError(`JWT claim '${name}' is not a NumericDate (seconds since the epoch)`);
  }
  return new Date(value * 1_000);
}

function subjectOf(claims: Record<string, unknown>): string {
  if (typeof claims['sub'] === 'string' && claims['sub'] !== '') return claims['sub'];
  // Legacy (Secret-based) service-account tokens name the account in private claims.
  const namespace = claims['kubernetes.io/serviceaccount/namespace'];
  const account = claims['kubernetes.io/serviceaccount/service-account.name'];
  if (typeof namespace === 'string' && typeof account === 'string') {
    return `system:serviceaccount:${namespace}:${account}`;
  }
  const k8s = claims['kubernetes.io'];
  if (isRecord(k8s) && isRecord(k8s['serviceaccount'])) {
    const name = k8s['serviceaccount']['name'];
    if (typeof k8s['namespace'] === 'string' && typeof name === 'string') {
      return `system:serviceaccount:${k8s['namespace']}:${name}`;
    }
  }
  if (typeof claims['iss'] === 'string') return `(no sub; iss ${claims['iss']})`;
  return '(no subject)';
}
