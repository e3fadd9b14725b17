/**
 * Two renderings of the stored resources: the proto object grpc-js serializes, and the
 * proto3 JSON mapping (camelCase, RFC 3339 timestamps, `"3600s"` durations, int64 as
 * strings, default values omitted) that Pub/Sub notifications carry as data.
 *
 * Resource shapes: https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets
 * and https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions
 */
import type { ReplicationPolicy, StoredSecret, StoredVersion } from './model.js';
import { jsonDuration, jsonTimestamp, toProtoTimestamp } from './proto.js';

function aliasesAsInt64(aliases: Record<string, number>): Record<string, string> {
  return Object.fromEntries(Object.entries(aliases).map(([k, v]) => [k, String(v)]));
}

export function secretProto(s: StoredSecret): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: s.name,
    replication: s.replication,
    createTime: toProtoTimestamp(s.createTime),
    labels: s.labels,
    topics: s.topics.map((name) => ({ name })),
    etag: s.etag,
    versionAliases: aliasesAsInt64(s.versionAliases),
    annotations: s.annotations,
  };
  if (s.expireTime) out['expireTime'] = toProtoTimestamp(s.expireTime);
  if (s.rotation) {
    const r: Record<string, unknown> = {};
    if (s.rotation.nextRotationTime)
      r['nextRotationTime'] = toProtoTimestamp(s.rotation.nextRotationTime);
    if (s.rotation.rotationPeriodSeconds !== undefined) {
      r['rotationPeriod'] = { seconds: String(s.rotation.rotationPeriodSeconds), nanos: 0 };
    }
    out['rotation'] = r;
  }
  if (s.versionDestroyTtlSeconds !== undefined) {
    out['versionDestroyTtl'] = { seconds: String(s.versionDestroyTtlSeconds), nanos: 0 };
  }
  return out;
}

/** A version's replication status mirrors its secret's replication policy. */
function replicationStatus(policy: ReplicationPolicy): Record<string, unknown> {
  if (policy.userManaged) {
    return {
      userManaged: { replicas: policy.userManaged.replicas.map((r) => ({ location: r.location })) },
    };
  }
  return { automatic: {} };
}

export function versionProto(v: StoredVersion, secret: StoredSecret): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: v.name,
    createTime: toProtoTimestamp(v.createTime),
    state: v.state,
    replicationStatus: replicationStatus(secret.replication),
    etag: v.etag,
    clientSpecifiedPayloadChecksum: v.clientSpecifiedPayloadChecksum,
  };
  if (v.destroyTime) out['destroyTime'] = toProtoTimestamp(v.destroyTime);
  if (v.scheduledDestroyTime)
    out['scheduledDestroyTime'] = toProtoTimestamp(v.scheduledDestroyTime);
  return out;
}

function nonEmpty<T extends object>(o: T): T | undefined {
  return Object.keys(o).length > 0 ? o : undefined;
}

/** Drops undefined members so JSON.stringify matches the proto3 JSON mapping's omissions. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function replicationJson(policy: ReplicationPolicy): Record<string, unknown> {
  if (policy.userManaged) {
    return {
      userManaged: {
        replicas: policy.userManaged.replicas.map((r) =>
          compact({
            location: r.location,
            customerManagedEncryption: r.customerManagedEncryption ?? undefined,
          }),
        ),
      },
    };
  }
  const cmek = policy.automatic?.customerManagedEncryption;
  return { automatic: cmek ? { customerManagedEncryption: cmek } : {} };
}

export function secretJson(s: StoredSecret): Record<string, unknown> {
  return compact({
    name: s.name,
    replication: replicationJson(s.replication),
    createTime: jsonTimestamp(s.createTime),
    labels: nonEmpty(s.labels),
    topics: s.topics.length > 0 ? s.topics.map((name) => ({ name })) : undefined,
    expireTime: s.expireTime ? jsonTimestamp(s.expireTime) : undefined,
    etag: s.etag,
    rotation: s.rotation
      ? compact({
          nextRotationTime: s.rotation.nextRotationTime
            ? jsonTimestamp(s.rotation.nextRotationTime)
            : undefined,
          rotationPeriod:
            s.rotation.rotationPeriodSeconds !== undefined
              ? jsonDuration(s.rotation.rotationPeriodSeconds)
              : undefined,
        })
      : undefined,
    versionAliases: nonEmpty(aliasesAsInt64(s.versionAliases)),
    annotations: nonEmpty(s.annotations),
    versionDestroyTtl:
      s.versionDestroyTtlSeconds !== undefined
        ? jsonDuration(s.versionDestroyTtlSeconds)
        : undefined,
  });
}

export function versionJson(v: StoredVersion, secret: StoredSecret): Record<string, unknown> {
  return compact({
    name: v.name,
    createTime: jsonTimestamp(v.createTime),
    destroyTime: v.destroyTime ? jsonTimestamp(v.destroyTime) : undefined,
    state: v.state,
    replicationStatus: replicationStatus(secret.replication),
    etag: v.etag,
    clientSpecifiedPayloadChecksum: v.clientSpecifiedPayloadChecksum || undefined,
    scheduledDestroyTime: v.scheduledDestroyTime
      ? jsonTimestamp(v.scheduledDestroyTime)
      : undefined,
  });
}
