/**
 * Reads a CreateSubscription request: ack deadline (default 10 s, 10..600), push
 * config, ordering, dead-letter policy (5..100 attempts, default 5; the topic must
 * exist) and retry policy (0..600 s backoffs, defaults 10 s and 600 s).
 *
 * https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions#Subscription
 * https://cloud.google.com/pubsub/docs/handling-failures
 */
import { invalidArgument } from '../errors.js';
import { durationSeconds, type ProtoDuration } from '../proto.js';
import {
  type DeadLetterPolicy,
  type RetryPolicy,
  type StoredSubscription,
  topicName,
} from './model.js';

interface SubscriptionRequest {
  ackDeadlineSeconds?: number;
  pushConfig?: { pushEndpoint?: string; attributes?: Record<string, string> } | null;
  labels?: Record<string, string>;
  enableMessageOrdering?: boolean;
  deadLetterPolicy?: { deadLetterTopic?: string; maxDeliveryAttempts?: number } | null;
  retryPolicy?: {
    minimumBackoff?: ProtoDuration | null;
    maximumBackoff?: ProtoDuration | null;
  } | null;
  filter?: string;
}

function readPush(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalidArgument(`Invalid push endpoint given (endpoint=${endpoint}).`);
  }
  // The sandbox delivers to loopback receivers only (the real service requires HTTPS).
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw invalidArgument(
      `Invalid push endpoint given (endpoint=${endpoint}). The sandbox pushes only to loopback addresses.`,
    );
  }
  return endpoint;
}

function readDeadLetter(
  raw: SubscriptionRequest['deadLetterPolicy'],
  topicExists: (name: string) => boolean,
): DeadLetterPolicy | undefined {
  if (!raw?.deadLetterTopic) return undefined;
  const topic = topicName(raw.deadLetterTopic);
  if (!topicExists(topic)) {
    throw invalidArgument(
      `Invalid resource name given (name=${topic}). Refer to https://cloud.google.com/pubsub/docs/admin#resource_names for more information.`,
    );
  }
  const attempts = raw.maxDeliveryAttempts || 5;
  if (attempts < 5 || attempts > 100) {
    throw invalidArgument(
      `Invalid max_delivery_attempts given: ${attempts}. It must be between 5 and 100.`,
    );
  }
  return { deadLetterTopic: topic, maxDeliveryAttempts: attempts };
}

function readRetry(raw: SubscriptionRequest['retryPolicy']): RetryPolicy | undefined {
  if (!raw) return undefined;
  const seconds = (d: ProtoDuration | null | undefined, fallback: number, field: string) => {
    const s = d ? durationSeconds(d, field, false) : fallback;
    if (s < 0 || s > 600)
      throw invalidArgument(`Invalid ${field}: it must be between 0 and 600 seconds.`);
    return s;
  };
  const min = seconds(raw.minimumBackoff, 10, 'minimum_backoff');
  const max = seconds(raw.maximumBackoff, 600, 'maximum_backoff');
  if (max < min) throw invalidArgument('maximum_backoff must not be less than minimum_backoff.');
  return { minimumBackoffMs: min * 1000, maximumBackoffMs: max * 1000 };
}

/** Validates the request and builds the stored subscription with its rendered resource. */
export function readSubscription(
  name: string,
  topic: string,
  request: Record<string, unknown>,
  topicExists: (name: string) => boolean,
): StoredSubscription {
  const req = request as SubscriptionRequest;
  const ack = req.ackDeadlineSeconds || 10;
  if (ack < 10 || ack > 600) {
    throw invalidArgument(
      `Invalid ack deadline given: ${ack} seconds. The ack deadline must be between 10 and 600 seconds.`,
    );
  }
  if (req.filter) throw invalidArgument('The sandbox does not support subscription filters.');
  const pushEndpoint = req.pushConfig?.pushEndpoint
    ? readPush(req.pushConfig.pushEndpoint)
    : undefined;
  const deadLetter = readDeadLetter(req.deadLetterPolicy, topicExists);
  const retry = readRetry(req.retryPolicy);
  const labels = { ...req.labels };
  const enableMessageOrdering = req.enableMessageOrdering === true;
  const sub: StoredSubscription = {
    name,
    topic,
    ackDeadlineSeconds: ack,
    labels,
    enableMessageOrdering,
    backlog: [],
    resource: {},
  };
  if (pushEndpoint) sub.pushEndpoint = pushEndpoint;
  if (deadLetter) sub.deadLetter = deadLetter;
  if (retry) sub.retry = retry;
  sub.resource = {
    name,
    topic,
    pushConfig: pushEndpoint
      ? { pushEndpoint, attributes: { ...req.pushConfig?.attributes } }
      : null,
    ackDeadlineSeconds: ack,
    retainAckedMessages: false,
    messageRetentionDuration: { seconds: '604800', nanos: 0 },
    labels,
    enableMessageOrdering,
    deadLetterPolicy: deadLetter ?? null,
    retryPolicy: retry
      ? {
          minimumBackoff: { seconds: String(retry.minimumBackoffMs / 1000), nanos: 0 },
          maximumBackoff: { seconds: String(retry.maximumBackoffMs / 1000), nanos: 0 },
        }
      : null,
    detached: false,
    state: 'ACTIVE',
  };
  return sub;
}
