/**
 * Notices to people: a rotation failed, a credential is in its critical window and
 * credrot cannot rotate it, or a discovery of the instance's tokens failed. At most one notice per credential per UTC day, remembered in a
 * `NoticeLog` (durably on the credential's primary store, see notice-log.ts). A notice
 * never carries a secret value: the text comes from credrot's own safe messages, and only
 * fingerprints identify values.
 */
import type { Log } from '../metrics/log.js';
import { METRIC, type MetricSink } from '../metrics/metrics.js';

export type NoticeKind = 'rotation-failed' | 'critical-unrotatable' | 'discovery-failed';

export interface Notice {
  credential: string;
  kind: NoticeKind;
  /** One line: what happened. */
  summary: string;
  /** What to do about it, and the safe error text. */
  detail: string;
  /** ISO-8601 instant of the event. */
  at: string;
}

/** Delivers a notice somewhere people look (Slack, a JSON endpoint, a GitLab issue). */
export interface Notifier {
  readonly label: string;
  send(notice: Notice): Promise<void>;
}

/** Remembers the UTC day a credential was last noticed, so that a day gets one notice. */
export interface NoticeLog {
  /** The `YYYY-MM-DD` of the last notice for this credential, if any. */
  lastNoticed(credential: string): Promise<string | undefined>;
  /** Records that a notice went out on `day`. */
  record(credential: string, day: string): Promise<void>;
}

export interface NotifyDeps {
  notifiers: readonly Notifier[];
  /** The log that remembers notices of this credential (its primary store, see build.ts). */
  noticeLog(credential: string): Promise<NoticeLog>;
  log: Log;
  metrics?: MetricSink;
}

export type NotifyResult = 'sent' | 'already-noticed-today' | 'no-notifiers' | 'failed';

/**
 * Sends `notice` to every notifier unless the credential was already noticed today (UTC).
 * The day is recorded only when at least one notifier accepted the notice, so a receiver
 * that is down does not swallow the day's notice. Never throws: notification is best effort
 * and must not turn a rotation outcome into a different one.
 */
export async function notify(notice: Notice, deps: NotifyDeps): Promise<NotifyResult> {
  if (deps.notifiers.length === 0) return 'no-notifiers';
  const day = notice.at.slice(0, 10);
  let noticeLog: NoticeLog | undefined;
  try {
    noticeLog = await deps.noticeLog(notice.credential);
    if ((await noticeLog.lastNoticed(notice.credential)) === day) {
      deps.log.info('notice already sent today', { credential: notice.credential, day });
      return 'already-noticed-today';
    }
  } catch (err) {
    // Unknown whether one went out today: better a second notice than none.
    deps.log.warn('cannot read when the credential was last noticed', {
      credential: notice.credential,
      error: err instanceof Error ? err.name : 'Error',
    });
  }
  const results = await Promise.allSettled(deps.notifiers.map((n) => n.send(notice)));
  let delivered = 0;
  results.forEach((r, i) => {
    const label = deps.notifiers[i]!.label;
    if (r.status === 'fulfilled') delivered += 1;
    else
      deps.log.error('notifier failed', {
        credential: notice.credential,
        notifier: label,
        error: r.reason instanceof Error ? r.reason.message : 'unknown error',
      });
  });
  if (delivered === 0) return 'failed';
  deps.metrics?.put(METRIC.notices, delivered, 'Count', { kind: notice.kind });
  try {
    await (noticeLog ?? (await deps.noticeLog(notice.credential))).record(notice.credential, day);
  } catch (err) {
    deps.log.warn('notice sent but the day could not be recorded', {
      credential: notice.credential,
      error: err instanceof Error ? err.name : 'Error',
    });
  }
  return 'sent';
}
