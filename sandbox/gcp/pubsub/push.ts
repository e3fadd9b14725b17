/**
 * Push delivery: for a subscription with a push endpoint, the emulator POSTs each
 * message in the wrapped JSON format and treats 102, 200, 201, 202 and 204 as an ack;
 * anything else, a network error or no answer within the ack deadline is a nack, and
 * the message is retried with exponential backoff (the retry policy's, else 100 ms up
 * to 60 s).
 *
 * https://cloud.google.com/pubsub/docs/push
 */
import type { Broker } from './broker.js';
import type { Delivery, StoredSubscription } from './model.js';

const SUCCESS = new Set([102, 200, 201, 202, 204]);
const MAX_IN_FLIGHT = 10;

/** One push attempt as recorded for tests. */
export interface PushAttempt {
  subscription: string;
  endpoint: string;
  messageId: string;
  /** HTTP status, or 0 for a network error or timeout. */
  status: number;
  at: Date;
}

/** The wrapped push body: camel-case fields plus the snake-case ones Pub/Sub also sends. */
export function pushBody(sub: StoredSubscription, d: Delivery): Record<string, unknown> {
  const m = d.message;
  const publishTime = m.publishTime.toISOString();
  const message: Record<string, unknown> = {
    data: m.data.toString('base64'),
    attributes: m.attributes,
    messageId: m.messageId,
    message_id: m.messageId,
    publishTime,
    publish_time: publishTime,
  };
  if (m.orderingKey) message['orderingKey'] = m.orderingKey;
  const body: Record<string, unknown> = { message, subscription: sub.name };
  if (sub.deadLetter) body['deliveryAttempt'] = d.attempts;
  return body;
}

export class PushDeliverer {
  readonly attempts: PushAttempt[] = [];
  private readonly inFlight = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly broker: Broker) {}

  deliver(): void {
    if (this.closed) return;
    for (const sub of this.broker.subscriptions.values()) {
      if (!sub.pushEndpoint) continue;
      const room = MAX_IN_FLIGHT - (this.inFlight.get(sub.name) ?? 0);
      if (room <= 0) continue;
      for (const d of this.broker.lease(sub, room, sub.ackDeadlineSeconds)) {
        const p = this.post(sub, sub.pushEndpoint, d).finally(() => this.pending.delete(p));
        this.pending.add(p);
      }
    }
  }

  private async post(sub: StoredSubscription, endpoint: string, d: Delivery): Promise<void> {
    this.inFlight.set(sub.name, (this.inFlight.get(sub.name) ?? 0) + 1);
    const ackId = d.ackId ?? '';
    let status = 0;
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(pushBody(sub, d)),
        signal: AbortSignal.timeout(sub.ackDeadlineSeconds * 1000),
      });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = 0;
    } finally {
      this.inFlight.set(sub.name, (this.inFlight.get(sub.name) ?? 1) - 1);
    }
    this.attempts.push({
      subscription: sub.name,
      endpoint,
      messageId: d.message.messageId,
      status,
      at: new Date(),
    });
    if (this.closed || this.broker.subscriptions.get(sub.name) !== sub) return;
    if (SUCCESS.has(status)) this.broker.acknowledge(sub, [ackId]);
    else this.broker.modifyAckDeadline(sub, [ackId], 0);
  }

  /** Stops pushing and waits for the requests already sent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending]);
  }
}
