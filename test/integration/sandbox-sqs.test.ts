/**
 * The Amazon SQS emulator, exercised through the real `@aws-sdk/client-sqs` (AWS JSON 1.0,
 * with the SDK's own MD5 checks of every body it sends and receives).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  type SQSClientConfig,
  TagQueueCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSqsEmulator,
  md5OfMessageAttributes,
  type SqsEmulator,
} from '../../sandbox/aws/sqs/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';

interface AwsErr {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

async function failure(p: Promise<unknown>): Promise<AwsErr> {
  try {
    await p;
  } catch (err) {
    return err as AwsErr;
  }
  throw new Error('expected the call to fail');
}

const T0 = Date.parse('2025-03-01T12:00:00Z');
let clock = T0;
let emu: SqsEmulator;
let server: RunningServer;
const clients: SQSClient[] = [];

function client(extra: Partial<SQSClientConfig> = {}): SQSClient {
  const c = new SQSClient({
    region: 'us-east-1',
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIASANDBOX', secretAccessKey: 'sandbox-not-a-secret' },
    ...extra,
  });
  clients.push(c);
  return c;
}

/** Moves the emulator's clock forward by `seconds`. */
function advance(seconds: number): void {
  clock += seconds * 1000;
}

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  const out = await client().send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  return out.QueueUrl!;
}

async function receive(url: string, extra: Record<string, unknown> = {}) {
  const out = await client().send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['All'],
      ...extra,
    }),
  );
  return out.Messages ?? [];
}

async function attributesOf(url: string): Promise<Record<string, string>> {
  const out = await client().send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
  );
  return out.Attributes ?? {};
}

beforeEach(async () => {
  clock = T0;
  emu = createSqsEmulator({ now: () => new Date(clock) });
  server = await listen(emu.router.listener);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
});

describe('queues', () => {
  it('creates a queue whose URL the SDK reaches, idempotently for the same attributes', async () => {
    const url = await createQueue('rotations', { VisibilityTimeout: '45' });
    expect(url).toBe(`${server.url}/000000000000/rotations`);
    expect(await createQueue('rotations', { VisibilityTimeout: '45' })).toBe(url);
    const err = await failure(createQueue('rotations', { VisibilityTimeout: '60' }));
    expect(err.name).toBe('QueueNameExists');
    const got = await client().send(new GetQueueUrlCommand({ QueueName: 'rotations' }));
    expect(got.QueueUrl).toBe(url);
  });

  it('reports attributes, counters and the ARN, and changes settable attributes', async () => {
    const url = await createQueue('jobs');
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a' }));
    await client().send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'b', DelaySeconds: 60 }),
    );
    await receive(url, { MaxNumberOfMessages: 1 });
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'c' }));
    const attrs = await attributesOf(url);
    expect(attrs).toMatchObject({
      QueueArn: 'arn:aws:sqs:us-east-1:000000000000:jobs',
      VisibilityTimeout: '30',
      MessageRetentionPeriod: '345600',
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '1',
      CreatedTimestamp: String(T0 / 1000),
    });
    await client().send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '5' } }),
    );
    const only = await client().send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(only.Attributes).toEqual({ VisibilityTimeout: '5' });
  });

  it('refuses unknown attributes and out-of-range values with named errors', async () => {
    expect((await failure(createQueue('bad', { Colour: 'blue' }))).name).toBe(
      'InvalidAttributeName',
    );
    expect((await failure(createQueue('bad', { VisibilityTimeout: '50000' }))).name).toBe(
      'InvalidAttributeValue',
    );
    expect((await failure(createQueue('bad', { ContentBasedDeduplication: 'true' }))).name).toBe(
      'InvalidAttributeName',
    );
    expect((await failure(createQueue('no-suffix', { FifoQueue: 'true' }))).name).toBe(
      'InvalidParameterValue',
    );
  });

  it('lists queues by prefix with paging, and tags them', async () => {
    for (const n of ['a-1', 'a-2', 'a-3', 'b-1']) await createQueue(n);
    const first = await client().send(
      new ListQueuesCommand({ QueueNamePrefix: 'a-', MaxResults: 2 }),
    );
    expect(first.QueueUrls?.map((u) => u.split('/').pop())).toEqual(['a-1', 'a-2']);
    const second = await client().send(
      new ListQueuesCommand({ QueueNamePrefix: 'a-', MaxResults: 2, NextToken: first.NextToken }),
    );
    expect(second.QueueUrls?.map((u) => u.split('/').pop())).toEqual(['a-3']);
    expect(second.NextToken).toBeUndefined();
    const url = first.QueueUrls![0]!;
    await client().send(new TagQueueCommand({ QueueUrl: url, Tags: { team: 'platform' } }));
    expect((await client().send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags).toEqual({
      team: 'platform',
    });
  });

  it('deletes a queue: every later call names QueueDoesNotExist, and the name is blocked for 60 s', async () => {
    const url = await createQueue('gone');
    await client().send(new DeleteQueueCommand({ QueueUrl: url }));
    const err = await failure(
      client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })),
    );
    expect(err.name).toBe('QueueDoesNotExist');
    expect(err.message).toBe('The specified queue does not exist.');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect((await failure(client().send(new GetQueueUrlCommand({ QueueName: 'gone' })))).name).toBe(
      'QueueDoesNotExist',
    );
    expect((await failure(createQueue('gone'))).name).toBe('QueueDeletedRecently');
    advance(61);
    expect(await createQueue('gone')).toBe(url);
  });

  it('purges every message, and refuses a second purge within 60 s', async () => {
    const url = await createQueue('purged');
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    await client().send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(emu.messages('purged')).toHaveLength(0);
    expect((await failure(client().send(new PurgeQueueCommand({ QueueUrl: url })))).name).toBe(
      'PurgeQueueInProgress',
    );
  });
});

describe('sending and receiving', () => {
  it('round-trips a body and message attributes with digests the SDK verifies', async () => {
    const url = await createQueue('round-trip');
    const attributes = {
      credential: { DataType: 'String', StringValue: 'gitlab/project-token' },
      attempt: { DataType: 'Number', StringValue: '1' },
      blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
    };
    const sent = await client().send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{"rotate":"ci-token"}',
        MessageAttributes: attributes,
      }),
    );
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const [msg] = await receive(url, { MessageAttributeNames: ['All'] });
    expect(msg?.MessageId).toBe(sent.MessageId);
    expect(msg?.Body).toBe('{"rotate":"ci-token"}');
    expect(msg?.MessageAttributes?.['credential']?.StringValue).toBe('gitlab/project-token');
    expect(
      Buffer.from(msg?.MessageAttributes?.['blob']?.BinaryValue ?? []).equals(
        Buffer.from([1, 2, 3]),
      ),
    ).toBe(true);
    expect(msg?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(msg?.Attributes).toMatchObject({
      ApproximateReceiveCount: '1',
      SentTimestamp: String(T0),
      SenderId: 'AKIASANDBOX',
    });
  });

  it('computes the attribute digest exactly as SQS documents it', () => {
    // The published example vector: one String attribute.
    expect(
      md5OfMessageAttributes({ attribName1: { DataType: 'String', StringValue: 'attribValue 1' } }),
    ).toBe('19e27d4e946b072f3f58da80d94fd778');
  });

  it('returns only the message attributes asked for, by name or prefix', async () => {
    const url = await createQueue('select');
    await client().send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'x',
        MessageAttributes: {
          'trace.id': { DataType: 'String', StringValue: 't' },
          'trace.span': { DataType: 'String', StringValue: 's' },
          other: { DataType: 'String', StringValue: 'o' },
        },
      }),
    );
    const [msg] = await receive(url, { MessageAttributeNames: ['trace.*'] });
    expect(Object.keys(msg?.MessageAttributes ?? {}).sort()).toEqual(['trace.id', 'trace.span']);
  });

  it('holds a delayed message back until its delay has passed', async () => {
    const url = await createQueue('delayed');
    await client().send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 10 }),
    );
    expect(await receive(url)).toHaveLength(0);
    advance(10);
    expect((await receive(url)).map((m) => m.Body)).toEqual(['later']);
  });

  it('refuses a body with characters outside XML 1.0 and a receive asking for more than 10', async () => {
    const url = await createQueue('strict');
    const bad = await failure(
      client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a\u0000b' })),
    );
    expect(bad.name).toBe('InvalidMessageContents');
    const tooMany = await failure(
      client().send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
    );
    expect(tooMany.name).toBe('InvalidParameterValue');
  });

  it('answers a batch send entry by entry, failing only the bad entries', async () => {
    const url = await createQueue('batch');
    const out = await client().send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok-1', MessageBody: 'one' },
          { Id: 'too-late', MessageBody: 'two', DelaySeconds: 901 },
          { Id: 'ok-2', MessageBody: 'three' },
        ],
      }),
    );
    expect(out.Successful?.map((e) => e.Id)).toEqual(['ok-1', 'ok-2']);
    expect(out.Failed).toEqual([
      expect.objectContaining({ Id: 'too-late', SenderFault: true, Code: 'InvalidParameterValue' }),
    ]);
    expect(emu.messages('batch').map((m) => m.body)).toEqual(['one', 'three']);
  });

  it('refuses malformed batches as a whole', async () => {
    const url = await createQueue('batch-errors');
    const send = (Entries: { Id: string; MessageBody: string }[]) =>
      failure(client().send(new SendMessageBatchCommand({ QueueUrl: url, Entries })));
    expect((await send([])).name).toBe('EmptyBatchRequest');
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' }));
    expect((await send(eleven)).name).toBe('TooManyEntriesInBatchRequest');
    expect(
      (
        await send([
          { Id: 'a', MessageBody: 'x' },
          { Id: 'a', MessageBody: 'y' },
        ])
      ).name,
    ).toBe('BatchEntryIdsNotDistinct');
    expect((await send([{ Id: 'not ok!', MessageBody: 'x' }])).name).toBe('InvalidBatchEntryId');
    expect(emu.messages('batch-errors')).toHaveLength(0);
  });
});

describe('visibility and deletion', () => {
  it('redelivers an undeleted message after its visibility timeout with a higher receive count', async () => {
    const url = await createQueue('redeliver', { VisibilityTimeout: '30' });
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const [first] = await receive(url);
    expect(await receive(url)).toHaveLength(0);
    expect(emu.messages('redeliver')[0]?.state).toBe('in-flight');
    advance(30);
    const [second] = await receive(url);
    expect(second?.MessageId).toBe(first?.MessageId);
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(second?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(String(T0));
  });

  it('honours a per-receive visibility timeout and ChangeMessageVisibility', async () => {
    const url = await createQueue('change-visibility');
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const [msg] = await receive(url, { VisibilityTimeout: 5 });
    advance(4);
    await client().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: msg?.ReceiptHandle,
        VisibilityTimeout: 60,
      }),
    );
    advance(10);
    expect(await receive(url)).toHaveLength(0);
    await client().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: msg?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const [again] = await receive(url);
    expect(again?.Body).toBe('job');
  });

  it('refuses to change the visibility of a message that is not in flight', async () => {
    const url = await createQueue('not-inflight');
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const [msg] = await receive(url, { VisibilityTimeout: 5 });
    advance(6);
    const err = await failure(
      client().send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: msg?.ReceiptHandle,
          VisibilityTimeout: 30,
        }),
      ),
    );
    expect(err.name).toBe('MessageNotInflight');
  });

  it('deletes by receipt handle; a stale handle still deletes on a standard queue', async () => {
    const url = await createQueue('delete');
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'job' }));
    const [old] = await receive(url, { VisibilityTimeout: 1 });
    advance(1);
    await receive(url);
    await client().send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: old?.ReceiptHandle }),
    );
    expect(emu.messages('delete')).toHaveLength(0);
    // Deleting an already-deleted message succeeds, as SQS documents.
    await client().send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: old?.ReceiptHandle }),
    );
    const err = await failure(
      client().send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })),
    );
    expect(err.name).toBe('ReceiptHandleIsInvalid');
    expect(err.$metadata?.httpStatusCode).toBe(404);
  });

  it('answers batch deletes and visibility changes entry by entry', async () => {
    const url = await createQueue('batch-delete');
    for (const body of ['a', 'b'])
      await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    const msgs = await receive(url);
    const del = await client().send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'a', ReceiptHandle: msgs[0]?.ReceiptHandle },
          { Id: 'bogus', ReceiptHandle: 'not-a-handle' },
        ],
      }),
    );
    expect(del.Successful?.map((e) => e.Id)).toEqual(['a']);
    expect(del.Failed?.[0]).toMatchObject({
      Id: 'bogus',
      Code: 'ReceiptHandleIsInvalid',
      SenderFault: true,
    });
    const change = await client().send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'b', ReceiptHandle: msgs[1]?.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'gone', ReceiptHandle: msgs[0]?.ReceiptHandle, VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(change.Successful?.map((e) => e.Id)).toEqual(['b']);
    expect(change.Failed?.[0]).toMatchObject({
      Id: 'gone',
      Code: 'AWS.SimpleQueueService.MessageNotInflight',
    });
    expect((await receive(url)).map((m) => m.Body)).toEqual(['b']);
  });

  it('drops messages older than the retention period', async () => {
    const url = await createQueue('retention', { MessageRetentionPeriod: '60' });
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'old' }));
    advance(61);
    expect(await receive(url)).toHaveLength(0);
    expect((await attributesOf(url)).ApproximateNumberOfMessages).toBe('0');
  });
});

describe('FIFO queues', () => {
  it('accepts a duplicate within five minutes without delivering it again', async () => {
    const url = await createQueue('jobs.fifo', { FifoQueue: 'true' });
    const send = () =>
      client().send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: 'rotate ci-token',
          MessageGroupId: 'ci-token',
          MessageDeduplicationId: 'rotate-ci-token-2025-03-01',
        }),
      );
    const first = await send();
    const second = await send();
    expect(second.MessageId).toBe(first.MessageId);
    expect(first.SequenceNumber).toMatch(/^\d{20,}$/);
    const got = await receive(url);
    expect(got.map((m) => m.MessageId)).toEqual([first.MessageId]);
    expect(got[0]?.Attributes).toMatchObject({
      MessageGroupId: 'ci-token',
      MessageDeduplicationId: 'rotate-ci-token-2025-03-01',
    });
    await client().send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got[0]?.ReceiptHandle }),
    );
    advance(5 * 60);
    const third = await send();
    expect(third.MessageId).not.toBe(first.MessageId);
    expect((await receive(url)).map((m) => m.MessageId)).toEqual([third.MessageId]);
  });

  it('deduplicates by content when ContentBasedDeduplication is on', async () => {
    const url = await createQueue('content.fifo', {
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
    });
    const a = await client().send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }),
    );
    const b = await client().send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }),
    );
    expect(b.MessageId).toBe(a.MessageId);
    expect(emu.messages('content.fifo')).toHaveLength(1);
  });

  it('delivers each message group in order, one in-flight batch per group', async () => {
    const url = await createQueue('order.fifo', {
      FifoQueue: 'true',
      ContentBasedDeduplication: 'true',
    });
    for (const [group, body] of [
      ['a', 'a1'],
      ['b', 'b1'],
      ['a', 'a2'],
      ['a', 'a3'],
    ] as const) {
      await client().send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group }),
      );
    }
    const [a1] = await receive(url, { MaxNumberOfMessages: 1 });
    expect(a1?.Body).toBe('a1');
    // Group a is blocked while a1 is in flight; group b is not.
    expect((await receive(url)).map((m) => m.Body)).toEqual(['b1']);
    await client().send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: a1?.ReceiptHandle }),
    );
    expect((await receive(url)).map((m) => m.Body)).toEqual(['a2', 'a3']);
  });

  it('requires a group id and a deduplication source, and refuses stale receipt handles', async () => {
    const url = await createQueue('strict.fifo', { FifoQueue: 'true' });
    const noGroup = await failure(
      client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })),
    );
    expect(noGroup.name).toBe('MissingParameter');
    const noDedup = await failure(
      client().send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' }),
      ),
    );
    expect(noDedup.name).toBe('InvalidParameterValue');
    await client().send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'x',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'd',
      }),
    );
    const [msg] = await receive(url, { VisibilityTimeout: 1 });
    advance(2);
    const err = await failure(
      client().send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: msg?.ReceiptHandle })),
    );
    expect(err.name).toBe('InvalidParameterValue');
    expect(err.message).toContain('The receipt handle has expired');
    expect(emu.messages('strict.fifo')).toHaveLength(1);
  });
});

describe('dead-letter queues', () => {
  it('moves a message to the dead-letter queue once it was received maxReceiveCount times', async () => {
    const dlq = await createQueue('rotations-dlq');
    const dlqArn = (await attributesOf(dlq)).QueueArn!;
    const url = await createQueue('rotations', {
      VisibilityTimeout: '10',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
    });
    const sent = await client().send(
      new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }),
    );
    const counts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const [m] = await receive(url);
      counts.push(m?.Attributes?.ApproximateReceiveCount ?? '');
      advance(10);
    }
    expect(counts).toEqual(['1', '2']);
    expect(await receive(url)).toHaveLength(0);
    const [dead] = await receive(dlq);
    expect(dead?.MessageId).toBe(sent.MessageId);
    expect(dead?.Body).toBe('poison');
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(
      'arn:aws:sqs:us-east-1:000000000000:rotations',
    );
    const sources = await client().send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }));
    expect(sources.queueUrls).toEqual([url]);
  });

  it('refuses a redrive policy whose target does not exist or is of the other queue type', async () => {
    const missing = await failure(
      createQueue('src', {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:nope',
          maxReceiveCount: 3,
        }),
      }),
    );
    expect(missing.name).toBe('InvalidParameterValue');
    expect(missing.message).toContain('Dead letter target does not exist');
    const fifoDlq = await createQueue('dlq.fifo', { FifoQueue: 'true' });
    const arn = (await attributesOf(fifoDlq)).QueueArn!;
    const mixed = await failure(
      createQueue('src', {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 3 }),
      }),
    );
    expect(mixed.name).toBe('InvalidParameterValue');
  });
});

describe('long polling', () => {
  it('returns as soon as a message arrives instead of waiting out WaitTimeSeconds', async () => {
    const url = await createQueue('long-poll');
    const started = Date.now();
    const pending = receive(url, { WaitTimeSeconds: 10 });
    await new Promise((r) => setTimeout(r, 200));
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
    const got = await pending;
    expect(got.map((m) => m.Body)).toEqual(['wake up']);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('answers an empty list after the wait when nothing arrives', async () => {
    const url = await createQueue('quiet', { ReceiveMessageWaitTimeSeconds: '1' });
    const started = Date.now();
    expect(await receive(url)).toHaveLength(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('faults', () => {
  it('answers an injected 429 as RequestThrottled, which the SDK retries', async () => {
    const url = await createQueue('throttled');
    emu.router.faults.addRule({
      operation: 'sqs.SendMessage',
      nth: 1,
      action: { type: 'status', status: 429 },
    });
    const out = await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    expect(out.$metadata.attempts).toBe(2);
    expect(
      emu.router.calls.filter((c) => c.operation === 'sqs.SendMessage').map((c) => c.status),
    ).toEqual([403, 200]);
    const err = await failure(
      (() => {
        emu.router.faults.addRule({
          operation: 'sqs.GetQueueUrl',
          action: { type: 'status', status: 429 },
        });
        return client({ maxAttempts: 1 }).send(new GetQueueUrlCommand({ QueueName: 'throttled' }));
      })(),
    );
    expect(err.name).toBe('RequestThrottled');
  });

  it('answers an injected 500 without doing the work, so the retried send enqueues once', async () => {
    const url = await createQueue('five-hundred');
    emu.router.faults.addRule({
      operation: 'sqs.SendMessage',
      nth: 1,
      action: { type: 'status', status: 500 },
    });
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    expect(emu.messages('five-hundred')).toHaveLength(1);
    const err = await failure(
      (() => {
        emu.router.faults.addRule({
          operation: 'sqs.SendMessage',
          action: { type: 'status', status: 503 },
        });
        return client({ maxAttempts: 1 }).send(
          new SendMessageCommand({ QueueUrl: url, MessageBody: 'y' }),
        );
      })(),
    );
    expect(err.$metadata?.httpStatusCode).toBe(503);
  });

  it('hangs a call until the client gives up, without doing the work', async () => {
    const url = await createQueue('hang');
    emu.router.faults.addRule({
      operation: 'sqs.SendMessage',
      action: { type: 'hang', ms: 2_000 },
    });
    const c = client({
      maxAttempts: 1,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    const started = Date.now();
    const err = await failure(c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })));
    expect(err.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(emu.messages('hang')).toHaveLength(0);
  });

  it('commits a send before the crash: the SDK retry duplicates it on a standard queue, not on FIFO', async () => {
    const std = await createQueue('crash');
    const fifo = await createQueue('crash.fifo', { FifoQueue: 'true' });
    emu.router.faults.addRule({
      operation: 'sqs.SendMessage',
      nth: 1,
      action: { type: 'crash-after-commit' },
    });
    await client().send(new SendMessageCommand({ QueueUrl: std, MessageBody: 'x' }));
    expect(emu.messages('crash')).toHaveLength(2);
    emu.router.faults.addRule({
      operation: 'sqs.SendMessage',
      nth: 2,
      action: { type: 'crash-after-commit' },
    });
    await client().send(
      new SendMessageCommand({
        QueueUrl: fifo,
        MessageBody: 'x',
        MessageGroupId: 'g',
        MessageDeduplicationId: 'once',
      }),
    );
    expect(emu.messages('crash.fifo')).toHaveLength(1);
  });

  it('adds the planned latency to every call', async () => {
    const url = await createQueue('slow');
    emu.router.faults.setPlan({ latency: 150 });
    const started = Date.now();
    await client().send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('refuses a request signed for another service, as SigV4 scoping would', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AmazonSQS.ListQueues',
        'x-amz-date': '20250301T120000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=AKIA/20250301/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
      },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-query-error')).toBe('InvalidSignatureException;Sender');
  });
});

describe('in-process view', () => {
  it('shows queues and messages with their states for tests', async () => {
    const url = await createQueue('view');
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a' }));
    await client().send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'b' }));
    await receive(url, { MaxNumberOfMessages: 1 });
    expect(emu.queues()).toEqual([
      expect.objectContaining({
        name: 'view',
        url,
        fifo: false,
        visible: 1,
        inFlight: 1,
        delayed: 0,
      }),
    ]);
    expect(emu.messages('view').map((m) => [m.body, m.state, m.receiveCount])).toEqual([
      ['a', 'in-flight', 1],
      ['b', 'visible', 0],
    ]);
  });
});
