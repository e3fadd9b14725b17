/**
 * SendMessage's one-message logic, shared with SendMessageBatch: body and attribute
 * validation, FIFO group and deduplication ids, and the digests the SDK verifies.
 *
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 * Dedup: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html
 */
import { createHash } from 'node:crypto';
import { type MessageAttributeValue, md5Hex, md5OfMessageAttributes } from './md5.js';
import { invalidParameter, missingParameter, SqsError } from './protocol.js';
import type { SqsQueue } from './queue.js';
import type { CallContext } from './queues.js';
import type { QueueStore } from './store.js';

// SQS accepts XML 1.0 characters only: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
const INVALID_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function readAttributes(
  raw: Record<string, unknown> | undefined,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  const entries = Object.entries(raw ?? {});
  if (entries.length > 10) {
    throw invalidParameter(
      'MessageAttributes',
      entries.length,
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`,
    );
  }
  for (const [name, value] of entries) {
    const v = (value ?? {}) as Partial<MessageAttributeValue>;
    if (typeof v.DataType !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(v.DataType)) {
      throw invalidParameter(
        'MessageAttributes',
        name,
        `The message attribute '${name}' has an invalid message attribute type.`,
      );
    }
    const isBinary = v.DataType.startsWith('Binary');
    const present = isBinary
      ? typeof v.BinaryValue === 'string'
      : typeof v.StringValue === 'string';
    if (!present) {
      throw invalidParameter(
        'MessageAttributes',
        name,
        `The message attribute '${name}' must contain a non-empty value of message attribute type '${v.DataType}'.`,
      );
    }
    out[name] = isBinary
      ? { DataType: v.DataType, BinaryValue: v.BinaryValue as string }
      : { DataType: v.DataType, StringValue: v.StringValue as string };
  }
  return out;
}

export interface SendEntry {
  MessageBody?: unknown;
  DelaySeconds?: unknown;
  MessageAttributes?: Record<string, unknown>;
  MessageGroupId?: unknown;
  MessageDeduplicationId?: unknown;
}

function optionalString(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParameter(name, v, `${name} must be a string.`);
  return v;
}

/** Sends one message and answers the SendMessage result members. */
export function sendOne(
  store: QueueStore,
  q: SqsQueue,
  e: SendEntry,
  ctx: CallContext,
): Record<string, unknown> {
  if (typeof e.MessageBody !== 'string' || e.MessageBody.length === 0)
    throw missingParameter('MessageBody');
  const body = e.MessageBody;
  if (INVALID_CHARS.test(body)) {
    throw new SqsError(
      'InvalidMessageContents',
      'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    );
  }
  const max = q.setting('MaximumMessageSize');
  if (Buffer.byteLength(body, 'utf8') > max) {
    throw invalidParameter('MessageBody', '(body)', `Message must be shorter than ${max} bytes.`);
  }
  let delaySeconds: number | undefined;
  if (e.DelaySeconds !== undefined && e.DelaySeconds !== null) {
    const d = Number(e.DelaySeconds);
    if (!Number.isInteger(d) || d < 0 || d > 900) {
      throw invalidParameter(
        'DelaySeconds',
        e.DelaySeconds,
        'DelaySeconds must be >= 0 and <= 900.',
      );
    }
    delaySeconds = d;
  }
  const attributes = readAttributes(e.MessageAttributes);
  const groupId = optionalString(e.MessageGroupId, 'MessageGroupId');
  const dedupId = optionalString(e.MessageDeduplicationId, 'MessageDeduplicationId');
  const { message } = q.send(
    {
      body,
      attributes,
      senderId: ctx.senderId,
      ...(delaySeconds !== undefined ? { delaySeconds } : {}),
      ...(groupId !== undefined ? { groupId } : {}),
      ...(dedupId !== undefined ? { dedupId } : {}),
    },
    store.now(),
    () => createHash('sha256').update(body, 'utf8').digest('hex'),
  );
  store.wake();
  return {
    MessageId: message.messageId,
    MD5OfMessageBody: md5Hex(body),
    MD5OfMessageAttributes: md5OfMessageAttributes(attributes),
    SequenceNumber: message.sequenceNumber,
  };
}
