import { PubSub } from '@google-cloud/pubsub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledScanEvent } from '../../functions/gcp/index.js';
import { configureRuntime } from '../../functions/lib/runtime.js';
import { pubsubClientOptions } from '../../sandbox/gcp/pubsub/index.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { decodeJob } from '../../shared/jobs/job.js';
import { type FunctionsWorld, seedFunctionsWorld } from '../support/functions-world.js';

let sandbox: Sandbox;
let fw: FunctionsWorld;
const TOPIC = 'projects/credrot-sandbox/topics/credrot-jobs';

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false });
  await new PubSub(pubsubClientOptions(sandbox.pubsub)).createTopic('credrot-jobs');
  fw = await seedFunctionsWorld(sandbox, {
    queue: 'config',
    extraConfig: `queue: { type: pubsub, project: credrot-sandbox, topic: credrot-jobs, endpoint: "${sandbox.endpoints.pubsub.endpoint}" }\n`,
  });
});

afterAll(async () => {
  configureRuntime();
  await sandbox?.close();
});

describe('scheduled scan on GCP → Pub/Sub', () => {
  it('publishes one job per due credential to the configured topic, through the real client', async () => {
    await scheduledScanEvent({
      specversion: '1.0',
      id: '1',
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      source: '//pubsub.googleapis.com/projects/credrot-sandbox/topics/credrot-scan',
    });
    const published = sandbox.pubsub.published(TOPIC);
    const jobs = published.map((m) => decodeJob(m.data.toString('utf8')));
    expect(jobs.map((j) => j.credential).sort()).toEqual(['app-ci', 'app-registry']);
    for (const [i, m] of published.entries())
      expect(m.attributes).toEqual({
        credential: jobs[i]!.credential,
        dedupeKey: jobs[i]!.dedupeKey,
      });
    expect(fw.queue.jobs).toEqual([]);
  });
});
