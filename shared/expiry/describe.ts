/**
 * One sentence per decision, for tables and logs. Expired and not-yet-valid certificates
 * use the wording of Go's crypto/x509 (`x509: certificate has expired or is not yet
 * valid: current time … is after …`), the message people already search for when a
 * webhook or kubectl call fails.
 */
import { formatDuration, formatRelative } from '../util/duration.js';
import type { Evaluation } from './policy.js';
import type { CredentialKind, ExpiryWindow } from './types.js';

const NOUN: Record<CredentialKind, string> = {
  'x509-certificate': 'certificate',
  jwt: 'token',
  'docker-auth': 'registry credential',
  'gitlab-token': 'GitLab token',
  'aws-secret': 'secret rotation',
  'gcp-secret': 'secret',
};

/** RFC 3339 in UTC without milliseconds, as Go prints times in x509 errors. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A human sentence explaining `evaluation` of `window` as of `now`. Never contains a secret. */
export function describeEvaluation(
  window: ExpiryWindow,
  evaluation: Evaluation,
  now: Date,
): string {
  const noun = NOUN[window.kind];
  const { notBefore, notAfter } = window;
  switch (evaluation.status) {
    case 'unknown':
      return `no expiry information in this ${noun}`;
    case 'expired':
      if (window.kind === 'x509-certificate' && notAfter) {
        return `x509: certificate has expired or is not yet valid: current time ${rfc3339(now)} is after ${rfc3339(notAfter)}`;
      }
      return `${noun} has expired: current time ${rfc3339(now)} is after ${notAfter ? rfc3339(notAfter) : '?'}`;
    case 'not-yet-valid':
      if (window.kind === 'x509-certificate' && notBefore) {
        return `x509: certificate has expired or is not yet valid: current time ${rfc3339(now)} is before ${rfc3339(notBefore)}`;
      }
      return `${noun} is not yet valid: current time ${rfc3339(now)} is before ${notBefore ? rfc3339(notBefore) : '?'}`;
    default:
      return dueSentence(evaluation, now);
  }
}

function dueSentence(evaluation: Evaluation, now: Date): string {
  const { renewAt, renewalBasis } = evaluation;
  if (!renewAt) return 'valid';
  const when = formatRelative(renewAt.getTime() - now.getTime());
  if (!evaluation.due) return `renewal due ${when} (${rfc3339(renewAt)})`;
  const why =
    renewalBasis === 'renewBefore'
      ? 'less than renewBefore remains'
      : renewalBasis === 'lifetime-third'
        ? 'less than a third of its lifetime remains'
        : 'inside the warning threshold and its lifetime is unknown';
  const remaining =
    evaluation.remainingMs === undefined ? '' : `, ${formatDuration(evaluation.remainingMs)} left`;
  return `due for rotation since ${rfc3339(renewAt)}, ${when} (${why}${remaining})`;
}
