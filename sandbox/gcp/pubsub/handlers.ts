/**
 * The Publisher and Subscriber unary RPCs over the broker. Each group cites the
 * reference page its semantics come from.
 *
 * RPC reference: https://cloud.google.com/pubsub/docs/reference/rpc/google.pubsub.v1
 */
import { grpc } from 'google-gax';
import { invalidArgument, RpcError } from '../errors.js';
import { toProtoTimestamp } from '../proto.js';
import type { Broker } from './broker.js';
import {
  type Delivery,
  projectOf,
  resourceExists,
  resourceNotFound,
  type StoredSubscription,
  subscriptionName,
  topicName,
} from './model.js';
import { readSubscription } from './subscription-input.js';

export type PubSubHandler = (request: unknown) => unknown | Promise<unknown>;

interface ProtoMessage {
  data?: Buffer | Uint8Array | null;
  attributes?: Record<string, string> | null;
  orderingKey?: string | null;
}

/** Pages with an opaque offset token, as the List methods document. */
function paginate<T>(items: T[], pageSize: number | undefined, pageToken: string | undefined) {
  const size = pageSize && pageSize > 0 ? Math.min(pageSize, 1000) : 100;
  let offset = 0;
  if (pageToken) {
    const m = /^offset:(\d+)$/.exec(Buffer.from(pageToken, 'base64url').toString('utf8'));
    if (!m) throw invalidArgument(`Invalid page token [${pageToken}].`);
    offset = Number(m[1]);
  }
  const page = items.slice(offset, offset + size);
  const end = offset + page.length;
  const nextPageToken =
    end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : '';
  return { page, nextPageToken };
}

/** The subscription resource; its topic reads `_deleted-topic_` once the topic is gone. */
function subscriptionProto(sub: StoredSubscription) {
  return { ...sub.resource, topic: sub.topic };
}

export function topicProto(name: string, labels: Record<string, string>) {
  return { name, labels, state: 'ACTIVE' };
}

export function receivedMessage(sub: StoredSubscription, d: Delivery) {
  const m = d.message;
  return {
    ackId: d.ackId,
    message: {
      data: m.data,
      attributes: m.attributes,
      messageId: m.messageId,
      publishTime: toProtoTimestamp(m.publishTime),
      orderingKey: m.orderingKey,
    },
    // Reported only when dead lettering is configured, as the API documents.
    deliveryAttempt: sub.deadLetter ? d.attempts : 0,
  };
}

function ackDeadline(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 600) {
    throw invalidArgument(
      `Invalid ack deadline given: ${seconds} seconds. The ack deadline must be between 0 and 600 seconds.`,
    );
  }
  return seconds;
}

export function publisherHandlers(broker: Broker): Record<string, PubSubHandler> {
  return {
    // https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/create
    CreateTopic: (request) => {
      const req = request as { name: unknown; labels?: Record<string, string> };
      const name = topicName(req.name);
      if (broker.topics.has(name)) throw resourceExists(name);
      broker.topics.set(name, { name, labels: { ...req.labels }, published: [] });
      return topicProto(name, { ...req.labels });
    },

    GetTopic: (request) => {
      const topic = broker.topic(topicName((request as { topic: unknown }).topic));
      return topicProto(topic.name, topic.labels);
    },

    // https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/list
    ListTopics: (request) => {
      const req = request as { project: string; pageSize?: number; pageToken?: string };
      const topics = [...broker.topics.values()]
        .filter((t) => projectOf(t.name) === req.project)
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, nextPageToken } = paginate(topics, req.pageSize, req.pageToken);
      return { topics: page.map((t) => topicProto(t.name, t.labels)), nextPageToken };
    },

    ListTopicSubscriptions: (request) => {
      const req = request as { topic: unknown; pageSize?: number; pageToken?: string };
      const name = broker.topic(topicName(req.topic)).name;
      const subs = [...broker.subscriptions.values()]
        .filter((s) => s.topic === name)
        .map((s) => s.name);
      const { page, nextPageToken } = paginate(subs.sort(), req.pageSize, req.pageToken);
      return { subscriptions: page, nextPageToken };
    },

    // Subscriptions outlive their topic, which they then name `_deleted-topic_`.
    // https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/delete
    DeleteTopic: (request) => {
      broker.deleteTopic(topicName((request as { topic: unknown }).topic));
      return {};
    },

    // https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/publish
    Publish: (request) => {
      const req = request as { topic: unknown; messages?: ProtoMessage[] };
      const name = topicName(req.topic);
      broker.topic(name);
      const messages = req.messages ?? [];
      if (messages.length === 0) throw invalidArgument('The request contains no messages.');
      for (const m of messages) {
        if ((m.data?.length ?? 0) === 0 && Object.keys(m.attributes ?? {}).length === 0) {
          throw invalidArgument(
            'One or more messages in the publish request is empty. Each message must contain either non-empty data, or at least one attribute.',
          );
        }
      }
      const messageIds = messages.map(
        (m) =>
          broker.publish(name, {
            data: Buffer.from(m.data ?? []),
            attributes: { ...m.attributes },
            orderingKey: m.orderingKey ?? '',
          }).messageId,
      );
      return { messageIds };
    },
  };
}

export function subscriberHandlers(broker: Broker): Record<string, PubSubHandler> {
  return {
    // https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions/create
    CreateSubscription: (request) => {
      const req = request as Record<string, unknown>;
      const name = subscriptionName(req['name']);
      if (broker.subscriptions.has(name)) throw resourceExists(name);
      const topic = topicName(req['topic']);
      if (!broker.topics.has(topic)) throw resourceNotFound(topic);
      const sub = readSubscription(name, topic, req, (t) => broker.topics.has(t));
      broker.subscriptions.set(name, sub);
      return subscriptionProto(sub);
    },

    GetSubscription: (request) =>
      subscriptionProto(
        broker.subscription(subscriptionName((request as { subscription: unknown }).subscription)),
      ),

    ListSubscriptions: (request) => {
      const req = request as { project: string; pageSize?: number; pageToken?: string };
      const subs = [...broker.subscriptions.values()]
        .filter((s) => projectOf(s.name) === req.project)
        .sort((a, b) => a.name.localeCompare(b.name));
      const { page, nextPageToken } = paginate(subs, req.pageSize, req.pageToken);
      return { subscriptions: page.map(subscriptionProto), nextPageToken };
    },

    DeleteSubscription: (request) => {
      const name = subscriptionName((request as { subscription: unknown }).subscription);
      broker.subscription(name);
      broker.subscriptions.delete(name);
      broker.changed();
      return {};
    },

    // https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions/pull
    Pull: async (request) => {
      const req = request as {
        subscription: unknown;
        maxMessages?: number;
        returnImmediately?: boolean;
      };
      const sub = broker.subscription(subscriptionName(req.subscription));
      if (!req.maxMessages || req.maxMessages <= 0)
        throw invalidArgument('max_messages must be > 0');
      let leased = broker.lease(sub, req.maxMessages, sub.ackDeadlineSeconds);
      // An empty pull waits briefly for messages, as the service does without return_immediately.
      const until = Date.now() + (req.returnImmediately ? 0 : 1_000);
      while (
        leased.length === 0 &&
        Date.now() < until &&
        broker.subscriptions.get(sub.name) === sub
      ) {
        await waitForChange(broker, Math.min(100, until - Date.now()));
        leased = broker.lease(sub, req.maxMessages, sub.ackDeadlineSeconds);
      }
      return { receivedMessages: leased.map((d) => receivedMessage(sub, d)) };
    },

    // https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions/acknowledge
    Acknowledge: (request) => {
      const req = request as { subscription: unknown; ackIds?: string[] };
      const sub = broker.subscription(subscriptionName(req.subscription));
      if (!req.ackIds?.length) throw invalidArgument('No ack ids specified.');
      broker.acknowledge(sub, req.ackIds);
      return {};
    },

    // https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions/modifyAckDeadline
    ModifyAckDeadline: (request) => {
      const req = request as {
        subscription: unknown;
        ackIds?: string[];
        ackDeadlineSeconds?: number;
      };
      const sub = broker.subscription(subscriptionName(req.subscription));
      if (!req.ackIds?.length) throw invalidArgument('No ack ids specified.');
      broker.modifyAckDeadline(sub, req.ackIds, ackDeadline(req.ackDeadlineSeconds ?? 0));
      return {};
    },

    ModifyPushConfig: (request) => {
      const req = request as {
        subscription: unknown;
        pushConfig?: { pushEndpoint?: string } | null;
      };
      const sub = broker.subscription(subscriptionName(req.subscription));
      const endpoint = req.pushConfig?.pushEndpoint ?? '';
      if (endpoint === '') delete sub.pushEndpoint;
      else sub.pushEndpoint = endpoint;
      sub.resource['pushConfig'] =
        endpoint === '' ? null : { pushEndpoint: endpoint, attributes: {} };
      broker.changed();
      return {};
    },
  };
}

/** Validates a StreamingPull ack deadline; shared with the stream handler. */
export function streamAckDeadline(seconds: number | undefined): number {
  if (seconds === undefined || seconds < 10 || seconds > 600) {
    throw new RpcError(
      grpc.status.INVALID_ARGUMENT,
      `Invalid stream_ack_deadline_seconds: ${seconds ?? 0}. It must be between 10 and 600 seconds.`,
    );
  }
  return seconds;
}

function waitForChange(broker: Broker, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    timer.unref();
    const off = broker.onChange(done);
    function done() {
      clearTimeout(timer);
      off();
      resolve();
    }
  });
}
