/**
 * One run of the schedule: scan, enqueue one job per due credential, and notice the
 * credentials that are critical and cannot be rotated, and the instance's tokens near
 * expiry that no credential rotates (discovery). Throws only when the jobs could
 * not be enqueued, so the scheduler's retry policy (and its dead-letter queue) applies.
 */
import type { Finding } from '../check/finding.js';
import type { Connections } from '../config/connections.js';
import type { Config } from '../config/load.js';
import type { Log } from '../metrics/log.js';
import { METRIC, type MetricSink } from '../metrics/metrics.js';
import { type NotifyDeps, notify } from '../notify/notice.js';
import { attentionNotices } from './attention.js';
import type { JobQueue } from './job.js';
import { scanDue } from './scan.js';

export interface ScheduledScanDeps {
  config: Config;
  connections: Connections;
  queue: JobQueue;
  now: () => Date;
  log: Log;
  metrics?: MetricSink;
  notify?: NotifyDeps;
  /** Findings of the configured watchers (`credrot check`'s scan); none when omitted. */
  findings?: (now: Date) => Promise<Finding[]>;
  /** Findings of the configured discovery (`credrot check`'s); none when omitted. */
  discovered?: (now: Date) => Promise<Finding[]>;
}

export interface ScheduledScanResult {
  enqueued: string[];
  planned: number;
  blocked: string[];
  noticesSent: number;
}

export async function scheduledScan(deps: ScheduledScanDeps): Promise<ScheduledScanResult> {
  const now = deps.now();
  const { jobs, entries } = await scanDue(deps.config, deps.connections, now);
  await deps.queue.enqueue(jobs);
  const enqueued = jobs.map((j) => j.credential);
  const blocked = entries.filter((e) => e.action === 'blocked').map((e) => e.credential);
  deps.metrics?.put(METRIC.jobsEnqueued, jobs.length, 'Count', { trigger: 'schedule' });
  for (const e of entries) {
    if (e.current)
      deps.metrics?.put(
        METRIC.expiresAt,
        Math.floor(Date.parse(e.current.expiresAt) / 1000),
        'Seconds',
        { credential: e.credential },
      );
  }
  deps.log.info('scheduled scan', { enqueued, blocked, planned: entries.length });

  let noticesSent = 0;
  if (deps.notify) {
    const [findings, discovered] = await Promise.all([
      deps.findings ? deps.findings(now).catch(() => []) : [],
      deps.discovered ? deps.discovered(now).catch(() => []) : [],
    ]);
    for (const notice of attentionNotices(deps.config, entries, findings, now, discovered))
      if ((await notify(notice, deps.notify)) === 'sent') noticesSent += 1;
  }
  return { enqueued, planned: entries.length, blocked, noticesSent };
}
