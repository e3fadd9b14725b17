/**
 * A credential's state in one AWS Secrets Manager secret, kept in staging labels:
 * AWSPENDING (staged, not yet promoted), AWSCURRENT, AWSPREVIOUS (moved by AWS itself when
 * AWSCURRENT moves), CREDROT_RETIRED (on the previous version once its credential was
 * revoked) and CREDROT_LEASE (see lease.ts). The promotion time is the tag
 * `credrot:promoted-at`. Each value is `JSON.stringify(StoredCredential)` and each version's
 * id is its rotationId, used as ClientRequestToken, so every write is idempotent.
 *
 * A secret credrot creates starts with an inert placeholder as AWSCURRENT (see labels.ts);
 * `read()` reports placeholders and lease records as "no credential".
 *
 * Powertools' seam: pass an SDK `client`, or `clientConfig` to have one built.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html
 */
import {
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { ProviderError } from '../../errors.js';
import type {
  Lease,
  SecretStore,
  StoredCredential,
  StoredVersion,
  StoreState,
} from '../../rotation/types.js';
import { decodeValue, encodeCredential } from '../codec.js';
import {
  CURRENT,
  PENDING,
  PREVIOUS,
  PROMOTED_AT_TAG,
  RETIRED,
  type Snapshot,
  versionToken,
} from './labels.js';
import { acquireAwsLease, readAwsLease, releaseAwsLease } from './lease.js';
import { SecretAccess } from './secret-access.js';

export interface AwsSecretsManagerStoreOptions {
  /** Secret name or ARN. */
  secretId: string;
  /** A ready SDK client (tests, shared clients). Takes precedence over `clientConfig`. */
  client?: SecretsManagerClient;
  /** Configuration for the client the store builds when none is given. */
  clientConfig?: SecretsManagerClientConfig;
  /** Extra tags for a secret credrot creates (managed-by=credrot is always added). */
  tags?: Record<string, string>;
}

export class AwsSecretsManagerStore implements SecretStore {
  readonly label: string;
  private readonly access: SecretAccess;

  constructor(options: AwsSecretsManagerStoreOptions) {
    const client = options.client ?? new SecretsManagerClient({ ...options.clientConfig });
    this.access = new SecretAccess(client, options.secretId, options.tags ?? {});
    const region = options.clientConfig?.region;
    this.label = `aws-secrets-manager ${options.secretId}${typeof region === 'string' ? ` (${region})` : ''}`;
  }

  private get secretId(): string {
    return this.access.secretId;
  }

  /** Current, pending and previous credentials, read by the version ids one DescribeSecret names. */
  async read(): Promise<StoreState> {
    const snap = await this.access.describe();
    if (!snap) return { exists: false, previousRetired: false };
    const [current, pending, previous] = await Promise.all(
      [CURRENT, PENDING, PREVIOUS].map((label) => this.credentialAt(snap, label)),
    );
    const previousId = snap.holder(PREVIOUS);
    const promotedAt = snap.promotedAt;
    return {
      exists: true,
      ...(current ? { current } : {}),
      ...(pending ? { pending } : {}),
      ...(previous ? { previous } : {}),
      previousRetired:
        previous !== undefined && previousId !== undefined && snap.has(previousId, RETIRED),
      ...(promotedAt ? { promotedAt } : {}),
    };
  }

  private async credentialAt(snap: Snapshot, label: string): Promise<StoredVersion | undefined> {
    const versionId = snap.holder(label);
    if (versionId === undefined) return undefined;
    let text: string | undefined;
    try {
      text = await this.access.value(versionId);
    } catch (err) {
      // RotateSecret labels an empty version AWSPENDING before its rotation function has
      // written a value there: no credential yet, not an error.
      if (label === PENDING && err instanceof ProviderError && err.status === 404) return undefined;
      throw err;
    }
    const decoded = decodeValue(text, this.secretId, versionId);
    return decoded.type === 'credential' ? { versionId, value: decoded.value } : undefined;
  }

  acquireLease(holder: string, ttlMs: number, now: Date): Promise<Lease> {
    return acquireAwsLease(this.access, holder, ttlMs, now);
  }

  releaseLease(lease: Lease): Promise<void> {
    return releaseAwsLease(this.access, lease);
  }

  /** Who holds the lease at `now`, if anyone (an expired lease is free). Read-only. */
  leaseInfo(now: Date): Promise<{ holder: string; expiresAt: Date } | undefined> {
    return readAwsLease(this.access, now);
  }

  /**
   * Writes `value` as AWSPENDING under version id = its rotationId. A version that already
   * exists for this rotation (pending, promoted, discarded) is left exactly as it is.
   */
  async stage(value: StoredCredential): Promise<void> {
    const snap = await this.access.ensureOwned();
    const token = versionToken(value.rotationId);
    const labels = snap.stages[token];
    // Only AWSPENDING may be an empty version RotateSecret created for this very rotation
    // (its ClientRequestToken is the rotationId): PutSecretValue fills it, or is a no-op
    // when the same value is already there.
    if (labels !== undefined && !(labels.length === 1 && labels[0] === PENDING)) return;
    // 'exists' means a label-less version holds this rotation already: nothing to change.
    await this.access.put(token, encodeCredential(value), [PENDING]);
  }

  /**
   * Moves AWSCURRENT to the rotation's version (AWS moves AWSPREVIOUS to the old one), then
   * drops its AWSPENDING. The promotion time is tagged first: a crash in between can only
   * make the recorded time later than the real one, which lengthens the grace period of
   * the replaced credential rather than cutting it short.
   */
  async promote(rotationId: string, now: Date): Promise<void> {
    const snap = await this.access.owned();
    if (!snap) return;
    const id = versionToken(rotationId);
    if (snap.stages[id] === undefined) return;
    if (!snap.has(id, CURRENT)) {
      await this.access.tag(PROMOTED_AT_TAG, now.toISOString());
      await this.moveLabel(CURRENT, id, snap.holder(CURRENT));
    }
    if (snap.has(id, PENDING)) await this.access.remove(PENDING, id);
  }

  /** Drops AWSPENDING from the rotation's version, if (and only if) it is there. */
  async discardPending(rotationId: string): Promise<void> {
    const snap = await this.access.owned();
    if (!snap) return;
    const id = versionToken(rotationId);
    if (snap.has(id, PENDING)) await this.access.remove(PENDING, id);
  }

  /** When the rotation is current, labels the AWSPREVIOUS version CREDROT_RETIRED. */
  async markPreviousRetired(rotationId: string): Promise<void> {
    const snap = await this.access.owned();
    if (!snap) return;
    if (!snap.has(versionToken(rotationId), CURRENT)) return;
    const previous = snap.holder(PREVIOUS);
    if (previous === undefined || snap.has(previous, RETIRED)) return;
    await this.moveLabel(RETIRED, previous, snap.holder(RETIRED));
  }

  /**
   * Moves `label` to `to`. Should the label have moved since the snapshot (another run
   * acting despite the lease), the move is retried from where the label is now.
   */
  private async moveLabel(label: string, to: string, from: string | undefined): Promise<void> {
    let source = from;
    for (let attempt = 1; attempt <= 3; attempt++) {
      if ((await this.access.move(label, to, source)) === 'moved') return;
      const again = await this.access.owned();
      if (!again || again.has(to, label)) return;
      source = again.holder(label);
    }
    throw new ProviderError(
      `AWS Secrets Manager kept refusing to move label ${label} to version ${to} of secret ${this.secretId}: another process keeps changing it. Check that only one credrot deployment manages this secret.`,
      { retryable: true, context: { secret: this.secretId, label } },
    );
  }
}
