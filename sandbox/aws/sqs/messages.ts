/**
 * The message operations: SendMessage(Batch), ReceiveMessage with long polling,
 * DeleteMessage(Batch) and ChangeMessageVisibility(Batch).
 */
import type { Params } from '../protocol.js';
import { type MessageAttributeValue, md5Hex, md5OfMessageAttributes } from './md5.js';
import { invalidParameter, missingParameter, ok, SqsError } from './protocol.js';
import type { SqsQueue, StoredMessage } from './queue.js';
import type { SqsOperation } from './queues.js';
import { type SendEntry, sendOne } from './send.js';
import type { QueueStore } from './store.js';

const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'DeadLetterQueueSourceArn',
];

function intParam(
  p: Params,
  name: string,
  min: number,
  max: number,
  reason: string,
): number | undefined {
  const v = p.number(name, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  if (v !== undefined && (!Number.isInteger(v) || v < min || v > max))
    throw invalidParameter(name, v, reason);
  return v;
}

function systemAttributes(
  m: StoredMessage,
  requested: string[],
): Record<string, string> | undefined {
  if (requested.length === 0) return undefined;
  const all: Record<string, string | undefined> = {
    SenderId: m.senderId,
    SentTimestamp: String(m.sentAt),
    ApproximateReceiveCount: String(m.receiveCount),
    ApproximateFirstReceiveTimestamp:
      m.firstReceiveAt === undefined ? undefined : String(m.firstReceiveAt),
    SequenceNumber: m.sequenceNumber,
    MessageDeduplicationId: m.dedupId,
    MessageGroupId: m.groupId,
    DeadLetterQueueSourceArn: m.deadLetterSourceArn,
  };
  const names = requested.includes('All') ? SYSTEM_ATTRIBUTES : requested;
  const out: Record<string, string> = {};
  for (const n of names) if (all[n] !== undefined) out[n] = all[n] as string;
  return out;
}

/** `All`, `.*`, a `prefix.*` or an exact name, as ReceiveMessage documents MessageAttributeNames. */
function selectMessageAttributes(
  m: StoredMessage,
  requested: string[],
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(m.attributes)) {
    const wanted = requested.some(
      (r) =>
        r === 'All' ||
        r === '.*' ||
        r === name ||
        (r.endsWith('.*') && name.startsWith(r.slice(0, -1))),
    );
    if (wanted) out[name] = value;
  }
  return out;
}

/** Runs a batch: validates the entry list, then answers Successful/Failed per entry. */
function batch<E extends { Id?: unknown }>(
  p: Params,
  run: (entry: E) => Record<string, unknown>,
): Record<string, unknown> {
  const entries = (p.list('Entries') ?? []) as E[];
  if (entries.length === 0)
    throw new SqsError('EmptyBatchRequest', 'There should be at least one entry in the request.');
  if (entries.length > 10) {
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
    );
  }
  const ids = new Set<string>();
  for (const e of entries) {
    if (typeof e.Id !== 'string' || !ENTRY_ID.test(e.Id)) {
      throw new SqsError(
        'InvalidBatchEntryId',
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
    }
    if (ids.has(e.Id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${e.Id} repeated.`);
    ids.add(e.Id);
  }
  const Successful: Record<string, unknown>[] = [];
  const Failed: Record<string, unknown>[] = [];
  for (const e of entries) {
    try {
      Successful.push({ Id: e.Id, ...run(e) });
    } catch (err) {
      if (!(err instanceof SqsError)) throw err;
      const body = err.body as { message: string };
      Failed.push({
        Id: e.Id,
        SenderFault: err.status < 500,
        Code: err.code,
        Message: body.message,
      });
    }
  }
  return { Successful, Failed };
}

function expired(handle: string): SqsError {
  return invalidParameter('ReceiptHandle', handle, 'The receipt handle has expired.');
}

/** Deletes by receipt handle: a stale handle still deletes on a standard queue, never on a FIFO queue. */
function deleteOne(store: QueueStore, q: SqsQueue, handle: unknown): void {
  if (typeof handle !== 'string' || handle === '') throw missingParameter('ReceiptHandle');
  const { message, stale } = q.resolveHandle(handle);
  if (!message) return;
  if (q.fifo && (stale || message.visibleAt <= store.now())) throw expired(handle);
  q.remove(message);
  store.wake();
}

function changeVisibility(store: QueueStore, q: SqsQueue, handle: unknown, timeout: unknown): void {
  if (typeof handle !== 'string' || handle === '') throw missingParameter('ReceiptHandle');
  const seconds = Number(timeout);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200) {
    throw invalidParameter(
      'VisibilityTimeout',
      timeout,
      'VisibilityTimeout must be an integer between 0 and 43200.',
    );
  }
  const { message, stale } = q.resolveHandle(handle);
  const now = store.now();
  if (!message || message.visibleAt <= now || (q.fifo && stale)) {
    if (q.fifo && stale) throw expired(handle);
    throw new SqsError('MessageNotInflight', 'The message referred to is not in flight.');
  }
  message.visibleAt = now + seconds * 1000;
  store.wake();
}

export function messageOperations(store: QueueStore): Record<string, SqsOperation> {
  return {
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
    // Dedup: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html
    SendMessage: (p, ctx) =>
      ok(sendOne(store, store.byUrl(p.string('QueueUrl')), p.raw as SendEntry, ctx)),

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
    SendMessageBatch: (p, ctx) => {
      const q = store.byUrl(p.string('QueueUrl'));
      const entries = (p.list('Entries') ?? []) as SendEntry[];
      const total = entries.reduce(
        (n, e) => n + (typeof e.MessageBody === 'string' ? Buffer.byteLength(e.MessageBody) : 0),
        0,
      );
      if (total > q.setting('MaximumMessageSize')) {
        throw new SqsError(
          'BatchRequestTooLong',
          `Batch requests cannot be longer than ${q.setting('MaximumMessageSize')} bytes.`,
        );
      }
      return ok(batch<SendEntry & { Id?: unknown }>(p, (e) => sendOne(store, q, e, ctx)));
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
    ReceiveMessage: async (p) => {
      const q = store.byUrl(p.string('QueueUrl'));
      const max =
        intParam(p, 'MaxNumberOfMessages', 1, 10, 'Must be between 1 and 10, if provided.') ?? 1;
      const visibility =
        intParam(
          p,
          'VisibilityTimeout',
          0,
          43_200,
          'VisibilityTimeout must be between 0 and 43200.',
        ) ?? q.setting('VisibilityTimeout');
      const wait =
        intParam(p, 'WaitTimeSeconds', 0, 20, 'Must be >= 0 and <= 20, if provided.') ??
        q.setting('ReceiveMessageWaitTimeSeconds');
      const system = [
        ...(p.stringList('AttributeNames') ?? []),
        ...(p.stringList('MessageSystemAttributeNames') ?? []),
      ];
      const userNames = p.stringList('MessageAttributeNames') ?? [];
      // Long polling runs on real time; the emulator clock decides visibility at each look.
      const deadline = Date.now() + wait * 1000;
      let received = store.receive(q, max, visibility);
      while (received.length === 0 && Date.now() < deadline) {
        await store.waitForChange(Math.min(100, deadline - Date.now()));
        if (store.byName(q.name) !== q) break;
        received = store.receive(q, max, visibility);
      }
      const Messages = received.map((m) => {
        const attrs = selectMessageAttributes(m, userNames);
        const hasAttrs = Object.keys(attrs).length > 0;
        return {
          MessageId: m.messageId,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: md5Hex(m.body),
          Body: m.body,
          Attributes: systemAttributes(m, system),
          MessageAttributes: hasAttrs ? attrs : undefined,
          MD5OfMessageAttributes: hasAttrs ? md5OfMessageAttributes(attrs) : undefined,
        };
      });
      return ok({ Messages: Messages.length > 0 ? Messages : undefined });
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html
    DeleteMessage: (p) => {
      deleteOne(store, store.byUrl(p.string('QueueUrl')), p.raw['ReceiptHandle']);
      return ok();
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html
    DeleteMessageBatch: (p) => {
      const q = store.byUrl(p.string('QueueUrl'));
      return ok(
        batch<{ Id?: unknown; ReceiptHandle?: unknown }>(p, (e) => {
          deleteOne(store, q, e.ReceiptHandle);
          return {};
        }),
      );
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html
    ChangeMessageVisibility: (p) => {
      const q = store.byUrl(p.string('QueueUrl'));
      if (p.raw['VisibilityTimeout'] === undefined) throw missingParameter('VisibilityTimeout');
      changeVisibility(store, q, p.raw['ReceiptHandle'], p.raw['VisibilityTimeout']);
      return ok();
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html
    ChangeMessageVisibilityBatch: (p) => {
      const q = store.byUrl(p.string('QueueUrl'));
      return ok(
        batch<{ Id?: unknown; ReceiptHandle?: unknown; VisibilityTimeout?: unknown }>(p, (e) => {
          changeVisibility(store, q, e.ReceiptHandle, e.VisibilityTimeout ?? 0);
          return {};
        }),
      );
    },
  };
}
