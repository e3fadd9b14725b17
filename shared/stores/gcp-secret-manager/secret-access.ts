/**
 * The Secret Manager calls the store and its lease make, each translated into credrot's
 * errors, plus the ownership rule (credrot writes only a secret labelled
 * managed-by=credrot and creates one, labelled, when absent) and the etag
 * compare-and-swap every state change goes through.
 *
 * Retries: the client's defaults retry only AccessSecretVersion. Reads, and writes that
 * carry an etag (a replay of a committed write fails the etag check instead of applying
 * twice), are given a retry policy here too. AddSecretVersion is never retried: it is not
 * idempotent, and stage() resolves an ambiguous failure by looking for the version instead.
 *
 * https://cloud.google.com/secret-manager/docs/reference/rpc/google.cloud.secretmanager.v1
 * https://cloud.google.com/secret-manager/docs/etags
 */
import type { protos, SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { type CallOptions, createBackoffSettings, createRetryOptions } from 'google-gax';
import { ProviderError } from '../../errors.js';
import { tryDecodeValue } from '../codec.js';
import { gcpOwnershipError, hasCode, isAmbiguous, Status, translateGcpError } from './errors.js';
import {
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  type SecretDraft,
  SecretSnapshot,
  versionNumber,
} from './snapshot.js';

type ISecret = protos.google.cloud.secretmanager.v1.ISecret;

/** Retry for calls that are safe to repeat: 100 ms doubling to 5 s, at most 60 s in all. */
const SAFE: CallOptions = {
  retry: createRetryOptions(
    [Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.RESOURCE_EXHAUSTED],
    createBackoffSettings(100, 2, 5_000, 30_000, 1, 30_000, 60_000),
  ),
};

/** How many of the newest versions a search for a rotation's unrecorded version reads. */
const SCAN_DEPTH = 10;

export class SecretAccess {
  readonly name: string;

  constructor(
    readonly client: SecretManagerServiceClient,
    readonly project: string,
    readonly secret: string,
    private readonly extraLabels: Record<string, string>,
  ) {
    this.name = `projects/${project}/secrets/${secret}`;
  }

  private fail(err: unknown, method: string, resource = this.name) {
    return translateGcpError(err, method, resource);
  }

  /** The secret's state, or undefined when it does not exist. */
  async get(): Promise<SecretSnapshot | undefined> {
    try {
      const [secret] = await this.client.getSecret({ name: this.name }, SAFE);
      return new SecretSnapshot(secret);
    } catch (err) {
      if (hasCode(err, Status.NOT_FOUND)) return undefined;
      throw this.fail(err, 'GetSecret');
    }
  }

  /** The state of a secret credrot may write; undefined when absent; OwnershipError otherwise. */
  async owned(): Promise<SecretSnapshot | undefined> {
    const snap = await this.get();
    if (snap && !snap.owned) throw gcpOwnershipError(this.project, this.secret);
    return snap;
  }

  /** Like `owned`, creating the secret (labelled, automatic replication) when absent. */
  async ensureOwned(): Promise<SecretSnapshot> {
    const existing = await this.owned();
    if (existing) return existing;
    try {
      const [created] = await this.client.createSecret(
        {
          parent: `projects/${this.project}`,
          secretId: this.secret,
          secret: {
            replication: { automatic: {} },
            labels: { ...this.extraLabels, [MANAGED_BY_KEY]: MANAGED_BY_VALUE },
          },
        },
        SAFE,
      );
      return new SecretSnapshot(created);
    } catch (err) {
      if (!hasCode(err, Status.ALREADY_EXISTS)) throw this.fail(err, 'CreateSecret');
    }
    // Another run created it first (or a replay did); ownership still applies.
    const snap = await this.owned();
    if (!snap) {
      throw new ProviderError(
        `GCP Secret Manager did not show secret ${this.name} right after creating it; the next run retries.`,
        { retryable: true, context: { resource: this.name } },
      );
    }
    return snap;
  }

  /**
   * Writes `draft` if the secret still has `base`'s etag. Answers the new state, or
   * 'conflict' when someone changed the secret in between (ABORTED / FAILED_PRECONDITION).
   */
  async update(base: SecretSnapshot, draft: SecretDraft): Promise<SecretSnapshot | 'conflict'> {
    const secret: ISecret = {
      name: this.name,
      etag: base.etag,
      versionAliases: draft.aliases,
      annotations: draft.annotations,
    };
    try {
      const [updated] = await this.client.updateSecret(
        { secret, updateMask: { paths: ['version_aliases', 'annotations'] } },
        SAFE,
      );
      return new SecretSnapshot(updated);
    } catch (err) {
      if (hasCode(err, Status.FAILED_PRECONDITION, Status.ABORTED)) return 'conflict';
      throw this.fail(err, 'UpdateSecret');
    }
  }

  /**
   * Applies `change` with compare-and-swap, re-reading and re-applying on conflict.
   * `change` answers undefined when nothing (more) needs changing.
   */
  async mutate(
    change: (s: SecretSnapshot) => SecretDraft | undefined,
    first?: SecretSnapshot,
  ): Promise<SecretSnapshot | undefined> {
    let snap = first ?? (await this.owned());
    for (let attempt = 1; attempt <= 5 && snap; attempt++) {
      const draft = change(snap);
      if (!draft) return snap;
      const result = await this.update(snap, draft);
      if (result !== 'conflict') return result;
      snap = await this.owned();
    }
    if (!snap) return undefined;
    throw new ProviderError(
      `GCP Secret Manager secret ${this.name} kept changing under credrot's updates (etag conflicts); check that only one credrot deployment manages it. The next run retries.`,
      { retryable: true, context: { resource: this.name } },
    );
  }

  /** The payload of version `n` as text, or 'disabled' when it is disabled or destroyed. */
  async access(n: number): Promise<string | 'disabled'> {
    const name = `${this.name}/versions/${n}`;
    try {
      const [out] = await this.client.accessSecretVersion({ name });
      return Buffer.from(out.payload?.data ?? new Uint8Array()).toString('utf8');
    } catch (err) {
      if (hasCode(err, Status.FAILED_PRECONDITION)) return 'disabled';
      throw this.fail(err, 'AccessSecretVersion', name);
    }
  }

  /**
   * Adds a version holding `text` and answers its number. Not retried (see above); when
   * the call fails without a clear answer, `recover` looks for the version it may have made.
   */
  async add(text: string, recover: () => Promise<number | undefined>): Promise<number> {
    try {
      const [version] = await this.client.addSecretVersion({
        parent: this.name,
        payload: { data: Buffer.from(text, 'utf8') },
      });
      const n = versionNumber(version.name);
      if (n === undefined) throw new Error('AddSecretVersion answered no version name');
      return n;
    } catch (err) {
      if (isAmbiguous(err)) {
        const found = await recover().catch(() => undefined);
        if (found !== undefined) return found;
      }
      throw this.fail(err, 'AddSecretVersion');
    }
  }

  /**
   * The number of a version, not recorded in `credrot-versions`, that holds rotation
   * `rotationId`: the trace of a stage that died between AddSecretVersion and the update
   * recording it. Reads only the newest few enabled versions.
   */
  async findUnrecorded(rotationId: string, snap: SecretSnapshot): Promise<number | undefined> {
    const known = new Set(Object.values(snap.versions));
    let versions: protos.google.cloud.secretmanager.v1.ISecretVersion[];
    try {
      [versions] = await this.client.listSecretVersions(
        { parent: this.name, pageSize: SCAN_DEPTH },
        { ...SAFE, autoPaginate: false },
      );
    } catch (err) {
      throw this.fail(err, 'ListSecretVersions');
    }
    for (const v of versions.slice(0, SCAN_DEPTH)) {
      const n = versionNumber(v.name);
      if (n === undefined || known.has(n) || String(v.state) !== 'ENABLED') continue;
      const text = await this.access(n);
      if (text === 'disabled') continue;
      const decoded = tryDecodeValue(text);
      if (decoded?.type === 'credential' && decoded.value.rotationId === rotationId) return n;
    }
    return undefined;
  }

  /** Disables version `n` unless it already is; a replayed disable is harmless. */
  async disable(n: number): Promise<void> {
    const name = `${this.name}/versions/${n}`;
    for (let attempt = 1; attempt <= 3; attempt++) {
      let version: protos.google.cloud.secretmanager.v1.ISecretVersion;
      try {
        [version] = await this.client.getSecretVersion({ name }, SAFE);
      } catch (err) {
        if (hasCode(err, Status.NOT_FOUND)) return;
        throw this.fail(err, 'GetSecretVersion', name);
      }
      if (String(version.state) !== 'ENABLED') return;
      try {
        await this.client.disableSecretVersion({ name, etag: version.etag ?? '' }, SAFE);
        return;
      } catch (err) {
        // The version changed since it was read (or a replay found the etag spent): re-check.
        if (!hasCode(err, Status.FAILED_PRECONDITION, Status.ABORTED)) {
          throw this.fail(err, 'DisableSecretVersion', name);
        }
      }
    }
  }
}
