/**
 * The message flow: publish fans a message out to every subscription of its topic;
 * subscribers lease messages (Pull, StreamingPull, push) for the ack deadline; an ack
 * removes a message, a nack (ModifyAckDeadline 0) or an expired deadline makes it
 * deliverable again after the retry policy's backoff; a message that reached
 * max_delivery_attempts is forwarded to the dead-letter topic; ordering keys are
 * delivered one at a time, in order.
 *
 * Lease management: https://cloud.google.com/pubsub/docs/lease-management
 * Ordering:         https://cloud.google.com/pubsub/docs/ordering
 * Dead letters:     https://cloud.google.com/pubsub/docs/handling-failures
 */
import { randomBytes } from 'node:crypto';
import {
  DELETED_TOPIC,
  type Delivery,
  type PublishedMessage,
  resourceNotFound,
  type StoredSubscription,
  type StoredTopic,
} from './model.js';

export interface PublishInput {
  data?: Buffer;
  attributes?: Record<string, string>;
  orderingKey?: string;
}

export class Broker {
  readonly topics = new Map<string, StoredTopic>();
  readonly subscriptions = new Map<string, StoredSubscription>();
  private nextMessageId = 1_000_000_000_000;
  private readonly listeners = new Set<() => void>();

  constructor(readonly now: () => number) {}

  topic(name: string): StoredTopic {
    const topic = this.topics.get(name);
    if (!topic) throw resourceNotFound(name);
    return topic;
  }

  subscription(name: string): StoredSubscription {
    const sub = this.subscriptions.get(name);
    if (!sub) throw resourceNotFound(name);
    return sub;
  }

  /** Calls `listener` whenever something may have become deliverable. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const l of [...this.listeners]) l();
  }

  publish(topicName: string, input: PublishInput): PublishedMessage {
    const topic = this.topic(topicName);
    const message: PublishedMessage = {
      topic: topicName,
      messageId: String(this.nextMessageId++),
      data: input.data ?? Buffer.alloc(0),
      attributes: { ...input.attributes },
      orderingKey: input.orderingKey ?? '',
      publishTime: new Date(this.now()),
    };
    topic.published.push(message);
    for (const sub of this.subscriptions.values()) {
      if (sub.topic === topicName) sub.backlog.push({ message, attempts: 0, availableAt: 0 });
    }
    this.changed();
    return message;
  }

  deleteTopic(name: string): void {
    this.topic(name);
    this.topics.delete(name);
    for (const sub of this.subscriptions.values())
      if (sub.topic === name) sub.topic = DELETED_TOPIC;
  }

  /** The backoff before redelivery after `attempts` failed deliveries, in ms. */
  private backoffMs(sub: StoredSubscription, attempts: number, pushDefault: boolean): number {
    const policy =
      sub.retry ?? (pushDefault ? { minimumBackoffMs: 100, maximumBackoffMs: 60_000 } : undefined);
    if (!policy) return 0;
    const exp = policy.minimumBackoffMs * 2 ** Math.max(0, attempts - 1);
    return Math.min(policy.maximumBackoffMs, exp);
  }

  /** Ends leases whose deadline passed: an expired deadline counts as a failed attempt. */
  private settle(sub: StoredSubscription, now: number): void {
    for (const d of sub.backlog) {
      if (d.deadline !== undefined && d.deadline <= now) {
        d.availableAt =
          d.deadline + this.backoffMs(sub, d.attempts, sub.pushEndpoint !== undefined);
        delete d.ackId;
        delete d.deadline;
        delete d.streamId;
      }
    }
  }

  /**
   * Leases up to `max` deliverable messages for `deadlineSeconds`. Messages that already
   * used up max_delivery_attempts go to the dead-letter topic instead.
   */
  lease(
    sub: StoredSubscription,
    max: number,
    deadlineSeconds: number,
    streamId?: number,
  ): Delivery[] {
    const now = this.now();
    this.settle(sub, now);
    const out: Delivery[] = [];
    const blockedKeys = new Set<string>();
    for (const d of [...sub.backlog]) {
      if (out.length >= max) break;
      const key = sub.enableMessageOrdering ? d.message.orderingKey : '';
      if (key !== '') {
        // Only the oldest unacknowledged message of a key may be out at a time.
        if (blockedKeys.has(key)) continue;
        blockedKeys.add(key);
      }
      if (d.deadline !== undefined || d.availableAt > now) continue;
      if (sub.deadLetter && d.attempts >= sub.deadLetter.maxDeliveryAttempts) {
        this.deadLetter(sub, d);
        continue;
      }
      d.attempts += 1;
      d.ackId = `${randomBytes(12).toString('base64url')}-${d.message.messageId}`;
      d.deadline = now + deadlineSeconds * 1000;
      if (streamId !== undefined) d.streamId = streamId;
      else delete d.streamId;
      out.push(d);
    }
    return out;
  }

  /** Forwards to the dead-letter topic with the attributes Pub/Sub adds, and drops the message here. */
  private deadLetter(sub: StoredSubscription, d: Delivery): void {
    sub.backlog.splice(sub.backlog.indexOf(d), 1);
    const target = sub.deadLetter?.deadLetterTopic;
    if (!target || !this.topics.has(target)) return;
    this.publish(target, {
      data: d.message.data,
      attributes: {
        ...d.message.attributes,
        CloudPubSubDeadLetterSourceDeliveryCount: String(d.attempts),
        CloudPubSubDeadLetterSourceSubscription: sub.name.split('/').pop() ?? sub.name,
        CloudPubSubDeadLetterSourceSubscriptionProject: sub.name.split('/')[1] ?? '',
        CloudPubSubDeadLetterSourceTopicPublishTime: d.message.publishTime.toISOString(),
      },
      orderingKey: d.message.orderingKey,
    });
  }

  /** Acknowledges current leases; unknown or superseded ack ids are ignored, as Pub/Sub does. */
  acknowledge(sub: StoredSubscription, ackIds: string[]): void {
    const ids = new Set(ackIds);
    sub.backlog = sub.backlog.filter((d) => d.ackId === undefined || !ids.has(d.ackId));
    this.changed();
  }

  /** Extends leases, or with 0 seconds nacks them (a failed delivery attempt). */
  modifyAckDeadline(sub: StoredSubscription, ackIds: string[], seconds: number): void {
    const ids = new Set(ackIds);
    const now = this.now();
    for (const d of sub.backlog) {
      if (d.ackId === undefined || !ids.has(d.ackId)) continue;
      if (seconds > 0) {
        d.deadline = now + seconds * 1000;
        continue;
      }
      d.availableAt = now + this.backoffMs(sub, d.attempts, sub.pushEndpoint !== undefined);
      delete d.ackId;
      delete d.deadline;
      delete d.streamId;
    }
    this.changed();
  }

  /** How many unexpired leases a StreamingPull stream holds (its flow-control count). */
  outstanding(sub: StoredSubscription, streamId: number): number {
    const now = this.now();
    return sub.backlog.filter((d) => d.streamId === streamId && (d.deadline ?? 0) > now).length;
  }
}
