/**
 * Why the policy decided what it did. Machine-readable (JSON output, metrics, tests);
 * the human sentence comes from `describeEvaluation`. Order of precedence, first match
 * wins: Expired, NotYetValid, Unreadable, NoExpiryInformation, then the renewal reasons, then the
 * threshold reasons, then Valid.
 */
export const REASONS = {
  /** now >= notAfter. */
  Expired: 'Expired',
  /** now < notBefore. */
  NotYetValid: 'NotYetValid',
  /** The input could not be read or parsed; the finding carries the error. */
  Unreadable: 'Unreadable',
  /** The input has no expiry (no `exp`, no `expires_at`, no rotation schedule). */
  NoExpiryInformation: 'NoExpiryInformation',
  /** Due: less than the configured renewBefore remains. */
  RenewBeforeReached: 'RenewBeforeReached',
  /** Due: less than one third of the lifetime remains (cert-manager's default). */
  LastThirdOfLifetime: 'LastThirdOfLifetime',
  /** Due: lifetime unknown and no renewBefore, so the warning threshold stands in for it. */
  WarningThresholdReached: 'WarningThresholdReached',
  /** Not due, but inside the critical threshold (thresholds wider than renewBefore). */
  WithinCriticalThreshold: 'WithinCriticalThreshold',
  /** Not due, but inside the warning threshold. */
  WithinWarningThreshold: 'WithinWarningThreshold',
  /** Nothing to do. */
  Valid: 'Valid',
} as const;

export type Reason = (typeof REASONS)[keyof typeof REASONS];
