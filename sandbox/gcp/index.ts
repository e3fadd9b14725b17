/**
 * A local gRPC emulator of Google Cloud Secret Manager v1, served from the `.proto`
 * files shipped in `@google-cloud/secret-manager`, for the real
 * `SecretManagerServiceClient` (built with `clientOptions`) and any other gRPC client.
 *
 * Service overview: https://cloud.google.com/secret-manager/docs/reference/rpc
 */
import { type ClientOptions, grpc } from 'google-gax';
import { FaultController, type FaultPlan } from '../faults.js';
import { Names, type ProjectNumbers } from './names.js';
import { type NotificationHandler, Notifier, type PubSubMessage } from './notifications.js';
import { SecretStore } from './secrets.js';
import { type GrpcCallRecord, SecretManagerServer } from './server.js';

export { crc32c } from './crc32c.js';
export type { ProjectNumbers } from './names.js';
export type { PubSubMessage, SecretEventType } from './notifications.js';
export type { GrpcCallRecord } from './server.js';

export interface SecretManagerEmulatorOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** The service clock; `setNow` overrides it. Defaults to the system clock. */
  now?: () => Date;
  faults?: FaultPlan;
  /** Receives every Pub/Sub message a secret's topics would get, in order, one at a time. */
  onNotification?: NotificationHandler;
  /**
   * Project id → number. The real service names resources by project number even
   * when called with the id; set this to get the same (either form is accepted on input).
   */
  projectNumbers?: ProjectNumbers;
}

export interface SecretManagerEmulator {
  /** `127.0.0.1:<port>`. */
  address: string;
  port: number;
  faults: FaultController;
  calls: GrpcCallRecord[];
  notifications: PubSubMessage[];
  /** Fixes the service clock at `d` from now on. */
  setNow(d: Date): void;
  /**
   * Runs the service's background work due at the current clock: checks secrets whose
   * next_rotation_time has passed and emits SECRET_ROTATE, advancing next_rotation_time
   * by rotation_period (or clearing it for a one-time schedule); deletes expired secrets;
   * completes delayed version destruction. Resolves once every notification is delivered.
   */
  tick(): Promise<void>;
  /** Resolves when every notification published so far has reached `onNotification`. */
  drainNotifications(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the emulator on 127.0.0.1. */
export async function startSecretManagerEmulator(
  opts: SecretManagerEmulatorOptions = {},
): Promise<SecretManagerEmulator> {
  let clock: () => Date = opts.now ?? (() => new Date());
  const now = () => clock();
  const notifier = new Notifier(now, opts.onNotification);
  const store = new SecretStore(new Names(opts.projectNumbers), now, notifier);
  const faults = new FaultController(opts.faults);
  const server = new SecretManagerServer(store, faults);
  const port = await server.listen(opts.port ?? 0);
  return {
    address: `127.0.0.1:${port}`,
    port,
    faults,
    calls: server.calls,
    notifications: notifier.messages,
    setNow(d: Date) {
      const fixed = new Date(d);
      clock = () => new Date(fixed);
    },
    async tick() {
      store.tick();
      await notifier.drain();
    },
    drainNotifications: () => notifier.drain(),
    async close() {
      await server.close();
      await notifier.drain();
    },
  };
}

/** Options for `new SecretManagerServiceClient(...)` that reach the emulator over plaintext. */
export type EmulatorClientOptions = ClientOptions & {
  apiEndpoint: string;
  port: number;
  sslCreds: grpc.ChannelCredentials;
  universeDomain: string;
};

/**
 * Client options that make the real client talk to the emulator without looking for
 * Google credentials. `sslCreds` short-circuits google-gax's credential lookup
 * (`GrpcClient._getCredentials` returns it without calling `auth.getClient()`), and an
 * explicit `universeDomain` stops `createStub` from asking the auth library for one
 * (`GoogleAuth.getUniverseDomain` would otherwise run the ADC lookup, which probes the
 * metadata server). `grpc` is google-gax's own grpc-js, so the credentials object is the
 * same class the client checks against.
 */
export function clientOptions(emu: { port: number }): EmulatorClientOptions {
  return {
    apiEndpoint: '127.0.0.1',
    port: emu.port,
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  };
}
