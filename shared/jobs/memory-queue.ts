/**
 * An in-memory job queue for tests and `credrot invoke`: it keeps what was enqueued and
 * drops a job whose dedupe key it already holds, as an SQS FIFO queue does within its
 * five-minute deduplication interval.
 */
import type { JobQueue, RotationJob } from './job.js';

export class MemoryJobQueue implements JobQueue {
  readonly label = 'memory';
  /** Every job accepted, in order. */
  readonly jobs: RotationJob[] = [];
  private readonly keys = new Set<string>();

  async enqueue(jobs: readonly RotationJob[]): Promise<void> {
    for (const job of jobs) {
      if (this.keys.has(job.dedupeKey)) continue;
      this.keys.add(job.dedupeKey);
      this.jobs.push(job);
    }
  }

  /** Removes and answers every job accepted so far. */
  take(): RotationJob[] {
    return this.jobs.splice(0, this.jobs.length);
  }
}
