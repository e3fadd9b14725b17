/**
 * gRPC errors the emulator answers, worded as Secret Manager words them, plus the
 * `grpc-status-details-bin` trailer (a `google.rpc.Status`) through which Google APIs
 * send structured details such as `google.rpc.RetryInfo` — gRPC's Retry-After.
 *
 * Error model: https://cloud.google.com/apis/design/errors
 */
import { grpc, protobuf } from 'google-gax';

const Status = grpc.status;

/** Thrown by handlers; the server turns it into a gRPC status. */
export class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(`${Status[code]}: ${details}`);
    this.name = 'RpcError';
  }
}

export const invalidArgument = (details: string): RpcError =>
  new RpcError(Status.INVALID_ARGUMENT, details);

export const failedPrecondition = (details: string): RpcError =>
  new RpcError(Status.FAILED_PRECONDITION, details);

export const alreadyExists = (details: string): RpcError =>
  new RpcError(Status.ALREADY_EXISTS, details);

export const notFound = (details: string): RpcError => new RpcError(Status.NOT_FOUND, details);

/** Secret Manager's wording when a secret (or its `latest` version) does not exist. */
export const secretNotFound = (secretName: string): RpcError =>
  notFound(`Secret [${secretName}] not found or has no versions.`);

export const versionNotFound = (versionName: string): RpcError =>
  notFound(`Secret Version [${versionName}] not found.`);

/** The etag precondition failed: https://cloud.google.com/secret-manager/docs/etags */
export const etagMismatch = (resource: string): RpcError =>
  failedPrecondition(
    `The etag provided in the request does not match the current etag of [${resource}].`,
  );

/** Maps an HTTP status from a fault plan to the gRPC code Google's front end would answer. */
export function grpcCodeForHttpStatus(status: number): grpc.status {
  switch (status) {
    case 400:
      return Status.INVALID_ARGUMENT;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.NOT_FOUND;
    case 409:
      return Status.ABORTED;
    case 412:
      return Status.FAILED_PRECONDITION;
    case 429:
      return Status.RESOURCE_EXHAUSTED;
    case 501:
      return Status.UNIMPLEMENTED;
    case 502:
    case 503:
      return Status.UNAVAILABLE;
    case 504:
      return Status.DEADLINE_EXCEEDED;
    default:
      return status >= 500 ? Status.INTERNAL : Status.UNKNOWN;
  }
}

/** The HTTP status Google's REST mapping uses for a gRPC code; what `calls[].status` records. */
export { httpStatusForGrpcCode } from '../../shared/util/grpc-status.js';

// The few google.rpc types needed to encode RetryInfo, described inline because
// google-gax's package exports do not expose its bundled status.json.
const root = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: {
              fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } },
            },
            Duration: {
              fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } },
            },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            RetryInfo: { fields: { retry_delay: { type: 'google.protobuf.Duration', id: 1 } } },
          },
        },
      },
    },
  },
});
const StatusType = root.lookupType('google.rpc.Status');
const RetryInfoType = root.lookupType('google.rpc.RetryInfo');

/** The trailers for an error: a `google.rpc.Status` carrying `RetryInfo` when a delay is known. */
export function errorMetadata(err: RpcError): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (err.retryAfterSeconds === undefined) return metadata;
  const retryInfo = RetryInfoType.encode(
    RetryInfoType.fromObject({ retry_delay: { seconds: err.retryAfterSeconds, nanos: 0 } }),
  ).finish();
  const status = StatusType.encode(
    StatusType.fromObject({
      code: err.code,
      message: err.details,
      details: [{ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value: retryInfo }],
    }),
  ).finish();
  metadata.set('grpc-status-details-bin', Buffer.from(status));
  return metadata;
}
