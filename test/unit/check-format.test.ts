import { describe, expect, it } from 'vitest';
import { byUrgency, exitCodeFor, type Finding } from '../../shared/check/finding.js';
import {
  escapeLabelValue,
  formatJson,
  formatPrometheus,
  formatTable,
} from '../../shared/check/format.js';
import { REASONS } from '../../shared/expiry/reasons.js';
import { MS } from '../../shared/util/clock.js';

const NOW = new Date('2025-06-15T00:00:00Z');

function finding(overrides: Partial<Finding> & Pick<Finding, 'name' | 'status'>): Finding {
  return {
    kind: 'certificate',
    location: `certs/${overrides.name}.pem`,
    subject: `CN=${overrides.name}`,
    due: false,
    reason: REASONS.Valid,
    fingerprint: '0123abcd',
    ...overrides,
  };
}

const expired = finding({
  name: 'old',
  status: 'expired',
  due: true,
  reason: REASONS.Expired,
  notBefore: new Date('2025-03-14T00:00:00Z'),
  notAfter: new Date('2025-06-13T00:00:00Z'),
  remainingMs: -2 * MS.day,
  note: 'x509: certificate has expired or is not yet valid: current time 2025-06-15T00:00:00Z is after 2025-06-13T00:00:00Z',
});
const ok = finding({
  name: 'fresh',
  status: 'ok',
  notBefore: new Date('2025-06-01T00:00:00Z'),
  notAfter: new Date('2025-09-01T00:00:00Z'),
  renewAt: new Date('2025-08-01T00:00:00Z'),
  remainingMs: 78 * MS.day,
});
const warning = finding({
  name: 'soon',
  status: 'warning',
  notAfter: new Date('2025-07-01T00:00:00Z'),
  due: true,
});
const broken = finding({
  name: 'broken',
  status: 'unknown',
  reason: REASONS.Unreadable,
  subject: '-',
  fingerprint: '-',
  error: 'certs/broken.pem: not a certificate: neither PEM (no -----BEGIN line) nor DER',
});
const noExpiry = finding({
  name: 'basic-auth',
  status: 'unknown',
  reason: REASONS.NoExpiryInformation,
});

describe('byUrgency', () => {
  it('orders expired, not-yet-valid, critical, unknown (unreadable first), warning, ok', () => {
    const critical = finding({
      name: 'crit',
      status: 'critical',
      notAfter: new Date('2025-06-16T00:00:00Z'),
    });
    const future = finding({
      name: 'future',
      status: 'not-yet-valid',
      notAfter: new Date('2025-12-01T00:00:00Z'),
    });
    const sorted = [ok, warning, noExpiry, broken, critical, future, expired].sort(byUrgency);
    expect(sorted.map((f) => f.name)).toEqual([
      'old',
      'future',
      'crit',
      'broken',
      'basic-auth',
      'soon',
      'fresh',
    ]);
  });
  it('orders findings of one status by earliest expiry', () => {
    const later = finding({
      name: 'a-later',
      status: 'ok',
      notAfter: new Date('2026-01-01T00:00:00Z'),
    });
    const earlier = finding({
      name: 'z-earlier',
      status: 'ok',
      notAfter: new Date('2025-10-01T00:00:00Z'),
    });
    expect([later, earlier].sort(byUrgency).map((f) => f.name)).toEqual(['z-earlier', 'a-later']);
  });
});

describe('exitCodeFor', () => {
  it.each([
    { name: 'all ok', findings: [ok], code: 0 },
    { name: 'nothing to check', findings: [], code: 0 },
    { name: 'a warning', findings: [ok, warning], code: 1 },
    { name: 'a credential without expiry information', findings: [ok, noExpiry], code: 1 },
    { name: 'an expired credential', findings: [ok, warning, expired], code: 2 },
    {
      name: 'a critical credential',
      findings: [finding({ name: 'c', status: 'critical' })],
      code: 2,
    },
    {
      name: 'a not-yet-valid credential',
      findings: [finding({ name: 'f', status: 'not-yet-valid' })],
      code: 2,
    },
    { name: 'an unreadable input', findings: [ok, broken], code: 2 },
  ])('is $code for $name', ({ findings, code }) => {
    expect(exitCodeFor(findings)).toBe(code);
  });
});

describe('formatTable', () => {
  const table = formatTable([expired, broken, warning, ok], NOW);
  const lines = table.split('\n');

  it('prints a header and one aligned row per finding', () => {
    expect(lines[0]).toMatch(
      /^STATUS\s+NAME\s+KIND\s+LOCATION\s+EXPIRES \(UTC\)\s+RELATIVE\s+DUE$/,
    );
    const nameColumn = lines[0]!.indexOf('NAME');
    for (const row of lines.slice(1, 5)) expect(row.slice(nameColumn - 2, nameColumn)).toBe('  ');
    expect(lines[1]).toMatch(
      /^EXPIRED\s+old\s+certificate\s+certs\/old\.pem\s+2025-06-13T00:00:00Z\s+2d ago\s+yes$/,
    );
    expect(lines[4]).toMatch(/^OK\s+fresh\s+.*2025-09-01T00:00:00Z\s+in 78d\s+no \(in 47d\)$/);
  });
  it('explains each finding below the table with subject, fingerprint and the sentence or error', () => {
    expect(table).toContain('Details (as of 2025-06-15T00:00:00Z):');
    expect(table).toContain(`  old: CN=old [sha256:0123abcd]: ${expired.note}`);
    expect(table).toContain(`  broken: error: ${broken.error}`);
  });
});

describe('formatJson', () => {
  it('serializes dates as RFC 3339, with the exit code and per-status counts', () => {
    const parsed = JSON.parse(formatJson([expired, ok], NOW));
    expect(parsed).toMatchObject({
      now: '2025-06-15T00:00:00Z',
      exitCode: 2,
      summary: { expired: 1, ok: 1, warning: 0, critical: 0, 'not-yet-valid': 0, unknown: 0 },
    });
    expect(parsed.findings[0]).toMatchObject({
      name: 'old',
      status: 'expired',
      notAfter: '2025-06-13T00:00:00.000Z',
      remainingMs: -2 * MS.day,
      fingerprint: '0123abcd',
    });
  });
});

describe('formatPrometheus', () => {
  const text = formatPrometheus([expired, broken, ok]);

  it('exports absolute expiry timestamps in seconds, as x509-certificate-exporter does', () => {
    expect(text).toContain('# TYPE credrot_credential_expiry_timestamp_seconds gauge');
    expect(text).toContain(
      `credrot_credential_expiry_timestamp_seconds{kind="certificate",name="old",location="certs/old.pem"} ${Date.parse('2025-06-13T00:00:00Z') / 1000}`,
    );
  });
  it('has no expiry sample for a credential without notAfter, but does report its status and read error', () => {
    expect(text).not.toMatch(/credrot_credential_expiry_timestamp_seconds\{[^}]*name="broken"/);
    expect(text).toContain(
      'credrot_credential_status{kind="certificate",name="broken",location="certs/broken.pem",status="unknown"} 1',
    );
    expect(text).toContain(
      'credrot_credential_read_error{kind="certificate",name="broken",location="certs/broken.pem"} 1',
    );
  });
  it('emits one 0/1 status series per possible status', () => {
    const statusLines = text
      .split('\n')
      .filter(
        (line) => line.startsWith('credrot_credential_status{') && line.includes('name="old"'),
      );
    expect(statusLines).toHaveLength(6);
    expect(statusLines.filter((line) => line.endsWith(' 1'))).toEqual([
      'credrot_credential_status{kind="certificate",name="old",location="certs/old.pem",status="expired"} 1',
    ]);
  });
  it('declares HELP and TYPE for every family and ends with a newline', () => {
    const families = text.split('\n').filter((line) => line.startsWith('# TYPE ')).length;
    expect(text.split('\n').filter((line) => line.startsWith('# HELP ')).length).toBe(families);
    expect(text.endsWith('\n')).toBe(true);
  });
  it('escapes backslash, double quote and newline in label values', () => {
    expect(escapeLabelValue('C:\\certs\\"a"\nb')).toBe('C:\\\\certs\\\\\\"a\\"\\nb');
    const odd = finding({ name: 'odd', status: 'ok', location: 'a"b\\c', notAfter: NOW });
    expect(formatPrometheus([odd])).toContain('location="a\\"b\\\\c"');
  });
});
