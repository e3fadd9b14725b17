import type { CloudEvent } from '@google-cloud/functions-framework';
import { getFunction } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../functions/gcp/index.js';
import type { PubSubEventData } from '../../functions/gcp/index.js';
import { configureRuntime } from '../../functions/lib/runtime.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { encodeJob } from '../../shared/jobs/job.js';
import { type FunctionsWorld, seedFunctionsWorld } from '../support/functions-world.js';

let sandbox: Sandbox;
let fw: FunctionsWorld;

type EventFn = (event: CloudEvent<PubSubEventData>) => Promise<void>;
const fn = (name: string) => getFunction(name) as unknown as EventFn;

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false });
  fw = await seedFunctionsWorld(sandbox);
});

afterAll(async () => {
  configureRuntime();
  await sandbox?.close();
});

/** A Pub/Sub message as the CloudEvent a gen2 function receives. */
function pubsubEvent(message: {
  data: string;
  attributes: Record<string, string>;
  messageId: string;
  publishTime: string;
  topic?: string;
}): CloudEvent<PubSubEventData> {
  return {
    specversion: '1.0',
    id: message.messageId,
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    source: `//pubsub.googleapis.com/${message.topic ?? 'projects/credrot-sandbox/topics/jobs'}`,
    time: message.publishTime,
    datacontenttype: 'application/json',
    data: {
      message: {
        data: message.data,
        attributes: message.attributes,
        messageId: message.messageId,
        publishTime: message.publishTime,
      },
      subscription: 'projects/credrot-sandbox/subscriptions/credrot-functions',
    },
  };
}

describe('GCP functions (functions-framework)', () => {
  it('registers every entry point under the names infra/ deploys', () => {
    for (const name of [
      'gitlabWebhook',
      'githubWebhook',
      'scheduledScan',
      'rotationWorker',
      'secretRotate',
    ])
      expect(getFunction(name), name).toBeTypeOf('function');
  });

  it("turns Secret Manager's SECRET_ROTATE for a credential's store into one rotation job, and the worker rotates it", async () => {
    const project = sandbox.endpoints.gcp.project;
    const name = `projects/${project}/secrets/platform-ci`;
    const now = sandbox.gitlab.now();
    await fw.world.gcp.updateSecret({
      secret: {
        name,
        topics: [{ name: `projects/${project}/topics/secret-events` }],
        rotation: {
          nextRotationTime: { seconds: Math.floor(now.getTime() / 1000) + 600 },
          rotationPeriod: { seconds: 30 * 86_400 },
        },
      },
      updateMask: { paths: ['topics', 'rotation'] },
    });
    sandbox.gcp.setNow(new Date(now.getTime() + 700_000));
    await sandbox.gcp.tick();
    const rotate = sandbox.gcp.notifications.filter(
      (m) => m.attributes['eventType'] === 'SECRET_ROTATE',
    );
    expect(rotate).toHaveLength(1);
    const event = pubsubEvent(rotate[0]!);

    await fn('secretRotate')(event);
    // Pub/Sub delivers at least once: the same message again is the same job.
    await fn('secretRotate')(event);
    const jobs = fw.queue.take();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      credential: 'platform-ci',
      trigger: 'gcp-rotation',
      force: true,
    });

    const before = fw.world.before.groupToken;
    await fn('rotationWorker')(
      pubsubEvent({
        data: Buffer.from(encodeJob(jobs[0]!)).toString('base64'),
        attributes: { credential: 'platform-ci' },
        messageId: 'job-1',
        publishTime: new Date().toISOString(),
      }),
    );
    const [current] = await fw.world.gcp.accessSecretVersion({ name: `${name}/versions/current` });
    const token = (JSON.parse(Buffer.from(current.payload!.data!).toString()) as { token: string })
      .token;
    expect(token).not.toBe(before);
    expect(sandbox.gitlab.tokenState(token)).toBe('active');
    expect(fw.logText()).not.toContain(token);
  });

  it('ignores notifications that are not SECRET_ROTATE or not about a configured store', async () => {
    const base = { data: '', messageId: 'm', publishTime: new Date().toISOString() };
    await fn('secretRotate')(
      pubsubEvent({ ...base, attributes: { eventType: 'SECRET_UPDATE', secretId: 'x' } }),
    );
    await fn('secretRotate')(
      pubsubEvent({
        ...base,
        attributes: {
          eventType: 'SECRET_ROTATE',
          secretId: 'projects/credrot-sandbox/secrets/other',
        },
      }),
    );
    expect(fw.queue.jobs).toEqual([]);
  });

  it('makes Pub/Sub redeliver a job whose rotation failed, and acknowledges an unknown one', async () => {
    sandbox.gitlab.faults.addRule({
      operation: 'gitlab.createProjectToken',
      action: { type: 'status', status: 500 },
    });
    const now = new Date().toISOString();
    const job = (credential: string) =>
      pubsubEvent({
        data: Buffer.from(
          encodeJob({
            credential,
            trigger: 'cli',
            reason: 'manual',
            force: true,
            dedupeKey: `test:${credential}`,
            requestedAt: now,
          }),
        ).toString('base64'),
        attributes: {},
        messageId: `job-${credential}`,
        publishTime: now,
      });
    await expect(fn('rotationWorker')(job('app-ci'))).rejects.toThrow(/Pub\/Sub redelivers/);
    await expect(fn('rotationWorker')(job('gone'))).resolves.toBeUndefined();
    sandbox.gitlab.faults.clear();
  });
});
