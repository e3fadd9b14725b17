/**
 * The per-credential lease on GCP Secret Manager: the annotation `credrot-lease`
 * (`{holder, expiresAt, leaseId}`), written by an UpdateSecret that carries the etag read
 * just before. Of any number of racing runs the first write wins; the others fail the etag
 * check (FAILED_PRECONDITION, or ABORTED), re-read, and find the lease held.
 *
 * https://cloud.google.com/secret-manager/docs/etags
 */
import { randomUUID } from 'node:crypto';
import { LeaseHeldError } from '../../errors.js';
import type { Lease } from '../../rotation/types.js';
import { encodeLease } from '../codec.js';
import type { SecretAccess } from './secret-access.js';
import { ANNOTATION, type SecretSnapshot } from './snapshot.js';

const ATTEMPTS = 3;

/**
 * Takes the lease for `ttlMs` from `now`, or throws LeaseHeldError when another holder's
 * lease has not expired (or another run won the race for it).
 */
export async function acquireGcpLease(
  access: SecretAccess,
  holder: string,
  ttlMs: number,
  now: Date,
): Promise<Lease> {
  const leaseId = randomUUID();
  const expiresAt = new Date(now.getTime() + ttlMs);
  const lease: Lease = { holder, expiresAt, token: leaseId };
  let snap: SecretSnapshot | undefined = await access.ensureOwned();
  for (let attempt = 1; attempt <= ATTEMPTS && snap; attempt++) {
    const held = snap.lease;
    // A replayed write of ours that did land: the lease is ours.
    if (held?.leaseId === leaseId) return lease;
    if (held && held.expiresAt > now) throw new LeaseHeldError(held.holder, held.expiresAt);
    const draft = snap.draft();
    draft.annotations[ANNOTATION.lease] = encodeLease({ holder, expiresAt, leaseId });
    const result = await access.update(snap, draft);
    if (result !== 'conflict') return lease;
    snap = await access.owned();
  }
  const winner = snap?.lease;
  if (winner?.leaseId === leaseId) return lease;
  throw new LeaseHeldError(winner?.holder ?? 'another credrot run', winner?.expiresAt ?? expiresAt);
}

/** Releases the lease if it is still ours; a lost or taken-over lease is left alone. */
export async function releaseGcpLease(access: SecretAccess, lease: Lease): Promise<void> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const snap = await access.get();
    if (!snap || snap.lease?.leaseId !== lease.token) return;
    const draft = snap.draft();
    delete draft.annotations[ANNOTATION.lease];
    if ((await access.update(snap, draft)) !== 'conflict') return;
  }
  // Still ours after repeated conflicts: it expires on its own at lease.expiresAt.
}
