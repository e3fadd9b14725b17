import { createHash } from 'node:crypto';

/**
 * The only form in which a secret may be shown: the first 8 hex characters of its
 * SHA-256. Enough to tell two values apart, useless to an attacker.
 */
export function fingerprint(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}
