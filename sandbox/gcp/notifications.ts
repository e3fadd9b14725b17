/**
 * Event notifications: for every change to a secret that has `topics`, one Pub/Sub-shaped
 * message per topic, with attributes `eventType`, `dataFormat`, `secretId` and (for
 * version events) `versionId`, and the changed Secret or SecretVersion as proto3 JSON in
 * `data`. Get, List and Access calls publish nothing.
 *
 * https://cloud.google.com/secret-manager/docs/event-notifications
 * Rotation: https://cloud.google.com/secret-manager/docs/secret-rotation
 */

export type SecretEventType =
  | 'SECRET_CREATE'
  | 'SECRET_UPDATE'
  | 'SECRET_DELETE'
  | 'SECRET_VERSION_ADD'
  | 'SECRET_VERSION_ENABLE'
  | 'SECRET_VERSION_DISABLE'
  | 'SECRET_VERSION_DESTROY'
  | 'SECRET_VERSION_DESTROY_SCHEDULED'
  | 'SECRET_ROTATE'
  | 'TOPIC_CONFIGURED';

/** A message as a Pub/Sub subscriber (or a Cloud Function's CloudEvent) receives it. */
export interface PubSubMessage {
  /** `projects/{p}/topics/{t}`. */
  topic: string;
  attributes: Record<string, string>;
  /** Base64 of the Secret or SecretVersion as JSON; empty for TOPIC_CONFIGURED. */
  data: string;
  messageId: string;
  /** RFC 3339. */
  publishTime: string;
}

export interface SecretEvent {
  type: SecretEventType;
  topics: string[];
  secretName: string;
  versionName?: string;
  /** The resource in proto3 JSON form; omitted for TOPIC_CONFIGURED. */
  resource?: Record<string, unknown>;
}

export type NotificationHandler = (msg: PubSubMessage) => void | Promise<void>;

/**
 * Records messages in publication order and hands them to the handler one at a time,
 * off the RPC's path, as Pub/Sub delivers asynchronously. `drain()` waits for delivery.
 */
export class Notifier {
  readonly messages: PubSubMessage[] = [];
  private nextId = 1;
  private delivery: Promise<void> = Promise.resolve();

  constructor(
    private readonly now: () => Date,
    private readonly handler?: NotificationHandler,
  ) {}

  publish(event: SecretEvent): void {
    for (const topic of event.topics) {
      const attributes: Record<string, string> = { eventType: event.type };
      if (event.type !== 'TOPIC_CONFIGURED') {
        attributes['dataFormat'] = 'JSON_API_V1';
        attributes['secretId'] = event.secretName;
        if (event.versionName) attributes['versionId'] = event.versionName;
      }
      const msg: PubSubMessage = {
        topic,
        attributes,
        data: event.resource
          ? Buffer.from(JSON.stringify(event.resource), 'utf8').toString('base64')
          : '',
        messageId: String(this.nextId++),
        publishTime: this.now().toISOString(),
      };
      this.messages.push(msg);
      const handler = this.handler;
      if (handler) {
        // A failing subscriber never fails the RPC that published the message.
        this.delivery = this.delivery.then(async () => {
          try {
            await handler(msg);
          } catch {
            // Pub/Sub would redeliver; the sandbox only drops it.
          }
        });
      }
    }
  }

  /** Resolves when every message published so far has been handed to the handler. */
  drain(): Promise<void> {
    return this.delivery;
  }
}
