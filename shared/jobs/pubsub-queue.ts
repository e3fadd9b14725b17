/**
 * Jobs on a Pub/Sub topic: one message per job, the job as JSON data, the credential and
 * dedupe key as attributes (so a subscription filter or a log can select them without
 * parsing). Pub/Sub has no publish-side de-duplication: on GCP a repeated job is made
 * harmless by the rotation itself (the per-credential lease lets one run act, and a run
 * after a completed rotation finds the credential not due and changes nothing).
 *
 * https://cloud.google.com/pubsub/docs/publisher
 */
import type { Topic } from '@google-cloud/pubsub';
import { ProviderError } from '../errors.js';
import { encodeJob, type JobQueue, type RotationJob } from './job.js';

export class PubSubJobQueue implements JobQueue {
  readonly label: string;

  constructor(private readonly topic: Topic) {
    this.label = `pubsub ${topic.name}`;
  }

  async enqueue(jobs: readonly RotationJob[]): Promise<void> {
    const results = await Promise.allSettled(
      jobs.map((job) =>
        this.topic.publishMessage({
          data: Buffer.from(encodeJob(job), 'utf8'),
          attributes: { credential: job.credential, dedupeKey: job.dedupeKey },
        }),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      const first = failed[0] as PromiseRejectedResult;
      throw new ProviderError(
        `Pub/Sub refused ${failed.length} of ${jobs.length} rotation job(s) on ${this.topic.name}; the trigger should be retried. Check the topic and the publisher's roles/pubsub.publisher.`,
        { cause: first.reason, retryable: true, context: { topic: this.topic.name } },
      );
    }
  }
}
