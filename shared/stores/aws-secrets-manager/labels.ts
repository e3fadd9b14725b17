/**
 * The staging labels, tags and version ids through which credrot keeps a credential's
 * state in AWS Secrets Manager, and the snapshot of a secret that every operation starts
 * from (one DescribeSecret: tags plus which version holds which label).
 *
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
 */
import { createHash } from 'node:crypto';
import type { DescribeSecretResponse } from '@aws-sdk/client-secrets-manager';

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';
export const PREVIOUS = 'AWSPREVIOUS';
/** Custom label on the AWSPREVIOUS version once its credential was revoked at the source. */
export const RETIRED = 'CREDROT_RETIRED';
/** Custom label on the version holding the lease record; moving it is the lease's CAS. */
export const LEASE = 'CREDROT_LEASE';

export const MANAGED_BY_KEY = 'managed-by';
export const MANAGED_BY_VALUE = 'credrot';
export const PROMOTED_AT_TAG = 'credrot:promoted-at';

/**
 * The first value of a secret credrot creates. AWS attaches AWSCURRENT to a secret's first
 * version whatever labels the call asks for (PutSecretValue reference), so credrot makes
 * that first version this inert record: a pending credential or a lease record written
 * later can then never become AWSCURRENT by accident.
 */
export const PLACEHOLDER = JSON.stringify({
  credrot: 'placeholder',
  note: 'no credential yet: credrot writes one here on its first rotation',
});

const TOKEN = /^[A-Za-z0-9-]{32,64}$/;

/** Formats 16 bytes of a hash as a UUID-shaped id (36 chars, within AWS's 32..64). */
function uuidFromHash(input: string): string {
  const h = createHash('sha256').update(input).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * The VersionId (= ClientRequestToken) of a rotation's version: the rotationId itself when
 * it is a valid token (credrot's are UUIDs), otherwise a stable id derived from it, so a
 * retried write is always recognised as the same version.
 */
export function versionToken(rotationId: string): string {
  return TOKEN.test(rotationId) ? rotationId : uuidFromHash(`credrot:rotation:${rotationId}`);
}

/** The ClientRequestToken of the placeholder: stable per secret, so racing creators agree. */
export function placeholderToken(secretId: string): string {
  return uuidFromHash(`credrot:placeholder:${secretId}`);
}

/** What one DescribeSecret says about a secret. */
export class Snapshot {
  readonly tags: Map<string, string>;
  /** Version id → staging labels, for versions that carry at least one label. */
  readonly stages: Record<string, string[]>;

  constructor(described: DescribeSecretResponse) {
    this.tags = new Map((described.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    this.stages = described.VersionIdsToStages ?? {};
  }

  get owned(): boolean {
    return this.tags.get(MANAGED_BY_KEY) === MANAGED_BY_VALUE;
  }

  /** The version id that holds `label`, if any. */
  holder(label: string): string | undefined {
    for (const [id, labels] of Object.entries(this.stages)) if (labels.includes(label)) return id;
    return undefined;
  }

  has(versionId: string, label: string): boolean {
    return this.stages[versionId]?.includes(label) ?? false;
  }

  get promotedAt(): Date | undefined {
    const raw = this.tags.get(PROMOTED_AT_TAG);
    const at = raw === undefined ? undefined : new Date(raw);
    return at && !Number.isNaN(at.getTime()) ? at : undefined;
  }
}
