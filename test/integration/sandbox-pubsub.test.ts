/**
 * The Pub/Sub emulator, exercised through the real `@google-cloud/pubsub` client built
 * with `pubsubClientOptions`, including `subscription.on('message')` (StreamingPull).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Message, PubSub, type Subscription, v1 } from '@google-cloud/pubsub';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { GoogleAuth, grpc } from 'google-gax';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { clientOptions } from '../../sandbox/gcp/index.js';
import {
  type PubSubEmulator,
  pubsubClientOptions,
  startPubSubEmulator,
} from '../../sandbox/gcp/pubsub/index.js';
import { listen } from '../../sandbox/http.js';
import { startSandbox } from '../../sandbox/index.js';

const PROJECT = 'credrot-test';
const Status = grpc.status;

let clock = Date.parse('2025-03-01T12:00:00Z');
let emu: PubSubEmulator;
let pubsub: PubSub;
let raw: v1.SubscriberClient;
const open: Subscription[] = [];
let seq = 0;

function unique(prefix: string): string {
  seq += 1;
  return `${prefix}-${seq}`;
}

async function rpcError(p: Promise<unknown>): Promise<Error & { code: number; details?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code: number; details?: string };
  }
  throw new Error('expected the call to fail');
}

/** Polls `check` until it holds (or fails after `ms`). */
async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function topicWithSubscription(options: Record<string, unknown> = {}) {
  const [topic] = await pubsub.createTopic(unique('topic'));
  const [sub] = await topic.createSubscription(unique('sub'), options);
  return { topic, sub };
}

function listenTo(sub: Subscription, onMessage: (m: Message) => void): void {
  open.push(sub);
  sub.on('message', onMessage);
  sub.on('error', () => {});
}

beforeAll(async () => {
  emu = await startPubSubEmulator({ now: () => new Date(clock) });
  pubsub = new PubSub(pubsubClientOptions(emu, PROJECT));
  raw = new v1.SubscriberClient(
    (await pubsub.getClientConfig()) as ConstructorParameters<typeof v1.SubscriberClient>[0],
  );
});

afterAll(async () => {
  await raw.close();
  await pubsub.close();
  await emu.close();
});

beforeEach(() => {
  emu.faults.clear();
  emu.calls.length = 0;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('connecting', () => {
  it('serves the real client without it looking for Google credentials or a project', async () => {
    const getClient = vi.spyOn(GoogleAuth.prototype, 'getClient');
    const getProjectId = vi.spyOn(GoogleAuth.prototype, 'getProjectId');
    const fresh = new PubSub(pubsubClientOptions(emu, PROJECT));
    const [topic] = await fresh.createTopic(unique('auth'));
    await topic.publishMessage({ data: Buffer.from('x') });
    expect(getClient).not.toHaveBeenCalled();
    expect(getProjectId).not.toHaveBeenCalled();
    getClient.mockRestore();
    getProjectId.mockRestore();
    await fresh.close();
  });
});

describe('topics and subscriptions', () => {
  it('creates, gets, lists and deletes topics with Pub/Sub error codes', async () => {
    const name = unique('orders');
    const [topic] = await pubsub.createTopic(name);
    expect(topic.name).toBe(`projects/${PROJECT}/topics/${name}`);
    expect((await rpcError(pubsub.createTopic(name))).code).toBe(Status.ALREADY_EXISTS);
    const [exists] = await topic.exists();
    expect(exists).toBe(true);
    const [topics] = await pubsub.getTopics();
    expect(topics.map((t) => t.name)).toContain(topic.name);
    const [sub] = await topic.createSubscription(unique('orders-sub'));
    await topic.delete();
    const err = await rpcError(topic.get());
    expect(err.code).toBe(Status.NOT_FOUND);
    expect(err.details).toBe(`Resource not found (resource=${name}).`);
    const [meta] = await sub.getMetadata();
    expect(meta.topic).toBe('_deleted-topic_');
  });

  it('refuses invalid names, unknown topics and out-of-range settings', async () => {
    expect((await rpcError(pubsub.createTopic('goog-reserved'))).code).toBe(
      Status.INVALID_ARGUMENT,
    );
    const missing = pubsub.topic('never-created');
    expect((await rpcError(missing.createSubscription(unique('s')))).code).toBe(Status.NOT_FOUND);
    const [topic] = await pubsub.createTopic(unique('t'));
    expect(
      (await rpcError(topic.createSubscription(unique('s'), { ackDeadlineSeconds: 601 }))).code,
    ).toBe(Status.INVALID_ARGUMENT);
    const badDlq = topic.createSubscription(unique('s'), {
      deadLetterPolicy: { deadLetterTopic: topic.name, maxDeliveryAttempts: 3 },
    });
    expect((await rpcError(badDlq)).code).toBe(Status.INVALID_ARGUMENT);
  });

  it('echoes a subscription with its defaults', async () => {
    const { sub } = await topicWithSubscription();
    const [meta] = await sub.getMetadata();
    expect(meta).toMatchObject({
      ackDeadlineSeconds: 10,
      enableMessageOrdering: false,
      state: 'ACTIVE',
    });
  });
});

describe('publish and pull', () => {
  it('publishes with attributes and pulls the message with an ack id, once acknowledged', async () => {
    const { topic, sub } = await topicWithSubscription();
    const id = await topic.publishMessage({
      data: Buffer.from('rotate ci-token'),
      attributes: { kind: 'rotate' },
    });
    expect(id).toMatch(/^\d+$/);
    const [res] = await raw.pull({ subscription: sub.name, maxMessages: 10 });
    const got = res.receivedMessages ?? [];
    expect(got).toHaveLength(1);
    expect(Buffer.from(got[0]?.message?.data ?? '').toString()).toBe('rotate ci-token');
    expect(got[0]?.message?.attributes).toEqual({ kind: 'rotate' });
    expect(got[0]?.message?.messageId).toBe(id);
    expect(Number(got[0]?.message?.publishTime?.seconds) * 1000).toBe(clock);
    expect(got[0]?.deliveryAttempt).toBe(0);
    await raw.acknowledge({ subscription: sub.name, ackIds: [got[0]?.ackId ?? ''] });
    const [after] = await raw.pull({
      subscription: sub.name,
      maxMessages: 10,
      returnImmediately: true,
    });
    expect(after.receivedMessages ?? []).toHaveLength(0);
    expect(emu.published(topic.name).map((m) => m.messageId)).toEqual([id]);
  });

  it('redelivers after the ack deadline; a superseded ack id acknowledges nothing', async () => {
    const { topic, sub } = await topicWithSubscription({ ackDeadlineSeconds: 10 });
    await topic.publishMessage({ data: Buffer.from('job') });
    const [first] = await raw.pull({ subscription: sub.name, maxMessages: 1 });
    const firstAck = first.receivedMessages?.[0]?.ackId ?? '';
    const [none] = await raw.pull({
      subscription: sub.name,
      maxMessages: 1,
      returnImmediately: true,
    });
    expect(none.receivedMessages ?? []).toHaveLength(0);
    clock += 11_000;
    const [second] = await raw.pull({ subscription: sub.name, maxMessages: 1 });
    const again = second.receivedMessages?.[0];
    expect(again?.message?.messageId).toBe(first.receivedMessages?.[0]?.message?.messageId);
    expect(again?.ackId).not.toBe(firstAck);
    await raw.acknowledge({ subscription: sub.name, ackIds: [firstAck] });
    clock += 11_000;
    const [third] = await raw.pull({ subscription: sub.name, maxMessages: 1 });
    expect(third.receivedMessages ?? []).toHaveLength(1);
  });

  it('extends a lease with ModifyAckDeadline and nacks with 0', async () => {
    const { topic, sub } = await topicWithSubscription();
    await topic.publishMessage({ data: Buffer.from('job') });
    const [res] = await raw.pull({ subscription: sub.name, maxMessages: 1 });
    const ackId = res.receivedMessages?.[0]?.ackId ?? '';
    await raw.modifyAckDeadline({
      subscription: sub.name,
      ackIds: [ackId],
      ackDeadlineSeconds: 60,
    });
    clock += 30_000;
    const [held] = await raw.pull({
      subscription: sub.name,
      maxMessages: 1,
      returnImmediately: true,
    });
    expect(held.receivedMessages ?? []).toHaveLength(0);
    await raw.modifyAckDeadline({ subscription: sub.name, ackIds: [ackId], ackDeadlineSeconds: 0 });
    const [back] = await raw.pull({
      subscription: sub.name,
      maxMessages: 1,
      returnImmediately: true,
    });
    expect(back.receivedMessages ?? []).toHaveLength(1);
  });
});

describe('StreamingPull', () => {
  it('delivers to subscription.on("message") and takes the acks', async () => {
    const { topic, sub } = await topicWithSubscription();
    const bodies: string[] = [];
    listenTo(sub, (m) => {
      bodies.push(m.data.toString());
      m.ack();
    });
    for (const b of ['a', 'b', 'c']) await topic.publishMessage({ data: Buffer.from(b) });
    await until(() => bodies.length === 3);
    expect(bodies.sort()).toEqual(['a', 'b', 'c']);
    await until(() => emu.calls.some((c) => c.operation === 'pubsub.Acknowledge'));
    await open.splice(0)[0]?.close();
    const [left] = await raw.pull({
      subscription: sub.name,
      maxMessages: 10,
      returnImmediately: true,
    });
    expect(left.receivedMessages ?? []).toHaveLength(0);
    expect(emu.calls.some((c) => c.operation === 'pubsub.StreamingPull')).toBe(true);
  });

  it('keeps the publish order of an ordering key', async () => {
    const [created] = await pubsub.createTopic(unique('ordered'));
    const [sub] = await created.createSubscription(unique('ordered-sub'), {
      enableMessageOrdering: true,
    });
    const topic = pubsub.topic(created.name, { messageOrdering: true });
    const seen: string[] = [];
    listenTo(sub, (m) => {
      seen.push(m.data.toString());
      m.ack();
    });
    for (let i = 1; i <= 5; i++)
      await topic.publishMessage({ data: Buffer.from(`m${i}`), orderingKey: 'ci-token' });
    await until(() => seen.length === 5);
    expect(seen).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('dead-letters a message after max_delivery_attempts, reporting each attempt', async () => {
    const [dlTopic] = await pubsub.createTopic(unique('dead'));
    const [dlSub] = await dlTopic.createSubscription(unique('dead-sub'));
    const { topic, sub } = await topicWithSubscription({
      deadLetterPolicy: { deadLetterTopic: dlTopic.name, maxDeliveryAttempts: 5 },
    });
    const attempts: number[] = [];
    listenTo(sub, (m) => {
      attempts.push(m.deliveryAttempt);
      m.nack();
    });
    await topic.publishMessage({ data: Buffer.from('poison'), attributes: { job: 'rotate' } });
    const dead: Message[] = [];
    listenTo(dlSub, (m) => {
      dead.push(m);
      m.ack();
    });
    await until(() => dead.length === 1, 10_000);
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
    expect(dead[0]?.data.toString()).toBe('poison');
    expect(dead[0]?.attributes).toMatchObject({
      job: 'rotate',
      CloudPubSubDeadLetterSourceDeliveryCount: '5',
      CloudPubSubDeadLetterSourceSubscription: sub.name.split('/').pop(),
    });
  });
});

describe('push', () => {
  it('POSTs the wrapped message to a loopback endpoint, retrying until it answers 2xx', async () => {
    const bodies: Record<string, unknown>[] = [];
    const receiver = await listen((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
        res.statusCode = bodies.length === 1 ? 503 : 204;
        res.end();
      });
    });
    try {
      const [dl] = await pubsub.createTopic(unique('push-dead'));
      const { topic, sub } = await topicWithSubscription({
        pushConfig: { pushEndpoint: `${receiver.url}/pubsub/push` },
        deadLetterPolicy: { deadLetterTopic: dl.name, maxDeliveryAttempts: 5 },
      });
      const id = await topic.publishMessage({ data: Buffer.from('hello'), attributes: { a: '1' } });
      await until(() => emu.pushes.filter((p) => p.subscription === sub.name).length === 1);
      // The nack backs off (100 ms at first) on the emulator's clock, which this file drives.
      clock += 1_000;
      await until(() => emu.pushes.filter((p) => p.subscription === sub.name).length === 2);
      expect(emu.pushes.filter((p) => p.subscription === sub.name).map((p) => p.status)).toEqual([
        503, 204,
      ]);
      expect(bodies[1]).toMatchObject({
        message: {
          data: Buffer.from('hello').toString('base64'),
          attributes: { a: '1' },
          messageId: id,
        },
        subscription: sub.name,
        deliveryAttempt: 2,
      });
      const [left] = await raw.pull({
        subscription: sub.name,
        maxMessages: 1,
        returnImmediately: true,
      });
      expect(left.receivedMessages ?? []).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });
});

describe('Secret Manager notifications', () => {
  it('delivers a SECRET_ROTATE to a subscriber of the secret topic, as on GCP', async () => {
    const sandbox = await startSandbox({ registry: false });
    const ps = new PubSub(pubsubClientOptions(sandbox.pubsub, 'credrot-sandbox'));
    const sm = new SecretManagerServiceClient(clientOptions(sandbox.gcp));
    try {
      const [topic] = await ps.createTopic('secret-events');
      const [sub] = await topic.createSubscription('rotation-worker');
      const events: Message[] = [];
      listenTo(sub, (m) => {
        events.push(m);
        m.ack();
      });
      const start = Date.now();
      await sm.createSecret({
        parent: 'projects/credrot-sandbox',
        secretId: 'ci-token',
        secret: {
          replication: { automatic: {} },
          topics: [{ name: topic.name }],
          rotation: {
            nextRotationTime: { seconds: Math.floor(start / 1000) + 3600 },
            rotationPeriod: { seconds: 86_400 },
          },
        },
      });
      sandbox.gcp.setNow(new Date(start + 2 * 3600_000));
      await sandbox.gcp.tick();
      await until(() => events.some((m) => m.attributes['eventType'] === 'SECRET_ROTATE'));
      const rotate = events.find((m) => m.attributes['eventType'] === 'SECRET_ROTATE');
      expect(rotate?.attributes['secretId']).toBe('projects/credrot-sandbox/secrets/ci-token');
      expect(JSON.parse(rotate?.data.toString() ?? '{}')).toMatchObject({
        name: 'projects/credrot-sandbox/secrets/ci-token',
      });
      await open.splice(0)[0]?.close();
    } finally {
      await sm.close();
      await ps.close();
      await sandbox.close();
    }
  });
});

describe('faults', () => {
  it('lets the client retry Publish through an injected 429 and 503', async () => {
    const [topic] = await pubsub.createTopic(unique('retry'));
    emu.faults.addRule({
      operation: 'pubsub.Publish',
      nth: 1,
      action: { type: 'status', status: 429 },
    });
    emu.faults.addRule({
      operation: 'pubsub.Publish',
      nth: 2,
      action: { type: 'status', status: 503 },
    });
    await topic.publishMessage({ data: Buffer.from('x') });
    expect(emu.calls.filter((c) => c.operation === 'pubsub.Publish').map((c) => c.code)).toEqual([
      Status.RESOURCE_EXHAUSTED,
      Status.UNAVAILABLE,
      Status.OK,
    ]);
    expect(emu.published(topic.name)).toHaveLength(1);
  });

  it('answers an injected 500 on GetTopic as INTERNAL, changing nothing', async () => {
    const [topic] = await pubsub.createTopic(unique('internal'));
    emu.faults.addRule({
      operation: 'pubsub.GetTopic',
      nth: 1,
      action: { type: 'status', status: 500 },
    });
    expect((await rpcError(topic.get())).code).toBe(Status.INTERNAL);
  });

  it('hangs a call until the client deadline, without doing the work', async () => {
    const name = unique('hang');
    emu.faults.addRule({ operation: 'pubsub.CreateTopic', action: { type: 'hang', ms: 3_000 } });
    const err = await rpcError(pubsub.createTopic(name, { timeout: 300, retry: null }));
    expect(err.code).toBe(Status.DEADLINE_EXCEEDED);
    emu.faults.clear();
    expect(emu.topics().some((t) => t.name.endsWith(`/${name}`))).toBe(false);
  });

  it('commits CreateTopic before a crash; the client retry then meets ALREADY_EXISTS', async () => {
    const name = unique('crash');
    emu.faults.addRule({
      operation: 'pubsub.CreateTopic',
      nth: 1,
      action: { type: 'crash-after-commit' },
    });
    const err = await rpcError(pubsub.createTopic(name));
    expect(err.code).toBe(Status.ALREADY_EXISTS);
    expect(emu.topics().some((t) => t.name.endsWith(`/${name}`))).toBe(true);
  });

  it('reopens a StreamingPull dropped with UNAVAILABLE and still delivers', async () => {
    const { topic, sub } = await topicWithSubscription();
    emu.faults.addRule({
      operation: 'pubsub.StreamingPull',
      nth: 1,
      action: { type: 'status', status: 503 },
    });
    const got: string[] = [];
    listenTo(sub, (m) => {
      got.push(m.data.toString());
      m.ack();
    });
    await topic.publishMessage({ data: Buffer.from('after reconnect') });
    await until(() => got.length === 1, 10_000);
    const opens = emu.calls
      .filter((c) => c.operation === 'pubsub.StreamingPull')
      .map((c) => c.code);
    expect(opens).toContain(Status.UNAVAILABLE);
    expect(opens).toContain(Status.OK);
  });

  it('adds the planned latency to every call', async () => {
    emu.faults.setPlan({ latency: 120 });
    const started = Date.now();
    await pubsub.createTopic(unique('slow'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });
});
