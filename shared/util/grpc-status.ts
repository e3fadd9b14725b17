/**
 * The HTTP status Google's REST mapping gives each gRPC code
 * (https://cloud.google.com/apis/design/errors#handling_errors), so gRPC failures read
 * like every other provider's in errors, logs and the sandbox's call log.
 */
import { grpc } from 'google-gax';

const Status = grpc.status;

const HTTP_FOR_GRPC: Readonly<Record<number, number>> = {
  [Status.OK]: 200,
  [Status.CANCELLED]: 499,
  [Status.UNKNOWN]: 500,
  [Status.INVALID_ARGUMENT]: 400,
  [Status.DEADLINE_EXCEEDED]: 504,
  [Status.NOT_FOUND]: 404,
  [Status.ALREADY_EXISTS]: 409,
  [Status.PERMISSION_DENIED]: 403,
  [Status.RESOURCE_EXHAUSTED]: 429,
  [Status.FAILED_PRECONDITION]: 400,
  [Status.ABORTED]: 409,
  [Status.OUT_OF_RANGE]: 400,
  [Status.UNIMPLEMENTED]: 501,
  [Status.INTERNAL]: 500,
  [Status.UNAVAILABLE]: 503,
  [Status.DATA_LOSS]: 500,
  [Status.UNAUTHENTICATED]: 401,
};

/** HTTP status for a gRPC code; 500 for a code Google does not map. */
export function httpStatusForGrpcCode(code: number): number {
  return HTTP_FOR_GRPC[code] ?? 500;
}
