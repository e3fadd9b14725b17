/**
 * The Secret Manager v1 service definition, loaded from the `.proto` files that ship in
 * `@google-cloud/secret-manager` with google-gax's own loader (which adds the googleapis
 * common protos: annotations, field_mask, iam), plus the proto wire shapes of the
 * well-known types the handlers read and write.
 *
 * RPC reference: https://cloud.google.com/secret-manager/docs/reference/rpc/google.cloud.secretmanager.v1
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GrpcClient, grpc } from 'google-gax';
import { invalidArgument } from './errors.js';

export const SERVICE_NAME = 'google.cloud.secretmanager.v1.SecretManagerService';

/** Loads the service definition (cached by google-gax across calls). */
export function loadServiceDefinition(): grpc.ServiceDefinition {
  const [definition] = loadGrpcServices(
    '@google-cloud/secret-manager',
    'google/cloud/secretmanager/v1/service.proto',
    [SERVICE_NAME],
  );
  return definition!;
}

/**
 * Loads services from the `.proto` files a Google client package ships under
 * `build/protos`, with google-gax's loader (which adds the googleapis common protos).
 */
export function loadGrpcServices(
  packageName: string,
  protoFile: string,
  serviceNames: string[],
): grpc.ServiceDefinition[] {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve(`${packageName}/package.json`));
  const loader = new GrpcClient({ grpc });
  const pkg = loader.loadProto(join(pkgDir, 'build', 'protos'), protoFile);
  return serviceNames.map((name) => {
    const ctor = lookup(pkg, name);
    if (typeof ctor !== 'function' || !('service' in ctor)) {
      throw new Error(`${name} not found in the protos shipped with ${packageName}`);
    }
    return (ctor as unknown as { service: grpc.ServiceDefinition }).service;
  });
}

function lookup(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || (typeof cur !== 'object' && typeof cur !== 'function')) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** `google.protobuf.Timestamp` as proto-loader hands it over (int64 as string). */
export interface ProtoTimestamp {
  seconds: string | number;
  nanos?: number;
}

/** `google.protobuf.Duration` as proto-loader hands it over. */
export type ProtoDuration = ProtoTimestamp;

export function toProtoTimestamp(d: Date): ProtoTimestamp {
  const ms = d.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function fromProtoTimestamp(t: ProtoTimestamp, field: string): Date {
  const seconds = Number(t.seconds);
  const nanos = t.nanos ?? 0;
  if (!Number.isFinite(seconds) || nanos < 0 || nanos > 999_999_999) {
    throw invalidArgument(`Invalid ${field}.`);
  }
  return new Date(seconds * 1000 + Math.floor(nanos / 1_000_000));
}

/** A Duration in whole seconds; fractional durations are rejected where the API demands seconds. */
export function durationSeconds(d: ProtoDuration, field: string, wholeSeconds: boolean): number {
  const seconds = Number(d.seconds);
  const nanos = d.nanos ?? 0;
  if (!Number.isFinite(seconds) || (wholeSeconds && nanos !== 0)) {
    throw invalidArgument(`${field} must be in seconds.`);
  }
  return seconds + nanos / 1e9;
}

/** RFC 3339 with `Z`, as the proto3 JSON mapping writes a Timestamp. */
export function jsonTimestamp(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

/** `"3600s"`, as the proto3 JSON mapping writes a Duration. */
export function jsonDuration(seconds: number): string {
  return `${seconds}s`;
}
