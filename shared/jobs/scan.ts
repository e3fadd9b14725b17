/**
 * The scheduled scan: which credentials are due, found exactly as `credrot plan` finds them
 * (the same store reads, the same source status, the same `decideDue`), turned into one
 * rotation job per credential. It never rotates: a fleet is rotated job by job by the
 * worker, so one slow or failing credential never holds up the others or the schedule.
 */
import type { Connections } from '../config/connections.js';
import type { Config } from '../config/load.js';
import { assembleTarget } from '../rotation/assemble.js';
import { safeMessage } from '../rotation/engine.js';
import { mapBounded } from '../rotation/fleet.js';
import { type PlanEntry, planTarget } from '../rotation/plan.js';
import { dedupeKey, makeJob, type RotationJob } from './job.js';

/** Plan actions that need a run of the protocol (retire-previous: the grace period is over). */
const ACTIONABLE = new Set<PlanEntry['action']>(['rotate', 'resume', 'retire-previous']);

export interface ScanResult {
  /** One job per credential that needs a run, in configuration order. */
  jobs: RotationJob[];
  /** The plan of every credential (for logs and metrics). */
  entries: PlanEntry[];
}

export interface ScanDueOptions {
  /** Credentials planned at once (default 4). */
  concurrency?: number;
  /** Width of the schedule slot a job's dedupe key names, in ms (default 1 h). */
  slotMs?: number;
}

/**
 * Plans every configured credential as of `now` and answers a job for each one that is
 * due, interrupted, or whose replaced value's grace period is over. A credential that
 * cannot be planned is reported as `blocked` and gets no job.
 */
export async function scanDue(
  config: Config,
  connections: Connections,
  now: Date,
  options: ScanDueOptions = {},
): Promise<ScanResult> {
  const entries = await mapBounded(
    config.credentials,
    options.concurrency ?? 4,
    async (credential) => planTarget(await assembleTarget(credential, connections), { now }),
    (credential, error): PlanEntry => ({
      credential: credential.name,
      kind: credential.kind,
      action: 'blocked',
      why: 'could not plan',
      steps: [],
      problems: [safeMessage(error)],
    }),
  );
  const slot = Math.floor(now.getTime() / (options.slotMs ?? 3_600_000));
  const jobs = entries
    .filter((e) => ACTIONABLE.has(e.action))
    .map((e) =>
      makeJob({
        credential: e.credential,
        trigger: 'schedule',
        reason: 'expiry',
        dedupeKey: dedupeKey('schedule', e.credential, slot),
        now,
      }),
    );
  return { jobs, entries };
}
