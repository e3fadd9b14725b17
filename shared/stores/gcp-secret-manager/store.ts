/**
 * A credential's state in one GCP Secret Manager secret: each credential value is a secret
 * version (`JSON.stringify(StoredCredential)`), and the aliases `current`, `pending`,
 * `previous` plus a few annotations (snapshot.ts) say which is which. Every state change is
 * one UpdateSecret guarded by the etag read before it, so it is atomic and never lost to a
 * concurrent writer.
 *
 * Consumers should read the alias `current`, not `latest`: a staged (pending) value is the
 * newest version before it has been verified and promoted.
 *
 * https://cloud.google.com/secret-manager/docs/manage-secret-versions
 * https://cloud.google.com/secret-manager/docs/assign-alias-to-secret-version
 */
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import type { ClientOptions } from 'google-gax';
import { CredrotError } from '../../errors.js';
import type {
  Lease,
  SecretStore,
  StoredCredential,
  StoredVersion,
  StoreState,
} from '../../rotation/types.js';
import { decodeValue, encodeCredential } from '../codec.js';
import { acquireGcpLease, releaseGcpLease } from './lease.js';
import { SecretAccess } from './secret-access.js';
import { ALIAS, ANNOTATION, rememberVersion } from './snapshot.js';

export interface GcpSecretManagerStoreOptions {
  /** Project id (or number). */
  project: string;
  /** Secret id within the project. */
  secret: string;
  /** A ready client (tests, shared clients). Takes precedence over `clientOptions`. */
  client?: SecretManagerServiceClient;
  /** Options for the client the store builds when none is given. */
  clientOptions?: ClientOptions;
  /** Extra labels for a secret credrot creates (managed-by=credrot is always added). */
  labels?: Record<string, string>;
}

export class GcpSecretManagerStore implements SecretStore {
  readonly label: string;
  private readonly access: SecretAccess;

  constructor(options: GcpSecretManagerStoreOptions) {
    const client = options.client ?? new SecretManagerServiceClient(options.clientOptions);
    this.access = new SecretAccess(client, options.project, options.secret, options.labels ?? {});
    this.label = `gcp-secret-manager ${this.access.name}`;
  }

  /**
   * Current, pending and previous credentials. A previous version that is disabled was
   * retired (markPreviousRetired disables it): it is reported as retired, without a value.
   */
  async read(): Promise<StoreState> {
    const snap = await this.access.get();
    if (!snap) return { exists: false, previousRetired: false };
    const {
      current: c,
      pending: p,
      previous: prev,
    } = {
      current: snap.aliases[ALIAS.current],
      pending: snap.aliases[ALIAS.pending],
      previous: snap.aliases[ALIAS.previous],
    };
    const [current, pending, previous] = await Promise.all([
      this.credentialAt(c),
      this.credentialAt(p),
      this.credentialAt(prev),
    ]);
    if (current === 'disabled') {
      throw new CredrotError(
        `the current version (${c}) of ${this.access.name} is disabled or destroyed, so no consumer can read it. Enable it (gcloud secrets versions enable ${c} --secret=${this.access.secret} --project=${this.access.project}) or run a forced rotation.`,
        { context: { resource: this.access.name, version: c } },
      );
    }
    const promotedAt = snap.promotedAt;
    return {
      exists: true,
      ...(current ? { current } : {}),
      ...(pending && pending !== 'disabled' ? { pending } : {}),
      ...(previous && previous !== 'disabled' ? { previous } : {}),
      previousRetired: prev !== undefined && (previous === 'disabled' || snap.retired === prev),
      ...(promotedAt ? { promotedAt } : {}),
    };
  }

  private async credentialAt(
    n: number | undefined,
  ): Promise<StoredVersion | 'disabled' | undefined> {
    if (n === undefined) return undefined;
    const text = await this.access.access(n);
    if (text === 'disabled') return 'disabled';
    const decoded = decodeValue(text, this.access.name, String(n));
    return decoded.type === 'credential'
      ? { versionId: String(n), value: decoded.value }
      : undefined;
  }

  acquireLease(holder: string, ttlMs: number, now: Date): Promise<Lease> {
    return acquireGcpLease(this.access, holder, ttlMs, now);
  }

  releaseLease(lease: Lease): Promise<void> {
    return releaseGcpLease(this.access, lease);
  }

  /** Who holds the lease at `now`, if anyone (an expired lease is free). Read-only. */
  async leaseInfo(now: Date): Promise<{ holder: string; expiresAt: Date } | undefined> {
    const held = (await this.access.get())?.lease;
    return held && held.expiresAt > now
      ? { holder: held.holder, expiresAt: held.expiresAt }
      : undefined;
  }

  /**
   * Adds the value as a new version and points `pending` at it, recording
   * rotationId → version in the same update. A rotation that already has a version (pending,
   * promoted or discarded) changes nothing; one whose earlier stage died after
   * AddSecretVersion reuses the version it left instead of adding another.
   */
  async stage(value: StoredCredential): Promise<void> {
    const { rotationId } = value;
    const snap = await this.access.ensureOwned();
    if (snap.versionOf(rotationId) !== undefined) return;
    const n =
      (await this.access.findUnrecorded(rotationId, snap)) ??
      (await this.access.add(encodeCredential(value), async () => {
        const now = await this.access.owned();
        return now ? this.access.findUnrecorded(rotationId, now) : undefined;
      }));
    await this.access.mutate((s) => {
      if (s.versionOf(rotationId) !== undefined) return undefined;
      const draft = s.draft();
      draft.aliases[ALIAS.pending] = n;
      rememberVersion(draft, rotationId, n);
      return draft;
    }, snap);
  }

  /** One update: `current` → the rotation's version, `previous` → the old current, `pending` dropped. */
  async promote(rotationId: string, now: Date): Promise<void> {
    await this.access.mutate((s) => {
      const n = s.versionOf(rotationId);
      if (n === undefined) return undefined;
      const draft = s.draft();
      const { aliases } = draft;
      if (aliases[ALIAS.current] === n) {
        if (aliases[ALIAS.pending] !== n) return undefined;
        delete aliases[ALIAS.pending];
        return draft;
      }
      const old = aliases[ALIAS.current];
      aliases[ALIAS.current] = n;
      if (old === undefined) delete aliases[ALIAS.previous];
      else aliases[ALIAS.previous] = old;
      if (aliases[ALIAS.pending] === n) delete aliases[ALIAS.pending];
      draft.annotations[ANNOTATION.promotedAt] = now.toISOString();
      return draft;
    });
  }

  /**
   * Drops `pending` if it is on this rotation's version, and disables that version so that
   * nobody reading `latest` gets a value that was rolled back.
   */
  async discardPending(rotationId: string): Promise<void> {
    const snap = await this.access.owned();
    if (!snap) return;
    const n = snap.versionOf(rotationId) ?? (await this.access.findUnrecorded(rotationId, snap));
    if (n === undefined) return;
    const after = await this.access.mutate((s) => {
      const draft = s.draft();
      let changed = false;
      if (draft.aliases[ALIAS.pending] === n) {
        delete draft.aliases[ALIAS.pending];
        changed = true;
      }
      // Recorded even when unaliased, so that a late stage() of this rotation is a no-op.
      if (s.versionOf(rotationId) === undefined) {
        rememberVersion(draft, rotationId, n);
        changed = true;
      }
      return changed ? draft : undefined;
    }, snap);
    const aliases = after?.aliases ?? {};
    if (aliases[ALIAS.current] !== n && aliases[ALIAS.previous] !== n) await this.access.disable(n);
  }

  /**
   * When the rotation is current, disables the previous version (its credential was
   * revoked) and records its number in `credrot-retired`.
   */
  async markPreviousRetired(rotationId: string): Promise<void> {
    const snap = await this.access.owned();
    if (!snap) return;
    const n = snap.versionOf(rotationId);
    const previous = snap.aliases[ALIAS.previous];
    if (n === undefined || snap.aliases[ALIAS.current] !== n || previous === undefined) return;
    if (snap.retired === previous) return;
    await this.access.disable(previous);
    await this.access.mutate((s) => {
      if (s.aliases[ALIAS.previous] !== previous || s.retired === previous) return undefined;
      const draft = s.draft();
      draft.annotations[ANNOTATION.retired] = String(previous);
      return draft;
    });
  }
}
