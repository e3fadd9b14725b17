/**
 * SQS (FIFO) batch → one rotation per message, answering the failed ones in
 * `batchItemFailures` so only they return to the queue (and, after maxReceiveCount, to
 * the dead-letter queue). In a FIFO batch, once a message fails the rest are returned
 * unprocessed, so a credential's jobs never run out of order.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { runJob } from '../../shared/jobs/worker.js';
import { runtime } from '../lib/runtime.js';

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const rt = await runtime('aws', 'rotationWorker');
  const deps = await rt.worker();
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    if (batchItemFailures.length > 0) {
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const result = await runJob(record.body, deps);
    if (result.disposition === 'retry')
      batchItemFailures.push({ itemIdentifier: record.messageId });
  }
  return { batchItemFailures };
}
