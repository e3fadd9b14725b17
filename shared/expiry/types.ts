/**
 * The common currency of the expiry module: every reader turns its input into windows,
 * and the policy decides from a window and a clock. No SDK or file shapes here.
 */

/** What a window was read from. */
export type CredentialKind =
  | 'x509-certificate'
  | 'jwt'
  | 'docker-auth'
  | 'gitlab-token'
  | 'aws-secret'
  | 'gcp-secret';

/**
 * The validity of one credential. `notAfter` missing means the input carries no expiry
 * information (status `unknown`); `notBefore` missing means the lifetime is unknown.
 */
export interface ExpiryWindow {
  kind: CredentialKind;
  notBefore?: Date;
  notAfter?: Date;
  /** Who or what the credential is for: a certificate subject, a JWT `sub`, `user@registry`. */
  subject: string;
  /** First 8 hex characters of a SHA-256 (of the DER, token or password); never the value. */
  fingerprint: string;
  /**
   * Which credential of its input this is, e.g. `auths/ghcr.io` or `clusters/prod`. Windows sharing a locator are one
   * credential (a bundle); undefined means the whole input.
   */
  locator?: string;
  /** Position of this certificate within its bundle or chain, 1-based. */
  member?: { index: number; count: number };
  /** A caveat worth printing, e.g. `signature not verified`. Never a secret. */
  detail?: string;
}

/** Status levels, from the credential's point of view. */
export type ExpiryStatus = 'ok' | 'warning' | 'critical' | 'expired' | 'not-yet-valid' | 'unknown';

export const EXPIRY_STATUSES: readonly ExpiryStatus[] = [
  'ok',
  'warning',
  'critical',
  'expired',
  'not-yet-valid',
  'unknown',
];

/** Time left before `notAfter` at which the status becomes warning / critical, in ms. */
export interface Thresholds {
  warningMs: number;
  criticalMs: number;
}

/** DESIGN.md defaults: warning 30 days, critical 7 days before `notAfter`. */
export const DEFAULT_THRESHOLDS: Thresholds = {
  warningMs: 30 * 86_400_000,
  criticalMs: 7 * 86_400_000,
};

/**
 * Each threshold from the first layer that sets it (command line, then the watcher's or
 * entry's own, then the configuration's defaults), else the built-in default.
 */
export function layeredThresholds(
  ...layers: ReadonlyArray<Partial<Thresholds> | undefined>
): Thresholds {
  const pick = (key: keyof Thresholds) =>
    layers.find((layer) => layer?.[key] !== undefined)?.[key] ?? DEFAULT_THRESHOLDS[key];
  return { warningMs: pick('warningMs'), criticalMs: pick('criticalMs') };
}
