/**
 * EventBridge Scheduler → scan for due credentials and enqueue one SQS job each.
 * A thrown error makes the scheduler retry (and finally dead-letter) the invocation.
 */
import { scan } from '../../shared/check/scan.js';
import { type ScheduledScanResult, scheduledScan } from '../../shared/jobs/scheduled.js';
import { runtime } from '../lib/runtime.js';

export async function handler(_event: unknown): Promise<ScheduledScanResult> {
  const rt = await runtime('aws', 'scheduledScan');
  return scheduledScan({
    config: rt.config,
    connections: rt.connections,
    queue: await rt.queue(),
    now: rt.now,
    log: rt.log,
    metrics: rt.metrics,
    notify: await rt.notify(),
    findings: (now) => scan(rt.config, { now }),
    discovered: async (now) => {
      if (rt.config.discovery.length === 0) return [];
      const { checkDiscovery } = await import('../../shared/check/discovery.js');
      return checkDiscovery(rt.config, rt.connections, { now });
    },
  });
}
