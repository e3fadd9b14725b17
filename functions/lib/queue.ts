/**
 * Builds the configured job queue on the function's connections. Only the configured
 * queue's SDK is loaded (SQS on AWS, Pub/Sub and google-gax on GCP), when first built.
 */
import type { SQSClientConfig } from '@aws-sdk/client-sqs';
import type { Connections } from '../../shared/config/connections.js';
import type { Config } from '../../shared/config/load.js';
import { ConfigError } from '../../shared/errors.js';
import type { JobQueue } from '../../shared/jobs/job.js';
import { cjsExports } from '../../shared/util/cjs.js';

export async function buildQueue(config: Config, connections: Connections): Promise<JobQueue> {
  const spec = config.queue;
  if (!spec)
    throw new ConfigError(
      'the configuration has no queue: add queue: { type: sqs, url: <JobsQueueUrl> } (AWS) or { type: pubsub, project, topic } (GCP)',
    );
  if (spec.type === 'sqs') {
    const [{ SQSClient }, { SqsJobQueue }] = await Promise.all([
      import('@aws-sdk/client-sqs'),
      import('../../shared/jobs/sqs-queue.js'),
    ]);
    const name = spec.connection ?? '';
    const aws = config.connections.aws[name];
    const options: SQSClientConfig = { region: aws?.region ?? 'us-east-1' };
    // A custom endpoint (a sandbox) serves the queue at the queue URL's origin.
    if (aws?.endpoint) options.endpoint = new URL(spec.url).origin;
    if (aws?.accessKeyId && aws.secretAccessKey)
      options.credentials = {
        accessKeyId: await connections.resolve(
          aws.accessKeyId,
          `connections.aws.${name}.accessKeyId`,
        ),
        secretAccessKey: await connections.resolve(
          aws.secretAccessKey,
          `connections.aws.${name}.secretAccessKey`,
        ),
      };
    return new SqsJobQueue(new SQSClient(options), spec.url);
  }
  const [pubsubSdk, { PubSubJobQueue }] = await Promise.all([
    import('@google-cloud/pubsub'),
    import('../../shared/jobs/pubsub-queue.js'),
  ]);
  const { PubSub } = cjsExports(pubsubSdk);
  // An endpoint is a sandbox: plaintext, and a fixed universe domain so that the client
  // never looks for Google credentials (or probes the metadata server).
  const pubsub = spec.endpoint
    ? new PubSub({
        projectId: spec.project,
        apiEndpoint: spec.endpoint,
        emulatorMode: true,
        sslCreds: cjsExports(await import('google-gax')).grpc.credentials.createInsecure(),
        universeDomain: 'googleapis.com',
      })
    : new PubSub({ projectId: spec.project });
  return new PubSubJobQueue(pubsub.topic(spec.topic));
}
