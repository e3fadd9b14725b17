/**
 * A rotation job: what the scheduled scan and the webhooks put on the queue and the
 * worker takes off it. One job names one credential; the worker runs the rotation
 * protocol for it. A job never carries a secret value (a leaked value travels only as its
 * SHA-256), so queue messages, dead-letter queues and logs are safe to read.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CredrotError } from '../errors.js';
import type { Trigger } from '../rotation/engine.js';

export const JOB_REASONS = ['expiry', 'manual', 'leak'] as const;
export type JobReason = (typeof JOB_REASONS)[number];

/** Where a comment command asked for the rotation: the worker posts the outcome there. */
export interface ReplyTarget {
  /** The GitLab connection whose instance holds the issue or merge request. */
  connection: string;
  projectId: number;
  noteable: 'issue' | 'merge_request';
  /** The issue's or merge request's iid within the project. */
  iid: number;
  /** Username of the person who asked (for the reply's mention). */
  requestedBy: string;
}

export interface RotationJob {
  /** The credential's name in the configuration. */
  credential: string;
  trigger: Trigger;
  reason: JobReason;
  /** Rotate even when the policy says it is not due (manual commands, leaks). */
  force: boolean;
  /**
   * Identical for every job that asks for the same thing (one GitLab event, one command
   * within its window, one schedule slot): the queue and the webhook de-duplicate on it.
   * At most 128 characters of [A-Za-z0-9:_-] (an SQS MessageDeduplicationId).
   */
  dedupeKey: string;
  /** ISO-8601 instant the trigger asked for the rotation. */
  requestedAt: string;
  reply?: ReplyTarget;
  /** For a leak: the SHA-256 (hex) of the leaked value, to tell a current from a previous value. */
  leakedSha256?: string;
}

const TRIGGERS = [
  'schedule',
  'webhook',
  'cli',
  'comment',
  'leak-alert',
  'aws-rotation',
  'gcp-rotation',
] as const satisfies readonly Trigger[];

const jobSchema = z.strictObject({
  credential: z.string().min(1).max(63),
  trigger: z.enum(TRIGGERS),
  reason: z.enum(JOB_REASONS),
  force: z.boolean(),
  dedupeKey: z.string().regex(/^[A-Za-z0-9:_-]{1,128}$/),
  requestedAt: z.iso.datetime(),
  reply: z
    .strictObject({
      connection: z.string().min(1),
      projectId: z.number().int().positive(),
      noteable: z.enum(['issue', 'merge_request']),
      iid: z.number().int().positive(),
      requestedBy: z.string(),
    })
    .optional(),
  leakedSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

/** Serializes a job for a queue message body. */
export function encodeJob(job: RotationJob): string {
  return JSON.stringify(job);
}

/** A message that is not a job; the worker drops it (retrying cannot make it valid). */
export class InvalidJobError extends CredrotError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJobError';
  }
}

/** Parses a queue message body; throws InvalidJobError naming what is wrong (never the body). */
export function decodeJob(body: string): RotationJob {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidJobError('the message body is not JSON: not a credrot rotation job');
  }
  const result = jobSchema.safeParse(parsed);
  if (!result.success) {
    const where = result.error.issues
      .slice(0, 3)
      .map((i) => i.path.join('.') || '(top level)')
      .join(', ');
    throw new InvalidJobError(`the message is not a valid credrot rotation job (check ${where})`);
  }
  return result.data as RotationJob;
}

/**
 * A dedupe key: `prefix:` plus 40 hex characters of the SHA-256 of the parts, so any
 * input (paths, UUIDs, note text) yields a valid, bounded SQS MessageDeduplicationId.
 */
export function dedupeKey(prefix: string, ...parts: Array<string | number>): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40);
  return `${prefix}:${digest}`;
}

/** Where jobs go: SQS on AWS, Pub/Sub on GCP, memory in tests and `credrot invoke`. */
export interface JobQueue {
  /** Human description: `sqs https://.../credrot-jobs.fifo`. */
  readonly label: string;
  /** Sends one message per job; rejects if any could not be sent (the caller answers 5xx). */
  enqueue(jobs: readonly RotationJob[]): Promise<void>;
}

/** Builds a job with the common fields filled in. */
export function makeJob(
  input: Omit<RotationJob, 'requestedAt' | 'force'> & { force?: boolean; now: Date },
): RotationJob {
  const { now, force, ...rest } = input;
  return { ...rest, force: force ?? false, requestedAt: now.toISOString() };
}
