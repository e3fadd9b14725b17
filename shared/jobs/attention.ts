/**
 * What the scheduled scan tells people about: credentials in their critical window that
 * credrot cannot rotate. Two kinds: a configured credential whose rotation is blocked
 * (its plan says it would fail before changing anything) while its current value expires
 * within the critical threshold, and a watcher (certificate, JWT, registry login, ...)
 * whose finding is critical or expired, which credrot only watches. And from discovery
 * (shared/check/discovery.ts): a token of the instance that no credential rotates, in its
 * critical window, one notice per token; or a discovery that failed, so that a revoked
 * administrator token does not silence it for good.
 */
import type { Finding } from '../check/finding.js';
import type { Config } from '../config/load.js';
import type { Notice } from '../notify/notice.js';
import type { PlanEntry } from '../rotation/plan.js';

/**
 * Notices for blocked credentials near expiry, for critical or expired watchers, and for
 * the critical or expired tokens (or the failures) of discovery.
 */
export function attentionNotices(
  config: Config,
  entries: readonly PlanEntry[],
  findings: readonly Finding[],
  now: Date,
  discovered: readonly Finding[] = [],
): Notice[] {
  const at = now.toISOString();
  const critical = config.defaults.thresholds.criticalMs;
  const notices: Notice[] = [];
  for (const e of entries) {
    if (e.action !== 'blocked' || !e.current) continue;
    const remaining = Date.parse(e.current.expiresAt) - now.getTime();
    if (remaining > critical) continue;
    notices.push({
      credential: e.credential,
      kind: 'critical-unrotatable',
      summary: `${e.credential} (value ${e.current.fingerprint}) expires ${e.current.expiresAt} and its rotation is blocked.`,
      detail: `${e.problems.join('; ') || e.why}\nFix the problem, then run \`credrot rotate ${e.credential}\`.`,
      at,
    });
  }
  for (const f of findings) {
    if (f.status !== 'critical' && f.status !== 'expired') continue;
    notices.push({
      credential: f.name,
      kind: 'critical-unrotatable',
      summary: `${f.name} (${f.kind} at ${f.location}) is ${f.status}${f.notAfter ? `: not valid after ${f.notAfter.toISOString()}` : ''}.`,
      detail: `credrot watches this ${f.kind} but does not rotate it: renew it by hand. Run \`credrot check\` for details.`,
      at,
    });
  }
  for (const f of discovered) {
    if (f.status === 'unknown' && f.error) {
      notices.push({
        credential: f.name,
        kind: 'discovery-failed',
        summary: `discovery ${f.name} could not list the tokens of ${f.location}.`,
        detail: `${f.error}\nUntil it works, tokens nobody rotates expire unannounced. Run \`credrot check\` to try it.`,
        at,
      });
      continue;
    }
    if (f.status !== 'critical' && f.status !== 'expired') continue;
    // One notice per token (the subject names it by id), remembered per function instance.
    notices.push({
      credential: `${f.name}: ${f.subject}`,
      kind: 'critical-unrotatable',
      summary: `${f.kind} ${f.subject} at ${f.location} is ${f.status}${f.notAfter ? `: not valid after ${f.notAfter.toISOString()}` : ''}, and no credential of the configuration rotates it.`,
      detail: `${f.note ?? ''}\nRenew it in GitLab, or add a credential for it to the configuration so that credrot rotates it.`,
      at,
    });
  }
  return notices;
}
