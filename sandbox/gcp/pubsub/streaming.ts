/**
 * StreamingPull, the bidirectional stream `subscription.on('message')` reads: the first
 * request names the subscription and the stream's ack deadline; later requests carry
 * acks, deadline changes and keep-alives; the server writes leased messages whenever
 * some are deliverable, within the stream's max_outstanding_messages.
 *
 * https://cloud.google.com/pubsub/docs/reference/rpc/google.pubsub.v1#google.pubsub.v1.Subscriber.StreamingPull
 * https://cloud.google.com/pubsub/docs/pull#streamingpull_api
 */
import { grpc } from 'google-gax';
import { RpcError } from '../errors.js';
import type { DuplexCall } from '../server.js';
import type { Broker } from './broker.js';
import { receivedMessage, streamAckDeadline } from './handlers.js';
import { type StoredSubscription, subscriptionName } from './model.js';

interface StreamingPullRequest {
  subscription?: string;
  ackIds?: string[];
  modifyDeadlineSeconds?: number[];
  modifyDeadlineAckIds?: string[];
  streamAckDeadlineSeconds?: number;
  maxOutstandingMessages?: string | number;
}

interface OpenStream {
  id: number;
  call: DuplexCall;
  subscription: StoredSubscription;
  ackDeadlineSeconds: number;
  maxOutstanding: number;
}

/** Every open StreamingPull stream; `deliver()` feeds them from the broker. */
export class StreamingPulls {
  private readonly open = new Map<number, OpenStream>();
  private nextId = 1;

  constructor(private readonly broker: Broker) {}

  get size(): number {
    return this.open.size;
  }

  /** Serves one stream from its first request until the client closes it. */
  readonly serve = (call: DuplexCall): void => {
    let stream: OpenStream | undefined;
    const fail = (err: RpcError) => {
      this.close(stream);
      call.emit('error', { code: err.code, details: err.details });
    };
    call.on('data', (raw: unknown) => {
      const req = raw as StreamingPullRequest;
      try {
        if (!stream) {
          stream = this.start(call, req);
          return;
        }
        if (req.subscription) {
          throw new RpcError(
            grpc.status.INVALID_ARGUMENT,
            'subscription must only be set on the first request.',
          );
        }
        this.apply(stream, req);
      } catch (err) {
        if (err instanceof RpcError) fail(err);
        else throw err;
      }
    });
    call.on('end', () => {
      this.close(stream);
      call.end();
    });
    call.on('cancelled', () => this.close(stream));
    call.on('error', () => this.close(stream));
  };

  private start(call: DuplexCall, req: StreamingPullRequest): OpenStream {
    const sub = this.broker.subscription(subscriptionName(req.subscription));
    const max = Number(req.maxOutstandingMessages ?? 0);
    const stream: OpenStream = {
      id: this.nextId++,
      call,
      subscription: sub,
      ackDeadlineSeconds: streamAckDeadline(req.streamAckDeadlineSeconds),
      maxOutstanding: max > 0 ? max : 1000,
    };
    this.open.set(stream.id, stream);
    this.apply(stream, { ...req, streamAckDeadlineSeconds: undefined });
    this.deliver();
    return stream;
  }

  private apply(stream: OpenStream, req: StreamingPullRequest): void {
    const sub = stream.subscription;
    if (req.streamAckDeadlineSeconds)
      stream.ackDeadlineSeconds = streamAckDeadline(req.streamAckDeadlineSeconds);
    if (req.ackIds?.length) this.broker.acknowledge(sub, req.ackIds);
    const ids = req.modifyDeadlineAckIds ?? [];
    const seconds = req.modifyDeadlineSeconds ?? [];
    if (ids.length !== seconds.length) {
      throw new RpcError(
        grpc.status.INVALID_ARGUMENT,
        'modify_deadline_seconds and modify_deadline_ack_ids must be the same size.',
      );
    }
    for (const [i, id] of ids.entries()) this.broker.modifyAckDeadline(sub, [id], seconds[i] ?? 0);
  }

  private close(stream: OpenStream | undefined): void {
    if (stream) this.open.delete(stream.id);
  }

  /** Writes every deliverable message to the open streams, round-robin per subscription. */
  deliver(): void {
    for (const stream of [...this.open.values()]) {
      const sub = stream.subscription;
      if (this.broker.subscriptions.get(sub.name) !== sub) {
        this.close(stream);
        stream.call.emit('error', {
          code: grpc.status.NOT_FOUND,
          details: `Resource not found (resource=${sub.name.split('/').pop()}).`,
        });
        continue;
      }
      const room = stream.maxOutstanding - this.broker.outstanding(sub, stream.id);
      if (room <= 0) continue;
      const leased = this.broker.lease(
        sub,
        Math.min(room, 100),
        stream.ackDeadlineSeconds,
        stream.id,
      );
      if (leased.length === 0) continue;
      stream.call.write({
        receivedMessages: leased.map((d) => receivedMessage(sub, d)),
        subscriptionProperties: {
          exactlyOnceDeliveryEnabled: false,
          messageOrderingEnabled: sub.enableMessageOrdering,
        },
      });
    }
  }

  /** Ends every stream (the server is closing). */
  closeAll(): void {
    for (const stream of this.open.values()) stream.call.end();
    this.open.clear();
  }
}
