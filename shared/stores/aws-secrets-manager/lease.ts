/**
 * The per-credential lease on AWS Secrets Manager. Tags have no conditional write, but
 * UpdateSecretVersionStage does: moving a staging label while naming the version it must
 * come from (RemoveFromVersionId) fails when the label is anywhere else. The lease is the
 * custom label CREDROT_LEASE on a version whose value is the lease record
 * `{credrot:'lease', holder, expiresAt, leaseId}`; taking it is one such move, so of any
 * number of racing runs exactly one wins.
 *
 * Cost: one (small, label-less once released) secret version per acquisition. AWS prunes
 * label-less versions beyond 100 but keeps those younger than 24 h, so schedules should not
 * run a credential more often than every few minutes.
 *
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
 */
import { randomUUID } from 'node:crypto';
import { LeaseHeldError } from '../../errors.js';
import type { Lease } from '../../rotation/types.js';
import { decodeLease, encodeLease, type LeaseRecord } from '../codec.js';
import { LEASE } from './labels.js';
import type { SecretAccess } from './secret-access.js';

/** Prefix of the throwaway label that keeps a lease record from defaulting to AWSCURRENT. */
const SCRATCH_PREFIX = 'CREDROT_CANDIDATE_';

/**
 * Removes scratch labels other runs left behind: a run killed between writing its lease
 * record and removing its scratch label leaves the label for good (found by the fault
 * matrix: SIGKILL during the lease). Only the lease winner sweeps; a loser still racing
 * loses nothing by it, its move fails against our lease either way.
 */
async function sweepScratch(
  access: SecretAccess,
  stages: Record<string, string[]>,
  ours: string,
): Promise<void> {
  for (const [versionId, labels] of Object.entries(stages))
    for (const label of labels)
      if (label.startsWith(SCRATCH_PREFIX) && label !== ours)
        await access.remove(label, versionId).catch(() => {
          // Best effort, like removing our own: the next winner sweeps again.
        });
}

/** The lease record on version `versionId`, or undefined when unreadable. */
async function readLease(
  access: SecretAccess,
  versionId: string,
): Promise<LeaseRecord | undefined> {
  return decodeLease(await access.value(versionId));
}

/**
 * Takes the lease for `ttlMs` from `now`, or throws LeaseHeldError when another holder's
 * lease has not expired (or another run won the race for it).
 */
export async function acquireAwsLease(
  access: SecretAccess,
  holder: string,
  ttlMs: number,
  now: Date,
): Promise<Lease> {
  const snap = await access.ensureOwned();
  const heldOn = snap.holder(LEASE);
  if (heldOn !== undefined) {
    const held = await readLease(access, heldOn);
    if (held && held.expiresAt > now) throw new LeaseHeldError(held.holder, held.expiresAt);
  }

  const leaseId = randomUUID();
  const expiresAt = new Date(now.getTime() + ttlMs);
  // A unique throwaway label keeps the record from defaulting to AWSCURRENT; it is removed
  // again below whatever happens, since labels count against the secret's quota.
  const scratch = `${SCRATCH_PREFIX}${leaseId}`;
  await access.put(leaseId, encodeLease({ holder, expiresAt, leaseId }), [scratch]);
  try {
    const moved = await access.move(LEASE, leaseId, heldOn);
    if (moved === 'conflict') throw await lostRace(access, expiresAt);
    await sweepScratch(access, snap.stages, scratch);
  } finally {
    await access.remove(scratch, leaseId).catch(() => {
      // A leftover scratch label only costs quota; the lease outcome stands.
    });
  }
  return { holder, expiresAt, token: leaseId };
}

/** The LeaseHeldError for a lost race, naming the winner when it can be read. */
async function lostRace(access: SecretAccess, fallbackUntil: Date): Promise<LeaseHeldError> {
  try {
    const snap = await access.describe();
    const winner = snap?.holder(LEASE);
    const record = winner === undefined ? undefined : await readLease(access, winner);
    if (record) return new LeaseHeldError(record.holder, record.expiresAt);
  } catch {
    // Fall through to the generic answer: the race was lost either way.
  }
  return new LeaseHeldError('another credrot run', fallbackUntil);
}

/** Releases the lease if it is still ours; a lost or expired-and-taken lease is left alone. */
export async function releaseAwsLease(access: SecretAccess, lease: Lease): Promise<void> {
  await access.remove(LEASE, lease.token);
}

/** The live lease (holder and expiry), if any; an expired one is nobody's. Read-only. */
export async function readAwsLease(
  access: SecretAccess,
  now: Date,
): Promise<{ holder: string; expiresAt: Date } | undefined> {
  const snap = await access.describe();
  const heldOn = snap?.holder(LEASE);
  if (heldOn === undefined) return undefined;
  const held = await readLease(access, heldOn);
  return held && held.expiresAt > now
    ? { holder: held.holder, expiresAt: held.expiresAt }
    : undefined;
}
