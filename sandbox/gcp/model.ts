/** The emulator's stored state: secrets and their versions, in the service's own terms. */

export type VersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED';

/** `Replication` as proto-loader decodes it; kept to answer it back unchanged. */
export interface ReplicationPolicy {
  automatic?: { customerManagedEncryption?: { kmsKeyName: string } | null } | null;
  userManaged?: {
    replicas: Array<{
      location: string;
      customerManagedEncryption?: { kmsKeyName: string } | null;
    }>;
  } | null;
}

export interface StoredVersion {
  /** Full resource name with the version number. */
  name: string;
  number: number;
  createTime: Date;
  destroyTime?: Date;
  scheduledDestroyTime?: Date;
  state: VersionState;
  /** Dropped when the version is destroyed. */
  data?: Buffer;
  crc32c: number;
  clientSpecifiedPayloadChecksum: boolean;
  etag: string;
}

export interface StoredRotation {
  nextRotationTime?: Date;
  rotationPeriodSeconds?: number;
}

export interface StoredSecret {
  name: string;
  createTime: Date;
  replication: ReplicationPolicy;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  topics: string[];
  expireTime?: Date;
  rotation?: StoredRotation;
  versionAliases: Record<string, number>;
  versionDestroyTtlSeconds?: number;
  etag: string;
  versions: Map<number, StoredVersion>;
  /** Version numbers are never reused, even after destruction. */
  lastVersion: number;
}
