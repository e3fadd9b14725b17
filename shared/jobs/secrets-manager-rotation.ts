/**
 * The Secrets Manager rotation contract, mapped onto the engine's primitives so that
 * `aws secretsmanager rotate-secret` (or a rotation schedule on the secret) rotates a
 * credrot credential natively. Each step is one Lambda invocation with the same
 * ClientRequestToken, which is the new version's id and the rotation's id:
 *
 * - createSecret: lease, orphan recovery, mint with rotationId = ClientRequestToken, and
 *   stage it (the rotated secret's AWSPENDING version receives the value; other stores
 *   get their pending value). If that version already holds a value, only the staging of
 *   the other stores is repeated: nothing is minted twice.
 * - setSecret: verify the new value at its source *before* any consumer gets it (the
 *   engine's order), then distribute to every sink, reading back where the API allows.
 * - testSecret: verify again at the source, and read back every readable sink.
 * - finishSecret: promote in every store (AWSCURRENT moves to the token's version, AWS
 *   moves AWSPREVIOUS, AWSPENDING is removed); the replaced value is retired at once when
 *   the grace period is zero, otherwise by the first scheduled run after the grace period.
 *
 * Every step is idempotent: a step that finds its work done returns. A failing step
 * throws, leaving the state for Secrets Manager's retry of the same token (or the next
 * scheduled run, which resumes a pending value like any interrupted rotation). A value
 * proven not to work is rolled back (revoked, its AWSPENDING removed) before any consumer
 * has it.
 *
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CredrotError, VerificationError } from '../errors.js';
import type { Log } from '../metrics/log.js';
import { expiryDate, type RotationTarget, renderContext } from '../rotation/engine.js';
import type { Lease, StoredCredential } from '../rotation/types.js';
import { tryDecodeValue } from '../stores/codec.js';
import { fingerprint } from '../util/fingerprint.js';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

/** What Secrets Manager sends the rotation function, once per step. */
export interface SecretsManagerRotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: RotationStep;
  RotationToken?: string;
}

export interface SecretsManagerRotationDeps {
  /** The credential whose store is the rotated secret. */
  target: RotationTarget;
  /** The client that reaches the rotated secret. */
  client: SecretsManagerClient;
  holder: string;
  now: () => Date;
  log: Log;
  leaseTtlMs?: number;
}

/** The step did nothing because its work was already done (a retry, or a resumed rotation). */
export type StepResult = 'done' | 'already-done';

export class RotationStepError extends CredrotError {
  constructor(message: string, step: RotationStep) {
    super(message, { context: { step } });
    this.name = 'RotationStepError';
  }
}

/** Runs one step of the contract. Throws on failure (Secrets Manager records it and retries). */
export async function runRotationStep(
  event: SecretsManagerRotationEvent,
  deps: SecretsManagerRotationDeps,
): Promise<StepResult> {
  const token = event.ClientRequestToken;
  const described = await deps.client.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
  if (described.RotationEnabled === false)
    throw new RotationStepError(
      `secret ${described.Name} does not have rotation enabled; enable it (aws secretsmanager rotate-secret) before invoking its rotation function`,
      event.Step,
    );
  const stages = described.VersionIdsToStages?.[token];
  if (!stages)
    throw new RotationStepError(
      `secret ${described.Name} has no version ${token}: the rotation was cancelled or its version removed; start a new rotation`,
      event.Step,
    );
  if (stages.includes('AWSCURRENT')) {
    deps.log.info('rotation step: the version is already current', { step: event.Step, token });
    return 'already-done';
  }
  if (!stages.includes('AWSPENDING'))
    throw new RotationStepError(
      `version ${token} of secret ${described.Name} is not AWSPENDING (a failed value was rolled back); start a new rotation`,
      event.Step,
    );

  const lease = await deps.target.stores[0]!.acquireLease(
    deps.holder,
    deps.leaseTtlMs ?? 10 * 60_000,
    deps.now(),
  );
  try {
    switch (event.Step) {
      case 'createSecret':
        return await createSecret(event, deps);
      case 'setSecret':
        return await setSecret(await pendingValue(event, deps), deps);
      case 'testSecret':
        return await testSecret(await pendingValue(event, deps), deps);
      case 'finishSecret':
        return await finishSecret(token, deps);
      default:
        throw new RotationStepError(`unknown rotation step ${String(event.Step)}`, event.Step);
    }
  } finally {
    await releaseQuietly(deps, lease);
  }
}

async function releaseQuietly(deps: SecretsManagerRotationDeps, lease: Lease): Promise<void> {
  await deps.target.stores[0]!.releaseLease(lease).catch(() => {
    // An unreleased lease expires on its own.
  });
}

/** The credential in the token's version of the rotated secret, if it holds one yet. */
async function valueAt(
  event: SecretsManagerRotationEvent,
  deps: SecretsManagerRotationDeps,
): Promise<StoredCredential | undefined> {
  try {
    const out = await deps.client.send(
      new GetSecretValueCommand({
        SecretId: event.SecretId,
        VersionId: event.ClientRequestToken,
        VersionStage: 'AWSPENDING',
      }),
    );
    const decoded = tryDecodeValue(out.SecretString);
    return decoded?.type === 'credential' ? decoded.value : undefined;
  } catch (err) {
    if (err instanceof Error && err.name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

async function pendingValue(
  event: SecretsManagerRotationEvent,
  deps: SecretsManagerRotationDeps,
): Promise<StoredCredential> {
  const value = await valueAt(event, deps);
  if (!value)
    throw new RotationStepError(
      `version ${event.ClientRequestToken} holds no credential yet: createSecret has not succeeded for this rotation`,
      event.Step,
    );
  return value;
}

async function createSecret(
  event: SecretsManagerRotationEvent,
  deps: SecretsManagerRotationDeps,
): Promise<StepResult> {
  const { target } = deps;
  const existing = await valueAt(event, deps);
  if (existing) {
    // A retry after the value was written: finish staging in the other stores only.
    for (const store of target.stores) await store.stage(existing);
    return 'already-done';
  }
  const states = await Promise.all(target.stores.map((s) => s.read()));
  await recoverOrphans(target, states, event.ClientRequestToken, deps.log);
  const current = states[0]!.current?.value;
  const now = deps.now();
  const minted = await target.source.mint({
    rotationId: event.ClientRequestToken,
    ...(current ? { current } : {}),
    expiresOn: expiryDate(now, target.policy.lifetimeMs),
    now,
  });
  try {
    for (const store of target.stores) await store.stage(minted);
  } catch (err) {
    // Not stored durably: revoke it now rather than lose it (the engine's rule).
    await target.source.revoke(minted).catch(() => {});
    throw err;
  }
  deps.log.info('rotation createSecret: minted and staged', {
    credential: target.name,
    fingerprint: fingerprint(minted.token),
    expiresAt: minted.expiresAt,
  });
  return 'done';
}

/** Revokes credentials this credential minted that no store references (crash after mint). */
async function recoverOrphans(
  target: RotationTarget,
  states: Awaited<ReturnType<RotationTarget['stores'][number]['read']>>[],
  token: string,
  log: Log,
): Promise<void> {
  const known = new Set<number>();
  for (const s of states)
    for (const v of [s.current, s.pending, s.previous]) if (v) known.add(v.value.sourceId);
  const orphans = (await target.source.findMinted()).filter((o) => !known.has(o.sourceId));
  for (const orphan of orphans) await target.source.revokeOrphan(orphan);
  if (orphans.length > 0)
    log.warn('revoked orphaned credentials before minting', {
      credential: target.name,
      token,
      ids: orphans.map((o) => o.sourceId),
    });
}

async function verifyOrRollBack(value: StoredCredential, deps: SecretsManagerRotationDeps) {
  try {
    await deps.target.source.verify(value);
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    // Proven not to work and no consumer has it (verify precedes distribute): roll back.
    await deps.target.source.revoke(value).catch(() => {});
    for (const store of deps.target.stores)
      await store.discardPending(value.rotationId).catch(() => {});
    throw err;
  }
}

async function setSecret(
  value: StoredCredential,
  deps: SecretsManagerRotationDeps,
): Promise<StepResult> {
  const { target } = deps;
  await verifyOrRollBack(value, deps);
  const ctx = renderContext(value, target.registry);
  const failures: string[] = [];
  let written = 0;
  for (const sink of target.sinks) {
    try {
      const text = sink.render(ctx);
      sink.validate(text);
      if ((await sink.push(text)) === 'written') written += 1;
      const back = await sink.readBack();
      if (back !== 'unreadable' && back !== text)
        throw new VerificationError(`${sink.label} does not hold the new value after writing it`);
    } catch (err) {
      failures.push(`${sink.label}: ${err instanceof CredrotError ? err.message : 'failed'}`);
    }
  }
  if (failures.length > 0)
    throw new CredrotError(
      `could not update ${failures.length} of ${target.sinks.length} consumers (every consumer still holds a working value; the retry pushes again): ${failures.join('; ')}`,
    );
  return written === 0 ? 'already-done' : 'done';
}

async function testSecret(
  value: StoredCredential,
  deps: SecretsManagerRotationDeps,
): Promise<StepResult> {
  await verifyOrRollBack(value, deps);
  const ctx = renderContext(value, deps.target.registry);
  for (const sink of deps.target.sinks) {
    const back = await sink.readBack();
    if (back !== 'unreadable' && back !== sink.render(ctx))
      throw new VerificationError(
        `${sink.label} does not hold the new value: setSecret has not completed`,
      );
  }
  return 'done';
}

async function finishSecret(token: string, deps: SecretsManagerRotationDeps): Promise<StepResult> {
  const { target } = deps;
  const before = await target.stores[0]!.read();
  const replaced = before.current?.value;
  for (const store of target.stores) await store.promote(token, deps.now());
  if (replaced && replaced.rotationId !== token && target.policy.gracePeriodMs === 0) {
    await target.source.revoke(replaced);
    for (const store of target.stores) await store.markPreviousRetired(token);
  }
  deps.log.info('rotation finishSecret: promoted', {
    credential: target.name,
    retiredAtOnce: target.policy.gracePeriodMs === 0,
  });
  return 'done';
}
