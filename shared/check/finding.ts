/**
 * What `credrot check` reports: one finding per credential, in urgency order, and the
 * exit code a cron job or pipeline acts on.
 */
import type { Reason } from '../expiry/reasons.js';
import type { ExpiryStatus } from '../expiry/types.js';

/**
 * Reasons only a live credential has, beyond the expiry policy's (`REASONS`): what the
 * stores and the source say about the value consumers hold.
 */
export const LIVE_REASONS = {
  /** No store holds a value yet: the first `credrot rotate` mints one. */
  NoStoredValue: 'NoStoredValue',
  /** GitLab reports the stored current value as revoked: consumers get 401 now. */
  RevokedAtSource: 'RevokedAtSource',
  /** GitLab no longer knows the stored current value (deleted): consumers get 401 now. */
  MissingAtSource: 'MissingAtSource',
} as const;

export type FindingReason = Reason | (typeof LIVE_REASONS)[keyof typeof LIVE_REASONS];

export interface Finding {
  /** The watcher's or credential's name from the configuration. */
  name: string;
  /**
   * The watcher's kind (`certificate`, `docker-config`, ...), the credential's kind
   * (`gitlab-project-access-token`, ...), or `aws-secret` / `gcp-secret` for a store's own
   * rotation schedule or expiry.
   */
  kind: string;
  /** File (relative to the working directory when inside it) or URL, plus `#locator` inside it. */
  location: string;
  subject: string;
  notBefore?: Date;
  notAfter?: Date;
  status: ExpiryStatus;
  due: boolean;
  reason: FindingReason;
  /** notAfter − now, ms; negative once expired. */
  remainingMs?: number;
  renewAt?: Date;
  /** First 8 hex characters of a SHA-256; `-` when credrot never sees a value. */
  fingerprint: string;
  /** Why the input could not be evaluated; names the file and the problem. */
  error?: string;
  /** A human sentence: the decision, the bundle position, caveats such as "signature not verified". */
  note?: string;
}

/**
 * Urgency order, most urgent first: expired and not-yet-valid fail right now (both are
 * Go's "certificate has expired or is not yet valid"); critical is about to; unknown
 * needs a person (unreadable inputs before inputs without expiry); then warning, ok.
 */
export const URGENCY: readonly ExpiryStatus[] = [
  'expired',
  'not-yet-valid',
  'critical',
  'unknown',
  'warning',
  'ok',
];

/** Compares two findings by urgency, then unreadable first, then earliest notAfter, then name. */
export function byUrgency(a: Finding, b: Finding): number {
  return (
    URGENCY.indexOf(a.status) - URGENCY.indexOf(b.status) ||
    Number(b.error !== undefined) - Number(a.error !== undefined) ||
    (a.notAfter?.getTime() ?? Number.POSITIVE_INFINITY) -
      (b.notAfter?.getTime() ?? Number.POSITIVE_INFINITY) ||
    a.name.localeCompare(b.name) ||
    a.location.localeCompare(b.location)
  );
}

/** Exit codes of `credrot check`. */
export const EXIT = {
  /** Every credential is ok (due-for-rotation alone does not fail a check). */
  ok: 0,
  /** At least one warning, or a credential without expiry information. */
  warning: 1,
  /** At least one critical, expired or not-yet-valid credential, an unreadable input, or a configuration/usage error. */
  critical: 2,
} as const;

/** The exit code for a set of findings (see `EXIT`). */
export function exitCodeFor(findings: readonly Finding[]): number {
  let code: number = EXIT.ok;
  for (const finding of findings) {
    if (
      finding.error !== undefined ||
      finding.status === 'expired' ||
      finding.status === 'critical' ||
      finding.status === 'not-yet-valid'
    ) {
      return EXIT.critical;
    }
    if (finding.status === 'warning' || finding.status === 'unknown') code = EXIT.warning;
  }
  return code;
}
