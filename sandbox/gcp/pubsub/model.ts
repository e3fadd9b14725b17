/**
 * Pub/Sub's resources as the emulator keeps them, the resource-name rules and the
 * errors worded as the service words them.
 *
 * Resource names: https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names
 */
import { grpc } from 'google-gax';
import { invalidArgument, notFound, RpcError } from '../errors.js';

export interface PublishedMessage {
  topic: string;
  messageId: string;
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey: string;
  publishTime: Date;
}

export interface StoredTopic {
  name: string;
  labels: Record<string, string>;
  published: PublishedMessage[];
}

export interface DeadLetterPolicy {
  deadLetterTopic: string;
  maxDeliveryAttempts: number;
}

export interface RetryPolicy {
  minimumBackoffMs: number;
  maximumBackoffMs: number;
}

/** One message's state in one subscription, until acknowledged. */
export interface Delivery {
  message: PublishedMessage;
  /** Deliveries so far (the next one reports `attempts + 1`). */
  attempts: number;
  /** The current lease's ack id, while the message is out with a subscriber. */
  ackId?: string;
  /** Epoch ms the current lease ends. */
  deadline?: number;
  /** Epoch ms before which the message is not redelivered (retry backoff). */
  availableAt: number;
  /** The StreamingPull stream that holds the lease, if any. */
  streamId?: number;
}

export interface StoredSubscription {
  name: string;
  topic: string;
  ackDeadlineSeconds: number;
  pushEndpoint?: string;
  labels: Record<string, string>;
  enableMessageOrdering: boolean;
  deadLetter?: DeadLetterPolicy;
  retry?: RetryPolicy;
  /** Unacknowledged messages in publication order. */
  backlog: Delivery[];
  /** The subscription as it was created, echoed back by Get/Create (proto field names). */
  resource: Record<string, unknown>;
}

/** What a subscription's topic becomes when the topic is deleted. */
export const DELETED_TOPIC = '_deleted-topic_';

const ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

function checkName(name: unknown, collection: 'topics' | 'subscriptions'): string {
  const m =
    typeof name === 'string'
      ? new RegExp(`^projects/([^/]+)/${collection}/([^/]+)$`).exec(name)
      : null;
  if (!m || !ID.test(m[2]!) || m[2]!.toLowerCase().startsWith('goog')) {
    throw invalidArgument(`Invalid [${collection}] name: (name=${String(name)})`);
  }
  return name as string;
}

export const topicName = (name: unknown): string => checkName(name, 'topics');
export const subscriptionName = (name: unknown): string => checkName(name, 'subscriptions');

export function projectOf(name: string): string {
  return name.split('/').slice(0, 2).join('/');
}

export const resourceNotFound = (name: string): RpcError =>
  notFound(`Resource not found (resource=${name.split('/').pop()}).`);

export const resourceExists = (name: string): RpcError =>
  new RpcError(
    grpc.status.ALREADY_EXISTS,
    `Resource already exists in the project (resource=${name.split('/').pop()}).`,
  );
