/**
 * The renewal policy of DESIGN.md, after cert-manager's `pkg/util/pki/renewaltime.go`:
 * pure functions of a window and an instant; the clock is the caller's.
 */
import { REASONS, type Reason } from './reasons.js';
import type { ExpiryStatus, ExpiryWindow, Thresholds } from './types.js';

/** How the renewal time was derived; decides the reason when a credential is due. */
export type RenewalBasis = 'renewBefore' | 'lifetime-third' | 'warning-threshold';

export interface RenewalTime {
  renewAt: Date;
  basis: RenewalBasis;
}

/**
 * When a credential valid from `notBefore` to `notAfter` should be renewed.
 *
 * Precedence (cert-manager's): `renewBeforeMs` when set and shorter than the lifetime,
 * otherwise one third of the lifetime before `notAfter`. A `renewBeforeMs` longer than
 * the lifetime would make a fresh credential due at once, so it is ignored. Without
 * `notBefore` the lifetime is unknown: `renewBeforeMs` is used as given, or, when unset,
 * there is no answer (`undefined`; `evaluate` then falls back to the warning threshold).
 * The result is truncated to whole seconds, as cert-manager does.
 *
 * @param renewBeforeMs milliseconds before `notAfter`
 */
export function renewalTime(
  notBefore: Date | undefined,
  notAfter: Date,
  renewBeforeMs?: number,
): RenewalTime | undefined {
  const end = notAfter.getTime();
  if (notBefore === undefined) {
    if (renewBeforeMs === undefined) return undefined;
    return { renewAt: truncateToSecond(end - renewBeforeMs), basis: 'renewBefore' };
  }
  const lifetimeMs = end - notBefore.getTime();
  if (renewBeforeMs !== undefined && renewBeforeMs < lifetimeMs) {
    return { renewAt: truncateToSecond(end - renewBeforeMs), basis: 'renewBefore' };
  }
  return { renewAt: truncateToSecond(end - lifetimeMs / 3), basis: 'lifetime-third' };
}

/** The decision about one window at one instant. A value, never an exception. */
export interface Evaluation {
  status: ExpiryStatus;
  /** Renewal time reached (always true once expired). Independent of the thresholds. */
  due: boolean;
  reason: Reason;
  /** notAfter − now in ms; negative once expired; undefined when there is no notAfter. */
  remainingMs?: number;
  /** When the credential is (or was) due for rotation. */
  renewAt?: Date;
  renewalBasis?: RenewalBasis;
}

/**
 * Decides status and due-ness of `window` as of `now`.
 *
 * - no `notAfter` → `unknown` (itself a finding), not due;
 * - `now >= notAfter` → `expired`, due;
 * - `now < notBefore` → `not-yet-valid`;
 * - otherwise `critical` when remaining ≤ `criticalMs`, `warning` when remaining ≤
 *   `warningMs`, else `ok`.
 *
 * Due means `now >= renewAt` (see `renewalTime`); when the lifetime is unknown and no
 * renewBefore is configured, the warning threshold stands in for renewBefore.
 *
 * @param thresholds milliseconds before `notAfter`
 * @param renewBeforeMs milliseconds before `notAfter`
 */
export function evaluate(
  window: Pick<ExpiryWindow, 'notBefore' | 'notAfter'>,
  now: Date,
  thresholds: Thresholds,
  renewBeforeMs?: number,
): Evaluation {
  const { notBefore, notAfter } = window;
  if (notAfter === undefined) {
    return { status: 'unknown', due: false, reason: REASONS.NoExpiryInformation };
  }
  const at = now.getTime();
  const remainingMs = notAfter.getTime() - at;
  const renewal = renewalTime(notBefore, notAfter, renewBeforeMs) ?? {
    renewAt: new Date(notAfter.getTime() - thresholds.warningMs),
    basis: 'warning-threshold' as const,
  };
  const base = { remainingMs, renewAt: renewal.renewAt, renewalBasis: renewal.basis };
  const due = at >= renewal.renewAt.getTime();

  if (remainingMs <= 0) {
    return { ...base, status: 'expired', due: true, reason: REASONS.Expired };
  }
  if (notBefore !== undefined && at < notBefore.getTime()) {
    return { ...base, status: 'not-yet-valid', due, reason: REASONS.NotYetValid };
  }
  const status: ExpiryStatus =
    remainingMs <= thresholds.criticalMs
      ? 'critical'
      : remainingMs <= thresholds.warningMs
        ? 'warning'
        : 'ok';
  return { ...base, status, due, reason: reasonFor(status, due, renewal.basis) };
}

function reasonFor(status: ExpiryStatus, due: boolean, basis: RenewalBasis): Reason {
  if (due) {
    if (basis === 'renewBefore') return REASONS.RenewBeforeReached;
    if (basis === 'lifetime-third') return REASONS.LastThirdOfLifetime;
    return REASONS.WarningThresholdReached;
  }
  if (status === 'critical') return REASONS.WithinCriticalThreshold;
  if (status === 'warning') return REASONS.WithinWarningThreshold;
  return REASONS.Valid;
}

function truncateToSecond(ms: number): Date {
  return new Date(Math.floor(ms / 1_000) * 1_000);
}
