/**
 * The three outputs of `credrot check`. None of them can contain a secret value: a
 * finding only holds subjects, fingerprints and dates.
 */
import { rfc3339 } from '../expiry/describe.js';
import { EXPIRY_STATUSES } from '../expiry/types.js';
import { formatRelative } from '../util/duration.js';
import { exitCodeFor, type Finding } from './finding.js';

export type OutputFormat = 'table' | 'json' | 'prometheus';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'prometheus'];

const HEADER = ['STATUS', 'NAME', 'KIND', 'LOCATION', 'EXPIRES (UTC)', 'RELATIVE', 'DUE'];

/**
 * Aligned columns (absolute UTC expiry and relative to `now`), then one detail line per
 * finding: subject, fingerprint and the sentence explaining the decision or the error.
 */
export function formatTable(findings: readonly Finding[], now: Date): string {
  if (findings.length === 0)
    return 'Nothing to check: no watchers configured, and no credentials (or --offline).\n';
  const rows = findings.map((finding) => [
    finding.status.toUpperCase(),
    finding.name,
    finding.kind,
    finding.location,
    finding.notAfter ? rfc3339(finding.notAfter) : '-',
    finding.notAfter ? formatRelative(finding.notAfter.getTime() - now.getTime()) : '-',
    dueCell(finding, now),
  ]);
  const widths = HEADER.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ');
  const details = findings.map((finding) =>
    finding.error !== undefined
      ? `  ${finding.name}: error: ${finding.error}`
      : `  ${finding.name}: ${finding.subject} [sha256:${finding.fingerprint}]: ${finding.note ?? ''}`,
  );
  return [
    line(HEADER),
    ...rows.map(line),
    '',
    `Details (as of ${rfc3339(now)}):`,
    ...details,
    '',
  ].join('\n');
}

function dueCell(finding: Finding, now: Date): string {
  if (finding.due) return 'yes';
  if (!finding.renewAt) return '-';
  return `no (${formatRelative(finding.renewAt.getTime() - now.getTime())})`;
}

/** Machine output: dates as RFC 3339 strings, plus the exit code and per-status counts. */
export function formatJson(findings: readonly Finding[], now: Date): string {
  const summary = Object.fromEntries(EXPIRY_STATUSES.map((status) => [status, 0]));
  for (const finding of findings) summary[finding.status] = (summary[finding.status] ?? 0) + 1;
  const body = {
    now: rfc3339(now),
    exitCode: exitCodeFor(findings),
    summary,
    findings: findings.map((finding) => ({
      ...finding,
      notBefore: finding.notBefore?.toISOString(),
      notAfter: finding.notAfter?.toISOString(),
      renewAt: finding.renewAt?.toISOString(),
    })),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/**
 * Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). Like
 * x509-certificate-exporter, timestamps are absolute (seconds since the epoch) so alert
 * rules compute `… - time()` themselves and a stale scrape never lies about time left.
 * The status is one 0/1 gauge per possible status (kube-state-metrics' style), so a rule
 * can match `credrot_credential_status{status="expired"} == 1` without `absent()`.
 */
export function formatPrometheus(findings: readonly Finding[]): string {
  const out: string[] = [];
  const family = (name: string, help: string, samples: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...samples);
  };
  const labels = (finding: Finding, extra: Record<string, string> = {}) =>
    `{${Object.entries({
      kind: finding.kind,
      name: finding.name,
      location: finding.location,
      ...extra,
    })
      .map(([key, value]) => `${key}="${escapeLabelValue(value)}"`)
      .join(',')}}`;
  const timestamps = (metric: string, pick: (finding: Finding) => Date | undefined) =>
    findings.flatMap((finding) => {
      const date = pick(finding);
      return date ? [`${metric}${labels(finding)} ${date.getTime() / 1_000}`] : [];
    });

  family(
    'credrot_credential_expiry_timestamp_seconds',
    'Time at which the credential expires (notAfter), in seconds since the Unix epoch.',
    timestamps('credrot_credential_expiry_timestamp_seconds', (finding) => finding.notAfter),
  );
  family(
    'credrot_credential_not_before_timestamp_seconds',
    'Time from which the credential is valid (notBefore), in seconds since the Unix epoch.',
    timestamps('credrot_credential_not_before_timestamp_seconds', (finding) => finding.notBefore),
  );
  family(
    'credrot_credential_renewal_timestamp_seconds',
    'Time at which the credential is due for rotation, in seconds since the Unix epoch.',
    timestamps('credrot_credential_renewal_timestamp_seconds', (finding) => finding.renewAt),
  );
  family(
    'credrot_credential_status',
    'Status of the credential: 1 for its current status, 0 for the others.',
    findings.flatMap((finding) =>
      EXPIRY_STATUSES.map(
        (status) =>
          `credrot_credential_status${labels(finding, { status })} ${finding.status === status ? 1 : 0}`,
      ),
    ),
  );
  family(
    'credrot_credential_due',
    'Whether the credential is due for rotation (1) or not (0).',
    findings.map((finding) => `credrot_credential_due${labels(finding)} ${finding.due ? 1 : 0}`),
  );
  family(
    'credrot_credential_read_error',
    'Whether the credential could not be read or parsed (1) or could (0).',
    findings.map(
      (finding) =>
        `credrot_credential_read_error${labels(finding)} ${finding.error === undefined ? 0 : 1}`,
    ),
  );
  return `${out.join('\n')}\n`;
}

/** Label values escape backslash, double quote and line feed (exposition format). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
