/**
 * EventBridge Scheduler → scan for due credentials and enqueue one SQS job each.
 * A thrown error makes the scheduler retry (and finally dead-letter) the invocation.
 */
import { type ScheduledScanResult, scheduledScan } from '../../shared/jobs/scheduled.js';
import { runtime } from '../lib/runtime.js';

export async function handler(_event: unknown): Promise<ScheduledScanResult> {
  const rt = await runtime('aws', 'scheduledScan');
  return scheduledScan(await rt.scheduledScan());
}
