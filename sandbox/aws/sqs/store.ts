/**
 * Every queue of the emulated account: creation (idempotent for equal attributes, the
 * 60-second wait after a deletion), lookup by URL or ARN, receive with redrive to the
 * dead-letter queue, and the wake-ups that end a long poll as soon as a message arrives.
 *
 * CreateQueue:   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
 * Dead letters:  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 * Long polling:  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
 */
import { defaultSettings, validateSettings } from './attributes.js';
import { invalidParameter, queueDoesNotExist, SqsError } from './protocol.js';
import { SqsQueue, type StoredMessage } from './queue.js';

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;

export class QueueStore {
  private readonly queues = new Map<string, SqsQueue>();
  private readonly deletedAt = new Map<string, number>();
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly region: string,
    readonly accountId: string,
    readonly now: () => number,
  ) {}

  arnOf(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  create(name: string, attributes: Record<string, unknown>, origin: string): SqsQueue {
    const fifo = attributes['FifoQueue'] === 'true' || attributes['FifoQueue'] === 'TRUE';
    if (fifo ? !FIFO_NAME.test(name) : !NAME.test(name)) {
      throw invalidParameter(
        'QueueName',
        name,
        fifo || name.endsWith('.fifo')
          ? 'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.'
          : 'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const settings = {
      ...defaultSettings(fifo),
      ...validateSettings(attributes, fifo, (arn) => this.byArn(arn)),
    };
    const existing = this.queues.get(name);
    if (existing) {
      for (const [k, v] of Object.entries(settings)) {
        if (existing.settings[k] !== v) {
          throw new SqsError(
            'QueueNameExists',
            `A queue already exists with the same name and a different value for attribute ${k}`,
          );
        }
      }
      return existing;
    }
    const deleted = this.deletedAt.get(name);
    if (deleted !== undefined && this.now() - deleted < 60_000) {
      throw new SqsError(
        'QueueDeletedRecently',
        'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
      );
    }
    const url = `${origin}/${this.accountId}/${name}`;
    const queue = new SqsQueue(name, this.arnOf(name), url, fifo, settings, this.now());
    this.queues.set(name, queue);
    return queue;
  }

  update(queue: SqsQueue, attributes: Record<string, unknown>): void {
    const changes = validateSettings(attributes, queue.fifo, (arn) => this.byArn(arn));
    for (const [k, v] of Object.entries(changes)) {
      if (v === '') delete queue.settings[k];
      else queue.settings[k] = v;
    }
    queue.lastModifiedAt = this.now();
    this.wake();
  }

  /** The queue named by the last segment of a queue URL (any host: the SDK sends ours back). */
  byUrl(queueUrl: string | undefined): SqsQueue {
    if (!queueUrl) {
      throw new SqsError(
        'MissingRequiredParameterException',
        'The request must contain the parameter QueueUrl.',
      );
    }
    let path: string;
    try {
      path = new URL(queueUrl).pathname;
    } catch {
      path = queueUrl;
    }
    const [account, name] = path.split('/').filter(Boolean).slice(-2);
    const queue = name === undefined ? undefined : this.queues.get(name);
    if (!queue || account !== this.accountId) throw queueDoesNotExist();
    return queue;
  }

  byName(name: string): SqsQueue | undefined {
    return this.queues.get(name);
  }

  byArn(arn: string): SqsQueue | undefined {
    return [...this.queues.values()].find((q) => q.arn === arn);
  }

  delete(queue: SqsQueue): void {
    this.queues.delete(queue.name);
    this.deletedAt.set(queue.name, this.now());
    this.wake();
  }

  list(): SqsQueue[] {
    return [...this.queues.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Receives up to `max` messages. A message whose receive count already reached the
   * redrive policy's maxReceiveCount is moved to the dead-letter queue instead of being
   * received again (so it is received exactly maxReceiveCount times from the source).
   */
  receive(queue: SqsQueue, max: number, visibilitySeconds: number): StoredMessage[] {
    const now = this.now();
    queue.expire(now);
    const redrive = queue.redrive;
    const dlq = redrive ? this.byArn(redrive.deadLetterTargetArn) : undefined;
    const out: StoredMessage[] = [];
    for (const m of queue.candidates(now)) {
      if (out.length >= max) break;
      if (redrive && dlq && m.receiveCount >= redrive.maxReceiveCount) {
        queue.remove(m);
        dlq.adopt(m, queue.arn, now);
        continue;
      }
      queue.markReceived(m, now, visibilitySeconds);
      out.push(m);
    }
    if (dlq) this.wake();
    return out;
  }

  /** Resolves after `ms` of real time, or sooner when something may have become receivable. */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.waiters.add(done);
    });
  }

  wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
