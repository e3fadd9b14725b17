/**
 * A local gRPC emulator of Google Cloud Pub/Sub v1 (Publisher and Subscriber), served
 * from the `.proto` files shipped in `@google-cloud/pubsub`, for the real `PubSub`
 * client (built with `pubsubClientOptions`) including `subscription.on('message')`,
 * which reads StreamingPull. Operation names for faults and the call log are
 * `pubsub.<Method>`.
 *
 * Service overview: https://cloud.google.com/pubsub/docs/reference/rpc
 */
import type { ClientConfig } from '@google-cloud/pubsub';
import { grpc } from 'google-gax';
import { FaultController, type FaultPlan } from '../../faults.js';
import { loadGrpcServices } from '../proto.js';
import { type GrpcCallRecord, GrpcEmulatorServer } from '../server.js';
import { Broker, type PublishInput } from './broker.js';
import { publisherHandlers, subscriberHandlers } from './handlers.js';
import type { PublishedMessage } from './model.js';
import { type PushAttempt, PushDeliverer } from './push.js';
import { StreamingPulls } from './streaming.js';

export type { PublishedMessage } from './model.js';
export type { PushAttempt } from './push.js';

export interface PubSubEmulatorOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** The service clock (publish times, ack deadlines, retry backoff). Defaults to the system clock. */
  now?: () => Date;
  faults?: FaultPlan;
}

export interface TopicSnapshot {
  name: string;
  labels: Record<string, string>;
  subscriptions: string[];
}

export interface PubSubEmulator {
  /** `127.0.0.1:<port>`. */
  address: string;
  port: number;
  faults: FaultController;
  calls: GrpcCallRecord[];
  /** Every push POST made, with the status it got. */
  pushes: PushAttempt[];
  /** In-process view of every topic; for tests. */
  topics(): TopicSnapshot[];
  /** Every message published to `topic` (full name), oldest first. */
  published(topic: string): PublishedMessage[];
  /** Publishes in-process, as another service (Secret Manager) would; throws NOT_FOUND for an unknown topic. */
  publish(topic: string, message: PublishInput): PublishedMessage;
  close(): Promise<void>;
}

const PUMP_MS = 50;

/** Starts the emulator on 127.0.0.1. */
export async function startPubSubEmulator(
  opts: PubSubEmulatorOptions = {},
): Promise<PubSubEmulator> {
  const broker = new Broker(() => (opts.now?.() ?? new Date()).getTime());
  const streams = new StreamingPulls(broker);
  const push = new PushDeliverer(broker);
  const [publisher, subscriber] = loadGrpcServices(
    '@google-cloud/pubsub',
    'google/pubsub/v1/pubsub.proto',
    ['google.pubsub.v1.Publisher', 'google.pubsub.v1.Subscriber'],
  );
  const faults = new FaultController(opts.faults);
  const server = new GrpcEmulatorServer(
    [
      { definition: publisher!, unary: publisherHandlers(broker) },
      {
        definition: subscriber!,
        unary: subscriberHandlers(broker),
        streams: { StreamingPull: streams.serve },
      },
    ],
    faults,
    { prefix: 'pubsub', quotaService: 'pubsub.googleapis.com' },
  );
  const port = await server.listen(opts.port ?? 0);

  // Deliveries run off the RPC path: at once after a change, and on a short tick so
  // that expired deadlines and backoffs (which may follow an injected clock) are noticed.
  let scheduled = false;
  const pump = () => {
    scheduled = false;
    streams.deliver();
    push.deliver();
  };
  const offChange = broker.onChange(() => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(pump);
  });
  const ticker = setInterval(pump, PUMP_MS);
  ticker.unref();

  return {
    address: `127.0.0.1:${port}`,
    port,
    faults,
    calls: server.calls,
    pushes: push.attempts,
    topics: () =>
      [...broker.topics.values()].map((t) => ({
        name: t.name,
        labels: { ...t.labels },
        subscriptions: [...broker.subscriptions.values()]
          .filter((s) => s.topic === t.name)
          .map((s) => s.name),
      })),
    published: (topic) => [...(broker.topics.get(topic)?.published ?? [])],
    publish: (topic, message) => broker.publish(topic, message),
    async close() {
      clearInterval(ticker);
      offChange();
      streams.closeAll();
      await push.close();
      await server.close();
    },
  };
}

/** Options for `new PubSub(...)` that reach the emulator over plaintext. */
export type PubSubClientOptions = ClientConfig & {
  projectId: string;
  apiEndpoint: string;
  emulatorMode: true;
  sslCreds: grpc.ChannelCredentials;
  universeDomain: string;
};

/**
 * Client options that make the real `PubSub` client talk to the emulator without looking
 * for Google credentials or reading the environment for an emulator host: an explicit
 * `apiEndpoint` wins over `PUBSUB_EMULATOR_HOST`, `emulatorMode: true` makes the client
 * use plaintext whatever the host looks like, `sslCreds` (google-gax's own grpc-js
 * insecure credentials) short-circuits google-gax's credential lookup, an explicit
 * `universeDomain` stops `createStub` from asking the auth library for one (which would
 * run the ADC lookup and probe the metadata server), and an explicit `projectId` stops
 * the client from looking one up.
 */
export function pubsubClientOptions(
  emu: { port: number },
  projectId = 'credrot-sandbox',
): PubSubClientOptions {
  return {
    projectId,
    apiEndpoint: `127.0.0.1:${emu.port}`,
    emulatorMode: true,
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  };
}
