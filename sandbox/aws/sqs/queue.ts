/**
 * One queue's messages and their life cycle: delay, visibility timeout, receive count,
 * receipt handles, retention, FIFO ordering per message group and the five-minute
 * deduplication window. Redrive to a dead-letter queue is decided here and carried out
 * by the registry (`store.ts`), which knows the other queues.
 *
 * Visibility timeout: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
 * FIFO delivery:      https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-exactly-once-processing.html
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type QueueSettings, type RedrivePolicy, redrivePolicyOf } from './attributes.js';
import type { MessageAttributeValue } from './md5.js';
import { invalidParameter, SqsError } from './protocol.js';

export const DEDUP_WINDOW_MS = 5 * 60_000;

export interface StoredMessage {
  messageId: string;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  senderId: string;
  sentAt: number;
  /** Epoch ms from which the message can be received (delay, then visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** The handle of the latest receive; older handles are stale. */
  receiptHandle?: string;
  groupId?: string;
  dedupId?: string;
  sequenceNumber?: string;
  /** Set when the message was moved here from a source queue. */
  deadLetterSourceArn?: string;
}

export type MessageState = 'visible' | 'in-flight' | 'delayed';

export interface SendInput {
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  senderId: string;
  delaySeconds?: number;
  groupId?: string;
  dedupId?: string;
}

export interface SendResult {
  message: StoredMessage;
  /** True when the deduplication window swallowed the message (accepted, not enqueued). */
  duplicate: boolean;
}

let sequence = 10_000_000_000_000_000_000n;

export class SqsQueue {
  readonly messages: StoredMessage[] = [];
  private readonly dedup = new Map<string, { message: StoredMessage; at: number }>();
  lastPurgeAt: number | undefined;
  lastModifiedAt: number;
  readonly tags: Record<string, string> = {};

  constructor(
    readonly name: string,
    readonly arn: string,
    readonly url: string,
    readonly fifo: boolean,
    public settings: QueueSettings,
    readonly createdAt: number,
  ) {
    this.lastModifiedAt = createdAt;
  }

  setting(name: string): number {
    return Number(this.settings[name] ?? 0);
  }

  get redrive(): RedrivePolicy | undefined {
    return redrivePolicyOf(this.settings);
  }

  stateOf(m: StoredMessage, now: number): MessageState {
    if (m.visibleAt <= now) return 'visible';
    return m.receiptHandle ? 'in-flight' : 'delayed';
  }

  /** Drops messages older than the retention period (counted from the original send). */
  expire(now: number): void {
    const retentionMs = this.setting('MessageRetentionPeriod') * 1000;
    for (let i = this.messages.length - 1; i >= 0; i--) {
      if (this.messages[i]!.sentAt + retentionMs <= now) this.messages.splice(i, 1);
    }
    for (const [id, entry] of this.dedup)
      if (entry.at + DEDUP_WINDOW_MS <= now) this.dedup.delete(id);
  }

  send(input: SendInput, now: number, contentDedupId: () => string): SendResult {
    let dedupId = input.dedupId;
    if (this.fifo) {
      if (input.delaySeconds !== undefined && input.delaySeconds !== 0) {
        throw invalidParameter(
          'DelaySeconds',
          input.delaySeconds,
          'The request include parameter that is not valid for this queue type',
        );
      }
      if (!input.groupId) {
        throw new SqsError(
          'MissingRequiredParameterException',
          'The request must contain the parameter MessageGroupId.',
        );
      }
      if (!dedupId) {
        if (this.settings['ContentBasedDeduplication'] !== 'true') {
          throw new SqsError(
            'InvalidParameterValueException',
            'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        }
        dedupId = contentDedupId();
      }
      const key =
        this.settings['DeduplicationScope'] === 'messageGroup'
          ? `${input.groupId}\0${dedupId}`
          : dedupId;
      this.expire(now);
      const seen = this.dedup.get(key);
      if (seen) return { message: seen.message, duplicate: true };
      const message = this.newMessage(input, now, dedupId);
      this.dedup.set(key, { message, at: now });
      return { message, duplicate: false };
    }
    if (dedupId !== undefined) {
      throw invalidParameter(
        'MessageDeduplicationId',
        dedupId,
        'The request include parameter that is not valid for this queue type',
      );
    }
    return { message: this.newMessage(input, now, undefined), duplicate: false };
  }

  private newMessage(input: SendInput, now: number, dedupId: string | undefined): StoredMessage {
    const delay = input.delaySeconds ?? this.setting('DelaySeconds');
    const message: StoredMessage = {
      messageId: randomUUID(),
      body: input.body,
      attributes: input.attributes,
      senderId: input.senderId,
      sentAt: now,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
    };
    if (input.groupId !== undefined) message.groupId = input.groupId;
    if (dedupId !== undefined) message.dedupId = dedupId;
    if (this.fifo) {
      sequence += 1n;
      message.sequenceNumber = sequence.toString();
    }
    this.messages.push(message);
    return message;
  }

  /** Accepts a message moved from a source queue, keeping its id, body and send time. */
  adopt(message: StoredMessage, sourceArn: string, now: number): void {
    delete message.receiptHandle;
    message.visibleAt = now;
    message.deadLetterSourceArn = sourceArn;
    this.messages.push(message);
  }

  /**
   * The messages a receive may hand out now, in order. On a FIFO queue a message group
   * with a message in flight is blocked, so each group is consumed strictly in order.
   */
  candidates(now: number): StoredMessage[] {
    const blocked = new Set<string>();
    const out: StoredMessage[] = [];
    for (const m of this.messages) {
      if (this.fifo && m.groupId !== undefined) {
        if (blocked.has(m.groupId)) continue;
        if (m.visibleAt > now) {
          blocked.add(m.groupId);
          continue;
        }
      } else if (m.visibleAt > now) continue;
      out.push(m);
    }
    return out;
  }

  /** Marks a message received: new receipt handle, hidden for `visibilitySeconds`. */
  markReceived(m: StoredMessage, now: number, visibilitySeconds: number): void {
    m.receiveCount += 1;
    m.firstReceiveAt ??= now;
    m.receiptHandle = this.newReceiptHandle(m.messageId);
    m.visibleAt = now + visibilitySeconds * 1000;
  }

  remove(m: StoredMessage): void {
    const i = this.messages.indexOf(m);
    if (i >= 0) this.messages.splice(i, 1);
  }

  /** Receipt handles name the queue and message, so a handle from another queue is recognised. */
  private newReceiptHandle(messageId: string): string {
    const raw = `${this.arn}\n${messageId}\n${randomBytes(24).toString('base64')}`;
    return Buffer.from(raw, 'utf8').toString('base64');
  }

  /**
   * Resolves a receipt handle: the message, or undefined when it was already deleted
   * (which DeleteMessage treats as success). `stale` is true for a handle from an
   * earlier receive.
   */
  resolveHandle(handle: string): { message?: StoredMessage; stale: boolean } {
    const decoded = Buffer.from(handle, 'base64').toString('utf8').split('\n');
    if (decoded.length !== 3 || decoded[0] !== this.arn) {
      throw new SqsError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
      );
    }
    const message = this.messages.find((m) => m.messageId === decoded[1]);
    if (!message) return { stale: false };
    return { message, stale: message.receiptHandle !== handle };
  }

  purge(now: number): void {
    if (this.lastPurgeAt !== undefined && now - this.lastPurgeAt < 60_000) {
      throw new SqsError(
        'PurgeQueueInProgress',
        `Only one PurgeQueue operation on ${this.name} is allowed every 60 seconds.`,
      );
    }
    this.lastPurgeAt = now;
    this.messages.length = 0;
  }

  counts(now: number): Record<MessageState, number> {
    const out: Record<MessageState, number> = { visible: 0, 'in-flight': 0, delayed: 0 };
    for (const m of this.messages) out[this.stateOf(m, now)] += 1;
    return out;
  }
}
