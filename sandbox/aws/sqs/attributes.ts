/**
 * Queue attributes: the settable ones with their documented ranges and defaults, the
 * redrive policy, and the read-only counters GetQueueAttributes computes.
 *
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
import { invalidParameter, SqsError } from './protocol.js';

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

/** The settable attributes, as strings the way the API carries them. */
export type QueueSettings = Record<string, string>;

const NUMERIC: Record<string, [min: number, max: number, fallback: number]> = {
  DelaySeconds: [0, 900, 0],
  MaximumMessageSize: [1024, 1_048_576, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600, 345_600],
  ReceiveMessageWaitTimeSeconds: [0, 20, 0],
  VisibilityTimeout: [0, 43_200, 30],
  KmsDataKeyReusePeriodSeconds: [60, 86_400, 300],
};

const FREE_FORM = new Set(['Policy', 'KmsMasterKeyId', 'RedriveAllowPolicy']);
const BOOLEAN = new Set(['SqsManagedSseEnabled']);
const FIFO_ONLY: Record<string, string[] | 'boolean'> = {
  ContentBasedDeduplication: 'boolean',
  DeduplicationScope: ['messageGroup', 'queue'],
  FifoThroughputLimit: ['perQueue', 'perMessageGroupId'],
};

/** The read-only attributes GetQueueAttributes answers. */
export const READ_ONLY = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
];

export function defaultSettings(fifo: boolean): QueueSettings {
  const out: QueueSettings = {};
  for (const [name, [, , fallback]] of Object.entries(NUMERIC)) out[name] = String(fallback);
  out['SqsManagedSseEnabled'] = 'true';
  if (fifo) {
    out['FifoQueue'] = 'true';
    out['ContentBasedDeduplication'] = 'false';
    out['DeduplicationScope'] = 'queue';
    out['FifoThroughputLimit'] = 'perQueue';
  }
  return out;
}

function invalidValue(name: string): SqsError {
  return new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
}

function unknownAttribute(name: string): SqsError {
  return new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
}

/**
 * Validates `changes` for a queue of this kind and answers the normalised values.
 * `resolveArn` says whether a dead-letter target exists and whether it is FIFO.
 */
export function validateSettings(
  changes: Record<string, unknown>,
  fifo: boolean,
  resolveArn: (arn: string) => { fifo: boolean } | undefined,
): QueueSettings {
  const out: QueueSettings = {};
  for (const [name, raw] of Object.entries(changes)) {
    if (typeof raw !== 'string') throw invalidValue(name);
    const range = NUMERIC[name];
    if (range) {
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < range[0] || n > range[1]) throw invalidValue(name);
      out[name] = String(n);
    } else if (FREE_FORM.has(name)) out[name] = raw;
    else if (BOOLEAN.has(name)) out[name] = booleanValue(name, raw);
    else if (name === 'FifoQueue') {
      // Only meaningful at creation; the caller checks it against the queue's name.
      if (booleanValue(name, raw) !== String(fifo)) throw invalidValue(name);
      out[name] = String(fifo);
    } else if (name in FIFO_ONLY) {
      if (!fifo) throw unknownAttribute(name);
      const allowed = FIFO_ONLY[name]!;
      if (allowed === 'boolean') out[name] = booleanValue(name, raw);
      else if (allowed.includes(raw)) out[name] = raw;
      else throw invalidValue(name);
    } else if (name === 'RedrivePolicy') {
      out[name] = raw === '' ? '' : JSON.stringify(parseRedrive(raw, fifo, resolveArn));
    } else throw unknownAttribute(name);
  }
  return out;
}

function booleanValue(name: string, raw: string): string {
  const v = raw.toLowerCase();
  if (v !== 'true' && v !== 'false') throw invalidValue(name);
  return v;
}

function parseRedrive(
  raw: string,
  fifo: boolean,
  resolveArn: (arn: string) => { fifo: boolean } | undefined,
): RedrivePolicy {
  const reject = (reason: string) => invalidParameter('RedrivePolicy', raw, reason);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw reject('Redrive policy is not a valid JSON map.');
  }
  const p = (parsed ?? {}) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  if (typeof p.deadLetterTargetArn !== 'string') throw reject('Dead letter target does not exist.');
  const count = Number(p.maxReceiveCount);
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw reject('Invalid value for maxReceiveCount: must be an integer from 1 to 1000.');
  }
  const target = resolveArn(p.deadLetterTargetArn);
  if (!target) throw reject('Dead letter target does not exist.');
  if (target.fifo !== fifo) {
    throw reject('Dead-letter queue must be the same type of queue as the source queue.');
  }
  return { deadLetterTargetArn: p.deadLetterTargetArn, maxReceiveCount: count };
}

export function redrivePolicyOf(settings: QueueSettings): RedrivePolicy | undefined {
  const raw = settings['RedrivePolicy'];
  return raw ? (JSON.parse(raw) as RedrivePolicy) : undefined;
}

/** `All` or the named attributes; unknown names are refused as SQS does. */
export function selectAttributes(
  requested: string[] | undefined,
  available: Record<string, string>,
): Record<string, string> | undefined {
  if (!requested || requested.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const name of requested) {
    if (name === 'All') return { ...available };
    const known =
      name in NUMERIC ||
      FREE_FORM.has(name) ||
      BOOLEAN.has(name) ||
      name in FIFO_ONLY ||
      name === 'FifoQueue' ||
      name === 'RedrivePolicy' ||
      READ_ONLY.includes(name);
    if (!known) throw unknownAttribute(name);
    if (available[name] !== undefined) out[name] = available[name];
  }
  return out;
}
