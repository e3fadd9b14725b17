/**
 * The queue operations: CreateQueue, GetQueueUrl, Get/SetQueueAttributes, DeleteQueue,
 * ListQueues, PurgeQueue, tags and ListDeadLetterSourceQueues.
 */
import type { Response } from '../../http.js';
import { paginate } from '../pagination.js';
import type { Params } from '../protocol.js';
import { READ_ONLY, selectAttributes } from './attributes.js';
import { invalidParameter, ok, queueDoesNotExist, SqsError } from './protocol.js';
import type { SqsQueue } from './queue.js';
import type { QueueStore } from './store.js';

export interface CallContext {
  /** `http://host:port` as the client reached us: queue URLs are built from it. */
  origin: string;
  /** The caller's access key id, reported as a message's SenderId. */
  senderId: string;
}

export type SqsOperation = (p: Params, ctx: CallContext) => Response | Promise<Response>;

function stringMap(p: Params, name: string): Record<string, unknown> {
  return p.object(name) ?? {};
}

function maxResults(p: Params): number | undefined {
  const n = p.number('MaxResults', Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 1000)) {
    throw invalidParameter('MaxResults', n, 'MaxResults must be an integer between 1 and 1000.');
  }
  return n;
}

/** Paged when MaxResults is given, as ListQueues documents; otherwise the first 1000. */
function page<T>(items: T[], p: Params): { items: T[]; nextToken?: string } {
  const max = maxResults(p);
  const token = p.string('NextToken');
  if (max === undefined && token === undefined) return { items: items.slice(0, 1000) };
  return paginate(items, max ?? 1000, token);
}

function queueAttributes(store: QueueStore, q: SqsQueue): Record<string, string> {
  const now = store.now();
  q.expire(now);
  const counts = q.counts(now);
  return {
    ...q.settings,
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts['in-flight']),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(q.lastModifiedAt / 1000)),
    QueueArn: q.arn,
  };
}

export function queueOperations(store: QueueStore): Record<string, SqsOperation> {
  return {
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
    CreateQueue: (p, ctx) => {
      const q = store.create(p.requiredString('QueueName'), stringMap(p, 'Attributes'), ctx.origin);
      Object.assign(q.tags, p.object('tags') ?? {});
      return ok({ QueueUrl: q.url });
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueUrl.html
    GetQueueUrl: (p) => {
      const owner = p.string('QueueOwnerAWSAccountId');
      const q = store.byName(p.requiredString('QueueName'));
      if (!q || (owner !== undefined && owner !== store.accountId)) throw queueDoesNotExist();
      return ok({ QueueUrl: q.url });
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
    GetQueueAttributes: (p) => {
      const q = store.byUrl(p.string('QueueUrl'));
      const names = p.stringList('AttributeNames');
      return ok({ Attributes: selectAttributes(names, queueAttributes(store, q)) });
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
    SetQueueAttributes: (p) => {
      const q = store.byUrl(p.string('QueueUrl'));
      const changes = stringMap(p, 'Attributes');
      for (const name of [...READ_ONLY, 'FifoQueue']) {
        // Read-only, or fixed at creation: SQS refuses them as unknown settable attributes.
        if (name in changes)
          throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
      store.update(q, changes);
      return ok();
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html
    DeleteQueue: (p) => {
      store.delete(store.byUrl(p.string('QueueUrl')));
      return ok();
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html
    ListQueues: (p) => {
      const prefix = p.string('QueueNamePrefix') ?? '';
      const urls = store
        .list()
        .filter((q) => q.name.startsWith(prefix))
        .map((q) => q.url);
      const { items, nextToken } = page(urls, p);
      return ok({ QueueUrls: items.length > 0 ? items : undefined, NextToken: nextToken });
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_PurgeQueue.html
    PurgeQueue: (p) => {
      store.byUrl(p.string('QueueUrl')).purge(store.now());
      return ok();
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListDeadLetterSourceQueues.html
    ListDeadLetterSourceQueues: (p) => {
      const dlq = store.byUrl(p.string('QueueUrl'));
      const urls = store
        .list()
        .filter((q) => q.redrive?.deadLetterTargetArn === dlq.arn)
        .map((q) => q.url);
      const { items, nextToken } = page(urls, p);
      return ok({ queueUrls: items, NextToken: nextToken });
    },

    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_TagQueue.html
    TagQueue: (p) => {
      const q = store.byUrl(p.string('QueueUrl'));
      Object.assign(q.tags, p.object('Tags') ?? {});
      return ok();
    },

    UntagQueue: (p) => {
      const q = store.byUrl(p.string('QueueUrl'));
      for (const key of p.stringList('TagKeys') ?? []) delete q.tags[key];
      return ok();
    },

    ListQueueTags: (p) => {
      const q = store.byUrl(p.string('QueueUrl'));
      return ok({ Tags: Object.keys(q.tags).length > 0 ? { ...q.tags } : undefined });
    },
  };
}
