import { describe, expect, it } from 'vitest';
import { describeEvaluation } from '../../shared/expiry/describe.js';
import { evaluate, renewalTime } from '../../shared/expiry/policy.js';
import { REASONS } from '../../shared/expiry/reasons.js';
import type { ExpiryWindow, Thresholds } from '../../shared/expiry/types.js';
import { MS } from '../../shared/util/clock.js';
import { formatRelative, parseDuration } from '../../shared/util/duration.js';

const at = (iso: string) => new Date(iso);
const DEFAULTS: Thresholds = { warningMs: 30 * MS.day, criticalMs: 7 * MS.day };

describe('renewalTime', () => {
  const cases: Array<{
    name: string;
    notBefore?: string;
    notAfter: string;
    renewBeforeMs?: number;
    want: { renewAt: string; basis: string } | undefined;
  }> = [
    {
      name: 'defaults to one third of the lifetime before notAfter (cert-manager)',
      notBefore: '2025-01-01T00:00:00Z',
      notAfter: '2025-04-01T00:00:00Z', // 90 days
      want: { renewAt: '2025-03-02T00:00:00.000Z', basis: 'lifetime-third' },
    },
    {
      name: 'uses renewBefore when it is shorter than the lifetime',
      notBefore: '2025-01-01T00:00:00Z',
      notAfter: '2025-04-01T00:00:00Z',
      renewBeforeMs: 10 * MS.day,
      want: { renewAt: '2025-03-22T00:00:00.000Z', basis: 'renewBefore' },
    },
    {
      name: 'ignores a renewBefore as long as the lifetime, which would make every new credential due',
      notBefore: '2025-01-01T00:00:00Z',
      notAfter: '2025-01-31T00:00:00Z',
      renewBeforeMs: 30 * MS.day,
      want: { renewAt: '2025-01-21T00:00:00.000Z', basis: 'lifetime-third' },
    },
    {
      name: 'uses renewBefore as given when the lifetime is unknown',
      notAfter: '2025-04-01T00:00:00Z',
      renewBeforeMs: MS.day,
      want: { renewAt: '2025-03-31T00:00:00.000Z', basis: 'renewBefore' },
    },
    {
      name: 'has no answer without notBefore and without renewBefore',
      notAfter: '2025-04-01T00:00:00Z',
      want: undefined,
    },
    {
      name: 'truncates to whole seconds',
      notBefore: '2025-01-01T00:00:00Z',
      notAfter: '2025-01-01T00:00:10Z', // a third of 10 s is 3.33 s
      want: { renewAt: '2025-01-01T00:00:06.000Z', basis: 'lifetime-third' },
    },
  ];
  it.each(cases)('$name', ({ notBefore, notAfter, renewBeforeMs, want }) => {
    const got = renewalTime(notBefore ? at(notBefore) : undefined, at(notAfter), renewBeforeMs);
    expect(got && { renewAt: got.renewAt.toISOString(), basis: got.basis }).toEqual(want);
  });
});

describe('evaluate', () => {
  // A 90-day certificate: renewal at 60 days (one third left), notAfter 2025-04-01.
  const ninetyDays = {
    notBefore: at('2025-01-01T00:00:00Z'),
    notAfter: at('2025-04-01T00:00:00Z'),
  };
  const cases: Array<{
    name: string;
    window: Pick<ExpiryWindow, 'notBefore' | 'notAfter'>;
    now: string;
    renewBeforeMs?: number;
    thresholds?: Thresholds;
    status: string;
    due: boolean;
    reason: string;
  }> = [
    {
      name: 'fresh credential is ok and not due',
      window: ninetyDays,
      now: '2025-01-10T00:00:00Z',
      status: 'ok',
      due: false,
      reason: REASONS.Valid,
    },
    {
      name: 'credential in its last third is due but still ok',
      window: ninetyDays,
      now: '2025-03-03T00:00:00Z',
      thresholds: { warningMs: 10 * MS.day, criticalMs: 3 * MS.day },
      status: 'ok',
      due: true,
      reason: REASONS.LastThirdOfLifetime,
    },
    {
      name: 'credential with 20 days left is a warning',
      window: ninetyDays,
      now: '2025-03-12T00:00:00Z',
      status: 'warning',
      due: true,
      reason: REASONS.LastThirdOfLifetime,
    },
    {
      name: 'credential with exactly the critical threshold left is critical',
      window: ninetyDays,
      now: '2025-03-25T00:00:00Z',
      status: 'critical',
      due: true,
      reason: REASONS.LastThirdOfLifetime,
    },
    {
      name: 'credential at notAfter is expired',
      window: ninetyDays,
      now: '2025-04-01T00:00:00Z',
      status: 'expired',
      due: true,
      reason: REASONS.Expired,
    },
    {
      name: 'credential before notBefore is not yet valid',
      window: ninetyDays,
      now: '2024-12-31T00:00:00Z',
      status: 'not-yet-valid',
      due: false,
      reason: REASONS.NotYetValid,
    },
    {
      name: 'credential without notAfter is unknown and not due',
      window: { notBefore: at('2025-01-01T00:00:00Z') },
      now: '2025-01-10T00:00:00Z',
      status: 'unknown',
      due: false,
      reason: REASONS.NoExpiryInformation,
    },
    {
      name: 'configured renewBefore makes a credential due earlier than one third',
      window: ninetyDays,
      now: '2025-02-01T00:00:00Z',
      renewBeforeMs: 60 * MS.day,
      status: 'ok',
      due: true,
      reason: REASONS.RenewBeforeReached,
    },
    {
      name: 'without notBefore the warning threshold stands in for renewBefore',
      window: { notAfter: at('2025-04-01T00:00:00Z') },
      now: '2025-03-10T00:00:00Z',
      status: 'warning',
      due: true,
      reason: REASONS.WarningThresholdReached,
    },
    {
      name: 'thresholds wider than renewBefore warn before the credential is due',
      window: ninetyDays,
      now: '2025-02-15T00:00:00Z',
      thresholds: { warningMs: 60 * MS.day, criticalMs: 50 * MS.day },
      status: 'critical',
      due: false,
      reason: REASONS.WithinCriticalThreshold,
    },
    {
      name: 'a warning threshold alone reports WithinWarningThreshold',
      window: ninetyDays,
      now: '2025-02-15T00:00:00Z',
      thresholds: { warningMs: 60 * MS.day, criticalMs: MS.day },
      status: 'warning',
      due: false,
      reason: REASONS.WithinWarningThreshold,
    },
  ];
  it.each(cases)('$name', ({ window, now, renewBeforeMs, thresholds, status, due, reason }) => {
    const got = evaluate(window, at(now), thresholds ?? DEFAULTS, renewBeforeMs);
    expect({ status: got.status, due: got.due, reason: got.reason }).toEqual({
      status,
      due,
      reason,
    });
  });

  it('reports remaining time as notAfter minus now, negative once expired', () => {
    expect(evaluate(ninetyDays, at('2025-03-31T00:00:00Z'), DEFAULTS).remainingMs).toBe(MS.day);
    expect(evaluate(ninetyDays, at('2025-04-02T00:00:00Z'), DEFAULTS).remainingMs).toBe(-MS.day);
  });
});

describe('describeEvaluation', () => {
  const certificate: ExpiryWindow = {
    kind: 'x509-certificate',
    notBefore: at('2025-01-01T00:00:00Z'),
    notAfter: at('2025-04-01T00:00:00Z'),
    subject: 'CN=webhook',
    fingerprint: '00000000',
  };
  it("words an expired certificate as Go's crypto/x509 does", () => {
    const now = at('2025-04-02T00:00:00Z');
    expect(describeEvaluation(certificate, evaluate(certificate, now, DEFAULTS), now)).toBe(
      'x509: certificate has expired or is not yet valid: current time 2025-04-02T00:00:00Z is after 2025-04-01T00:00:00Z',
    );
  });
  it('words a not-yet-valid certificate with "is before" notBefore', () => {
    const now = at('2024-12-31T00:00:00Z');
    expect(describeEvaluation(certificate, evaluate(certificate, now, DEFAULTS), now)).toContain(
      'current time 2024-12-31T00:00:00Z is before 2025-01-01T00:00:00Z',
    );
  });
  it('says why a credential is due', () => {
    const now = at('2025-03-03T00:00:00Z');
    expect(describeEvaluation(certificate, evaluate(certificate, now, DEFAULTS), now)).toMatch(
      /^due for rotation since 2025-03-02T00:00:00Z.*less than a third of its lifetime remains/,
    );
  });
  it('says when a credential that is not due will be', () => {
    const now = at('2025-03-01T00:00:00Z');
    expect(describeEvaluation(certificate, evaluate(certificate, now, DEFAULTS), now)).toBe(
      'renewal due in 1d (2025-03-02T00:00:00Z)',
    );
  });
});

describe('parseDuration', () => {
  it.each([
    ['30d', 30 * MS.day],
    ['12h', 12 * MS.hour],
    ['90m', 90 * MS.minute],
    ['45s', 45 * MS.second],
    ['2w', 14 * MS.day],
    ['1d12h', 36 * MS.hour],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['', '30', 'd', '3x', '-1d', '1.5d', '30 days'])(
    'rejects %j with a message naming the input',
    (text) => {
      expect(() => parseDuration(text)).toThrow(`'${text}' is not a duration`);
    },
  );
});

describe('formatRelative', () => {
  it.each([
    [4 * MS.day + 3 * MS.hour + 5 * MS.minute, 'in 4d 3h'],
    [-2 * MS.day, '2d ago'],
    [90 * MS.second, 'in 1m 30s'],
    [2 * MS.day + 30 * MS.second, 'in 2d'],
    [500, 'now'],
  ])('renders %d ms as %s', (ms, text) => {
    expect(formatRelative(ms)).toBe(text);
  });
});
