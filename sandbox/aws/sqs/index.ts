/**
 * A local Amazon SQS speaking the AWS JSON 1.0 protocol, for `@aws-sdk/client-sqs` (or
 * `aws sqs --endpoint-url`) with only the endpoint changed and fake static credentials.
 * One route, `POST /`; the operation comes from `x-amz-target: AmazonSQS.<Operation>`
 * and is named `sqs.<Operation>` for fault rules and the call log.
 *
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/Welcome.html
 */
import { FaultController, type FaultPlan } from '../../faults.js';
import { Router } from '../../http.js';
import { checkAuthorization, Params, targetOperation } from '../protocol.js';
import { messageOperations } from './messages.js';
import { SQS_TARGET_PREFIX, SqsError, sqsFaultResponse, toSqsWire } from './protocol.js';
import type { MessageState } from './queue.js';
import { type CallContext, queueOperations, type SqsOperation } from './queues.js';
import { QueueStore } from './store.js';

export { md5OfMessageAttributes } from './md5.js';

export interface SqsEmulatorOptions {
  /** Region in ARNs and the only SigV4 credential scope accepted (default us-east-1). */
  region?: string;
  /** Account id in queue URLs and ARNs (default '000000000000'). */
  accountId?: string;
  /** The service clock (delays, visibility, retention, dedup window). Long polls wait in real time. */
  now?: () => Date;
  faults?: FaultPlan;
}

export interface QueueSnapshot {
  name: string;
  url: string;
  arn: string;
  fifo: boolean;
  /** Settable attributes as the API reports them. */
  attributes: Record<string, string>;
  visible: number;
  inFlight: number;
  delayed: number;
}

export interface MessageSnapshot {
  messageId: string;
  body: string;
  messageAttributes: Record<
    string,
    { DataType: string; StringValue?: string; BinaryValue?: string }
  >;
  state: MessageState;
  receiveCount: number;
  sentAt: Date;
  groupId?: string;
  dedupId?: string;
  deadLetterSourceArn?: string;
}

export interface SqsEmulator {
  router: Router;
  /** In-process view of every queue, by name; for tests. */
  queues(): QueueSnapshot[];
  /** In-process view of a queue's messages in queue order (throws for an unknown queue). */
  messages(queueName: string): MessageSnapshot[];
}

const CREDENTIAL = /Credential=([^/,\s]+)\//;

/** Builds the emulator; serve `emulator.router.listener` with `listen()` from sandbox/http.ts. */
export function createSqsEmulator(opts: SqsEmulatorOptions = {}): SqsEmulator {
  const region = opts.region ?? 'us-east-1';
  const now = () => (opts.now?.() ?? new Date()).getTime();
  const store = new QueueStore(region, opts.accountId ?? '000000000000', now);
  const operations: Record<string, SqsOperation> = {
    ...queueOperations(store),
    ...messageOperations(store),
  };

  const router = new Router({
    faults: new FaultController(opts.faults),
    operationOf: (req) => {
      const op = targetOperation(req, SQS_TARGET_PREFIX);
      return op ? `sqs.${op}` : undefined;
    },
    faultBody: (status) => sqsFaultResponse(status),
    before: (req) => checkAuthorization(req, region, 'sqs'),
    after: (_req, res) => toSqsWire(res),
  });

  router.on('POST', '/', 'sqs.unknown', (req) => {
    const op = targetOperation(req, SQS_TARGET_PREFIX);
    const run = op === undefined ? undefined : operations[op];
    if (!run) {
      throw new SqsError(
        'UnsupportedOperation',
        `Unknown or unsupported operation ${req.header('x-amz-target') ?? '(no x-amz-target)'}`,
      );
    }
    const ctx: CallContext = {
      origin: `http://${req.header('host') ?? '127.0.0.1'}`,
      senderId: CREDENTIAL.exec(req.header('authorization') ?? '')?.[1] ?? 'AIDASANDBOX',
    };
    return run(Params.of(req), ctx);
  });

  return {
    router,
    queues: () =>
      store.list().map((q) => {
        const counts = q.counts(now());
        return {
          name: q.name,
          url: q.url,
          arn: q.arn,
          fifo: q.fifo,
          attributes: { ...q.settings },
          visible: counts.visible,
          inFlight: counts['in-flight'],
          delayed: counts.delayed,
        };
      }),
    messages(queueName) {
      const q = store.byName(queueName);
      if (!q) throw new Error(`no queue named ${queueName} in the SQS emulator`);
      const t = now();
      return q.messages.map((m) => ({
        messageId: m.messageId,
        body: m.body,
        messageAttributes: { ...m.attributes },
        state: q.stateOf(m, t),
        receiveCount: m.receiveCount,
        sentAt: new Date(m.sentAt),
        ...(m.groupId !== undefined ? { groupId: m.groupId } : {}),
        ...(m.dedupId !== undefined ? { dedupId: m.dedupId } : {}),
        ...(m.deadLetterSourceArn !== undefined
          ? { deadLetterSourceArn: m.deadLetterSourceArn }
          : {}),
      }));
    },
  };
}
