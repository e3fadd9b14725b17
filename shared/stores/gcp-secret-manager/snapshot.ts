/**
 * What one GetSecret says about a credential's secret, and the edits credrot makes to it.
 * State lives in the secret itself so that one etag-guarded UpdateSecret changes it
 * atomically: version aliases `current`, `pending`, `previous`, and annotations
 * - `credrot-versions`: JSON map rotationId → version number (which version each rotation wrote),
 * - `credrot-promoted-at`: ISO instant of the last promotion,
 * - `credrot-retired`: the number of the previous version whose credential was revoked,
 * - `credrot-lease`: JSON `{holder, expiresAt, leaseId}`.
 *
 * https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets#Secret
 * https://cloud.google.com/secret-manager/docs/etags
 */
import type { protos } from '@google-cloud/secret-manager';
import { decodeLease, type LeaseRecord } from '../codec.js';

type ISecret = protos.google.cloud.secretmanager.v1.ISecret;

export const ALIAS = { current: 'current', pending: 'pending', previous: 'previous' } as const;
export const ANNOTATION = {
  versions: 'credrot-versions',
  promotedAt: 'credrot-promoted-at',
  retired: 'credrot-retired',
  lease: 'credrot-lease',
} as const;
export const MANAGED_BY_KEY = 'managed-by';
export const MANAGED_BY_VALUE = 'credrot';

/**
 * Rotations remembered in `credrot-versions`. Annotations share a 16 KiB budget; older
 * rotations fall out (their versions are long unaliased), newest and aliased ones stay.
 */
const REMEMBERED_ROTATIONS = 50;

/** The number at the end of `projects/p/secrets/s/versions/<n>`. */
export function versionNumber(name: string | null | undefined): number | undefined {
  const n = Number((name ?? '').split('/').pop());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function parseVersions(text: string | undefined): Record<string, number> {
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object') return {};
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') out[k] = v;
    return out;
  } catch {
    return {};
  }
}

/** The fields an UpdateSecret rewrites, as a mutable copy. */
export interface SecretDraft {
  aliases: Record<string, number>;
  annotations: Record<string, string>;
}

export class SecretSnapshot {
  readonly etag: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly aliases: Record<string, number>;
  /** rotationId → version number. */
  readonly versions: Record<string, number>;

  constructor(secret: ISecret) {
    this.etag = secret.etag ?? '';
    this.labels = { ...(secret.labels ?? {}) };
    this.annotations = { ...(secret.annotations ?? {}) };
    this.aliases = Object.fromEntries(
      Object.entries(secret.versionAliases ?? {}).map(([k, v]) => [k, Number(v)]),
    );
    this.versions = parseVersions(this.annotations[ANNOTATION.versions]);
  }

  get owned(): boolean {
    return this.labels[MANAGED_BY_KEY] === MANAGED_BY_VALUE;
  }

  versionOf(rotationId: string): number | undefined {
    return this.versions[rotationId];
  }

  get lease(): LeaseRecord | undefined {
    return decodeLease(this.annotations[ANNOTATION.lease]);
  }

  get promotedAt(): Date | undefined {
    const raw = this.annotations[ANNOTATION.promotedAt];
    const at = raw === undefined ? undefined : new Date(raw);
    return at && !Number.isNaN(at.getTime()) ? at : undefined;
  }

  /** The version number recorded as retired, if any. */
  get retired(): number | undefined {
    const n = Number(this.annotations[ANNOTATION.retired]);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  }

  draft(): SecretDraft {
    return { aliases: { ...this.aliases }, annotations: { ...this.annotations } };
  }
}

/** Records `rotationId → n` in the draft, keeping the map within its budget. */
export function rememberVersion(draft: SecretDraft, rotationId: string, n: number): void {
  const map = { ...parseVersions(draft.annotations[ANNOTATION.versions]), [rotationId]: n };
  const aliased = new Set(Object.values(draft.aliases));
  const kept = Object.entries(map)
    .sort((a, b) => b[1] - a[1])
    .filter(([, v], i) => i < REMEMBERED_ROTATIONS || aliased.has(v));
  draft.annotations[ANNOTATION.versions] = JSON.stringify(Object.fromEntries(kept));
}
