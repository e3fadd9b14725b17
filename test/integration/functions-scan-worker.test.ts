import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as rotationWorker } from '../../functions/aws/rotation-worker.js';
import { handler as scheduledScan } from '../../functions/aws/scheduled-scan.js';
import { configureRuntime } from '../../functions/lib/runtime.js';
import type { RunningServer } from '../../sandbox/http.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { dedupeKey, makeJob } from '../../shared/jobs/job.js';
import {
  type FunctionsWorld,
  seedFunctionsWorld,
  sqsEvent,
  startNoticeReceiver,
} from '../support/functions-world.js';

let sandbox: Sandbox;
let fw: FunctionsWorld;
let sqs: SQSClient;
let queueUrl: string;
let receiver: RunningServer & { endpoint: string; received: Array<Record<string, unknown>> };

beforeAll(async () => {
  // The registry deploy token is verified against the real registry.
  sandbox = await startSandbox();
  const { region, accessKeyId, secretAccessKey } = sandbox.endpoints.aws;
  sqs = new SQSClient({
    region,
    endpoint: sandbox.endpoints.sqs.endpoint,
    credentials: { accessKeyId, secretAccessKey },
  });
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'credrot-test-jobs.fifo',
      Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false' },
    }),
  );
  queueUrl = created.QueueUrl!;
  receiver = await startNoticeReceiver();
  fw = await seedFunctionsWorld(sandbox, {
    queue: 'config',
    extraConfig: `queue: { type: sqs, url: ${queueUrl} }
notifications:
  notifiers:
    - { type: webhook, url: { env: NOTICE_URL } }
`,
    extraEnv: { NOTICE_URL: receiver.endpoint },
  });
});

afterAll(async () => {
  configureRuntime();
  await receiver?.close();
  await sandbox?.close();
});

/** Receives up to 10 messages and shapes them as Lambda's SQS event source would. */
async function receive(): Promise<SQSEvent> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['All'],
      WaitTimeSeconds: 0,
    }),
  );
  const records = (out.Messages ?? []).map((m) => ({
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body!,
    attributes: m.Attributes ?? {},
  }));
  return { Records: records } as unknown as SQSEvent;
}

describe('scheduled scan → SQS FIFO → rotation worker', () => {
  it('enqueues exactly the due credentials, one message group each, once per slot', async () => {
    const first = await scheduledScan({ source: 'credrot.schedule' });
    expect(first.enqueued.sort()).toEqual(['app-ci', 'app-registry']);
    // A second run in the same slot sends the same deduplication ids: SQS drops them.
    await scheduledScan({ source: 'credrot.schedule' });
    const messages = sandbox.sqs.messages('credrot-test-jobs.fifo');
    expect(messages.map((m) => m.groupId).sort()).toEqual(['app-ci', 'app-registry']);
    for (const m of messages) {
      const job = JSON.parse(m.body) as { dedupeKey: string; trigger: string };
      expect(m.dedupId).toBe(job.dedupeKey);
      expect(job.trigger).toBe('schedule');
    }
  });

  it('rotates each job and reports no failure; a second scan finds nothing due', async () => {
    const event = await receive();
    expect(event.Records).toHaveLength(2);
    const before = fw.world.before.appToken;
    const out = await rotationWorker(event);
    expect(out.batchItemFailures).toEqual([]);
    const now = sandbox.gitlab.variables.read(
      'project',
      fw.world.projectId,
      'APP_TOKEN',
      '*',
    )?.value;
    expect(now).not.toBe(before);
    for (const r of event.Records)
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: r.receiptHandle }),
      );
    const rotations = (fw.metrics.points ?? []).filter((p) => p.name === 'Rotations');
    expect(rotations.map((p) => p.dimensions['result']).sort()).toEqual(['rotated', 'rotated']);
    const again = await scheduledScan({});
    expect(again.enqueued).toEqual([]);
  });

  it('drops a job for an unknown credential and a message that is not a job, and retries a failed rotation', async () => {
    const now = new Date();
    const job = (credential: string) =>
      makeJob({
        credential,
        trigger: 'cli',
        reason: 'manual',
        force: true,
        dedupeKey: dedupeKey('test', credential, now.toISOString()),
        now,
      });
    sandbox.gitlab.faults.addRule({
      operation: 'gitlab.createProjectToken',
      action: { type: 'status', status: 500 },
      times: 2,
    });
    const out = await rotationWorker(
      sqsEvent([job('no-such-credential'), 'not json', job('app-ci'), job('platform-ci')]),
    );
    // app-ci failed: it returns, and so does the message after it (FIFO order is kept).
    expect(out.batchItemFailures).toEqual([
      { itemIdentifier: 'msg-3' },
      { itemIdentifier: 'msg-4' },
    ]);
    const dropped = fw.log.entries.filter((e) => /dropping/.test(e.message));
    expect(dropped.map((e) => e.message)).toEqual([
      'dropping a job for an unknown credential',
      'dropping a message that is not a rotation job',
    ]);
  });

  it('sends one notice for a failing credential per day, remembered on its primary store', async () => {
    // The failure above sent the day's notice; a second failure today sends none.
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]).toMatchObject({
      source: 'credrot',
      credential: 'app-ci',
      kind: 'rotation-failed',
    });
    const now = new Date();
    const out = await rotationWorker(
      sqsEvent([
        makeJob({
          credential: 'app-ci',
          trigger: 'cli',
          reason: 'manual',
          force: true,
          dedupeKey: dedupeKey('test', 'again'),
          now,
        }),
      ]),
    );
    expect(out.batchItemFailures).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
    const tags = (
      await fw.world.aws.send(new DescribeSecretCommand({ SecretId: 'credrot/app-ci' }))
    ).Tags;
    expect(tags).toContainEqual({
      Key: 'credrot:noticed-on',
      Value: now.toISOString().slice(0, 10),
    });
    const text = JSON.stringify(receiver.received);
    expect(text).not.toContain(fw.world.before.appToken);
  });
});
