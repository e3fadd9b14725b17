/**
 * Jobs on an SQS FIFO queue. MessageGroupId is the credential, so jobs for one credential
 * are delivered one at a time and in order while different credentials run in parallel;
 * MessageDeduplicationId is the job's dedupe key, so SQS drops a second identical job
 * within its five-minute deduplication interval even when it comes from another Lambda
 * instance (the durable layer under the webhooks' in-memory de-duplication).
 *
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ProviderError } from '../errors.js';
import { encodeJob, type JobQueue, type RotationJob } from './job.js';

/** SendMessageBatch takes at most 10 entries. */
const BATCH = 10;

export class SqsJobQueue implements JobQueue {
  readonly label: string;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {
    this.label = `sqs ${queueUrl}`;
  }

  async enqueue(jobs: readonly RotationJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += BATCH) {
      const slice = jobs.slice(i, i + BATCH);
      let failed: number;
      try {
        const out = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: slice.map((job, n) => ({
              Id: String(n),
              MessageBody: encodeJob(job),
              MessageGroupId: job.credential,
              MessageDeduplicationId: job.dedupeKey,
            })),
          }),
        );
        failed = out.Failed?.length ?? 0;
      } catch (err) {
        const name = err instanceof Error ? err.name : 'Error';
        throw new ProviderError(
          `SQS SendMessageBatch to ${this.queueUrl} failed (${name}); the trigger should be retried. Check the queue URL and the function's sqs:SendMessage permission.`,
          { cause: err, retryable: true, context: { queue: this.queueUrl } },
        );
      }
      if (failed > 0) {
        throw new ProviderError(
          `SQS refused ${failed} of ${slice.length} rotation job(s) on ${this.queueUrl}; the trigger should be retried.`,
          { retryable: true, context: { queue: this.queueUrl } },
        );
      }
    }
  }
}
