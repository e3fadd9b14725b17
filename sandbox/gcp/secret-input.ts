/**
 * Reads the writable fields of a `Secret` message (as proto-loader decodes it) into the
 * stored form, applying the documented rules, for CreateSecret and UpdateSecret.
 *
 * https://cloud.google.com/secret-manager/docs/reference/rpc/google.cloud.secretmanager.v1#google.cloud.secretmanager.v1.Secret
 */
import { invalidArgument } from './errors.js';
import type { ReplicationPolicy, StoredRotation, StoredSecret } from './model.js';
import {
  durationSeconds,
  fromProtoTimestamp,
  type ProtoDuration,
  type ProtoTimestamp,
} from './proto.js';
import {
  validateAliases,
  validateAnnotations,
  validateLabels,
  validateRotation,
  validateTopics,
} from './validate.js';

export interface SecretInput {
  name?: string;
  replication?: ReplicationPolicy | null;
  labels?: Record<string, string>;
  topics?: Array<{ name: string }>;
  expireTime?: ProtoTimestamp | null;
  ttl?: ProtoDuration | null;
  etag?: string;
  rotation?: {
    nextRotationTime?: ProtoTimestamp | null;
    rotationPeriod?: ProtoDuration | null;
  } | null;
  versionAliases?: Record<string, string | number>;
  annotations?: Record<string, string>;
  versionDestroyTtl?: ProtoDuration | null;
}

export function readReplication(input: SecretInput): ReplicationPolicy {
  const r = input.replication;
  if (r?.automatic) {
    const cmek = r.automatic.customerManagedEncryption;
    return { automatic: cmek ? { customerManagedEncryption: cmek } : {} };
  }
  if (r?.userManaged) {
    const replicas = r.userManaged.replicas ?? [];
    if (replicas.length === 0 || replicas.some((x) => !x.location)) {
      throw invalidArgument('Replication.UserManaged.replicas must list at least one location.');
    }
    return {
      userManaged: {
        replicas: replicas.map(({ location, customerManagedEncryption: cmek }) =>
          cmek ? { location, customerManagedEncryption: cmek } : { location },
        ),
      },
    };
  }
  throw invalidArgument('The replication policy of the secret must be set.');
}

/** `expire_time` or `ttl` (an input-only shorthand for now + ttl); undefined = never. */
export function readExpiration(input: SecretInput, now: Date): Date | undefined {
  if (input.ttl) {
    const seconds = durationSeconds(input.ttl, 'ttl', false);
    if (seconds <= 0) throw invalidArgument('ttl must be positive.');
    return new Date(now.getTime() + seconds * 1000);
  }
  if (input.expireTime) {
    const at = fromProtoTimestamp(input.expireTime, 'expire_time');
    if (at <= now) throw invalidArgument('expire_time must be in the future.');
    return at;
  }
  return undefined;
}

export function readRotation(input: SecretInput): StoredRotation | undefined {
  const r = input.rotation;
  if (!r) return undefined;
  const out: StoredRotation = {};
  if (r.nextRotationTime) {
    out.nextRotationTime = fromProtoTimestamp(r.nextRotationTime, 'next_rotation_time');
  }
  if (r.rotationPeriod) {
    out.rotationPeriodSeconds = durationSeconds(r.rotationPeriod, 'rotation_period', true);
  }
  return out.nextRotationTime || out.rotationPeriodSeconds !== undefined ? out : undefined;
}

export function readAliases(input: SecretInput): Record<string, number> {
  return Object.fromEntries(
    Object.entries(input.versionAliases ?? {}).map(([k, v]) => [k, Number(v)]),
  );
}

export function readTopics(input: SecretInput): string[] {
  return (input.topics ?? []).map((t) => t.name);
}

export function readDestroyTtl(input: SecretInput): number | undefined {
  if (!input.versionDestroyTtl) return undefined;
  const seconds = durationSeconds(input.versionDestroyTtl, 'version_destroy_ttl', true);
  return seconds > 0 ? seconds : undefined;
}

/** Checks the rules that span fields; `rotationChanged` re-checks the 5-minute lead. */
export function validateSecret(s: StoredSecret, now: Date, rotationChanged: boolean): void {
  validateLabels(s.labels);
  validateAnnotations(s.annotations);
  validateTopics(s.topics);
  validateAliases(s.versionAliases, (n) => s.versions.has(n));
  if (s.rotation) {
    if (rotationChanged) validateRotation(s.rotation, s.topics, now);
    else if (s.topics.length === 0) {
      throw invalidArgument('A secret with a rotation policy must have at least one topic.');
    }
  }
}

/** Field mask paths UpdateSecret accepts, in snake_case; camelCase input is normalized. */
const UPDATABLE = new Set([
  'labels',
  'topics',
  'expire_time',
  'ttl',
  'rotation',
  'rotation.next_rotation_time',
  'rotation.rotation_period',
  'version_aliases',
  'annotations',
  'version_destroy_ttl',
]);

export function normalizePath(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Applies the masked fields of `input` to a copy of `current`. */
export function applyMask(
  current: StoredSecret,
  input: SecretInput,
  paths: string[],
  now: Date,
): { next: StoredSecret; rotationChanged: boolean } {
  const next: StoredSecret = {
    ...current,
    labels: { ...current.labels },
    annotations: { ...current.annotations },
    topics: [...current.topics],
    versionAliases: { ...current.versionAliases },
    rotation: current.rotation ? { ...current.rotation } : undefined,
  };
  let rotationChanged = false;
  for (const raw of paths) {
    const path = normalizePath(raw);
    if (path === 'replication') throw invalidArgument('The replication policy is immutable.');
    if (!UPDATABLE.has(path)) throw invalidArgument(`Invalid update_mask path [${raw}].`);
    switch (path) {
      case 'labels':
        next.labels = { ...(input.labels ?? {}) };
        break;
      case 'annotations':
        next.annotations = { ...(input.annotations ?? {}) };
        break;
      case 'topics':
        next.topics = readTopics(input);
        break;
      case 'version_aliases':
        next.versionAliases = readAliases(input);
        break;
      case 'expire_time':
      case 'ttl':
        next.expireTime = readExpiration(input, now);
        break;
      case 'version_destroy_ttl':
        next.versionDestroyTtlSeconds = readDestroyTtl(input);
        break;
      default: {
        rotationChanged = true;
        const r = readRotation(input);
        if (path === 'rotation') next.rotation = r;
        else {
          const merged = { ...(next.rotation ?? {}) };
          if (path === 'rotation.next_rotation_time') merged.nextRotationTime = r?.nextRotationTime;
          else merged.rotationPeriodSeconds = r?.rotationPeriodSeconds;
          next.rotation =
            merged.nextRotationTime || merged.rotationPeriodSeconds !== undefined
              ? merged
              : undefined;
        }
      }
    }
  }
  return { next, rotationChanged };
}
