/**
 * The rotation worker: takes one job, runs the rotation protocol for its credential and
 * says what the queue should do with the message. A message that can never succeed (not a
 * job, or a credential the configuration does not know) is dropped with a log line rather
 * than retried until it reaches the dead-letter queue; a failed rotation is retried (the
 * protocol resumes from the stores); a failure is noticed, and a comment command gets its
 * outcome posted back.
 */
import { createHash } from 'node:crypto';
import type { Config, ResolvedCredential } from '../config/load.js';
import type { Log } from '../metrics/log.js';
import { type MetricSink, recordRotation } from '../metrics/metrics.js';
import { type NotifyDeps, notify } from '../notify/notice.js';
import {
  type RotationOutcome,
  type RotationTarget,
  rotate,
  safeMessage,
} from '../rotation/engine.js';
import { fingerprint } from '../util/fingerprint.js';
import { decodeJob, InvalidJobError, type RotationJob } from './job.js';

export type Disposition = 'done' | 'dropped' | 'retry';

export interface JobResult {
  disposition: Disposition;
  job?: RotationJob;
  outcome?: RotationOutcome;
  /** Why, in one line (no secret). */
  why: string;
}

export interface WorkerDeps {
  config: Config;
  /** Builds the credential's target (assembleTarget on the function's connections). */
  target(credential: ResolvedCredential): Promise<RotationTarget>;
  /** Who holds the lease: function name and instance. */
  holder: string;
  now: () => Date;
  log: Log;
  metrics?: MetricSink;
  notify?: NotifyDeps;
  /** Posts the outcome of a comment command back to its issue or merge request. */
  reply?(job: RotationJob, text: string): Promise<void>;
}

/** Runs one job (a queue message body, or a decoded job). Never throws. */
export async function runJob(message: string | RotationJob, deps: WorkerDeps): Promise<JobResult> {
  let job: RotationJob;
  try {
    job = typeof message === 'string' ? decodeJob(message) : message;
  } catch (err) {
    const why = err instanceof InvalidJobError ? err.message : 'unreadable message';
    deps.log.error('dropping a message that is not a rotation job', { why });
    return { disposition: 'dropped', why };
  }
  const fields = { credential: job.credential, trigger: job.trigger, dedupeKey: job.dedupeKey };
  const credential = deps.config.credentials.find((c) => c.name === job.credential);
  if (!credential) {
    const why = `credential ${job.credential} is not in the configuration (removed since the job was queued?)`;
    deps.log.warn('dropping a job for an unknown credential', { ...fields, why });
    return { disposition: 'dropped', job, why };
  }

  let outcome: RotationOutcome;
  try {
    const target = await deps.target(credential);
    outcome = await runTarget(target, job, deps);
  } catch (err) {
    outcome = {
      credential: job.credential,
      result: 'failed',
      steps: [],
      error: safeMessage(err),
      errorName: err instanceof Error ? err.name : 'Error',
    };
  }
  if (deps.metrics) recordRotation(deps.metrics, outcome, job.trigger);
  const logged = {
    ...fields,
    result: outcome.result,
    ...(outcome.currentFingerprint ? { fingerprint: outcome.currentFingerprint } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
    steps: outcome.steps.map((s) => `${s.step}:${s.status}`).join(' '),
  };
  const failed = outcome.result === 'failed' || outcome.result === 'rolled-back';
  if (failed) deps.log.error('rotation failed', logged);
  else deps.log.info('rotation finished', logged);

  if (failed && deps.notify) {
    await notify(
      {
        credential: job.credential,
        kind: 'rotation-failed',
        summary: `The ${job.trigger} rotation of ${job.credential} ended ${outcome.result}.`,
        detail: `${outcome.error ?? 'no detail'}\nEvery consumer still holds a working value; the next run retries. Run \`credrot status ${job.credential}\` to see the stores and sinks.`,
        at: deps.now().toISOString(),
      },
      deps.notify,
    );
  }
  if (job.reply && deps.reply) {
    await deps.reply(job, replyText(job, outcome)).catch((err: unknown) => {
      deps.log.warn('could not post the outcome back', { ...fields, error: safeMessage(err) });
    });
  }
  const disposition: Disposition = outcome.result === 'failed' ? 'retry' : 'done';
  return { disposition, job, outcome, why: outcome.error ?? outcome.result };
}

/**
 * A leak of the *previous* value (still valid in its grace period) is answered by
 * revoking that value now; a leak of the current value, or any other job, runs the
 * protocol (with `reason: leak` the replaced value is retired at once).
 */
async function runTarget(
  target: RotationTarget,
  job: RotationJob,
  deps: WorkerDeps,
): Promise<RotationOutcome> {
  if (job.reason === 'leak' && job.leakedSha256) {
    const retired = await retireLeakedPrevious(target, job.leakedSha256);
    if (retired) return retired;
  }
  return rotate(target, {
    trigger: job.trigger,
    holder: deps.holder,
    now: deps.now,
    reason: job.reason,
    ...(job.force || job.reason !== 'expiry' ? { force: true } : {}),
  });
}

async function retireLeakedPrevious(
  target: RotationTarget,
  leakedSha256: string,
): Promise<RotationOutcome | undefined> {
  const primary = target.stores[0];
  if (!primary) return undefined;
  const state = await primary.read();
  const sha = (token: string) => createHash('sha256').update(token).digest('hex');
  const current = state.current?.value;
  const previous = state.previous?.value;
  if (!current || !previous || sha(current.token) === leakedSha256) return undefined;
  if (sha(previous.token) !== leakedSha256) return undefined;
  const started = Date.now();
  if (!state.previousRetired) {
    await target.source.revoke(previous);
    for (const store of target.stores) await store.markPreviousRetired(current.rotationId);
  }
  return {
    credential: target.name,
    result: 'retired-previous',
    steps: [
      {
        step: 'retire',
        status: state.previousRetired ? 'skipped' : 'done',
        detail: 'the leaked value was the replaced one: revoked at once',
        durationMs: Date.now() - started,
      },
    ],
    previousFingerprint: fingerprint(previous.token),
    currentFingerprint: fingerprint(current.token),
    expiresAt: current.expiresAt,
  };
}

function replyText(job: RotationJob, outcome: RotationOutcome): string {
  const who = job.reply ? `@${job.reply.requestedBy}` : 'the requester';
  const name = `\`${job.credential}\``;
  switch (outcome.result) {
    case 'rotated':
    case 'resumed':
      return `credrot rotated ${name} as ${who} asked: the new value (fingerprint \`${outcome.currentFingerprint}\`) expires ${outcome.expiresAt?.slice(0, 10)} and every consumer holds it; the old value (\`${outcome.previousFingerprint}\`) is retired after its grace period.`;
    case 'in-progress':
      return `credrot did not start a second rotation of ${name}: another run is rotating it right now.`;
    case 'not-due':
    case 'retired-previous':
      return `credrot left ${name} as it is (${outcome.result}).`;
    default:
      return `credrot could not rotate ${name} (${outcome.result}): ${outcome.error ?? 'no detail'}. Every consumer still holds a working value; the next run retries.`;
  }
}
