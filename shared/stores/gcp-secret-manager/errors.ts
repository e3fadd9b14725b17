/**
 * Translates Secret Manager (gRPC) errors into credrot's own. Only the status code is
 * copied, mapped to the HTTP status Google's REST mapping uses; the server's details are
 * left out (the original error stays reachable as `cause`).
 *
 * Error model: https://cloud.google.com/apis/design/errors
 * Access control: https://cloud.google.com/secret-manager/docs/access-control
 */
import { grpc } from 'google-gax';
import { OwnershipError, PermissionError, ProviderError } from '../../errors.js';
import { httpStatusForGrpcCode } from '../../util/grpc-status.js';

export const Status = grpc.status;

/** Codes after which a write may or may not have happened. */
const AMBIGUOUS = new Set<number>([
  Status.UNAVAILABLE,
  Status.DEADLINE_EXCEEDED,
  Status.UNKNOWN,
  Status.INTERNAL,
  Status.CANCELLED,
]);

const RETRYABLE = new Set<number>([...AMBIGUOUS, Status.RESOURCE_EXHAUSTED, Status.ABORTED]);

/** The gRPC status code of `err`, if it carries one. */
export function grpcCode(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export function hasCode(err: unknown, ...codes: number[]): boolean {
  const code = grpcCode(err);
  return code !== undefined && codes.includes(code);
}

/** True when a failed write may nevertheless have been committed (no answer, or a 5xx). */
export function isAmbiguous(err: unknown): boolean {
  const code = grpcCode(err);
  return code === undefined || AMBIGUOUS.has(code);
}

/**
 * Wraps a failure of `method` on `resource` into a ProviderError or PermissionError with
 * the status and a fix. Never includes a secret value.
 */
export function translateGcpError(err: unknown, method: string, resource: string) {
  const code = grpcCode(err);
  const codeName = code === undefined ? 'no status' : (Status[code] ?? String(code));
  const status = code === undefined ? undefined : httpStatusForGrpcCode(code);
  const shown = status === undefined ? codeName : `${codeName} (HTTP ${status})`;
  const context = { resource, method, code, status };
  const where = `GCP Secret Manager ${method} on ${resource}`;

  if (code === Status.PERMISSION_DENIED || code === Status.UNAUTHENTICATED) {
    return new PermissionError(
      `${where} was refused: ${shown}. Grant the caller's service account roles/secretmanager.admin on this secret (or a role with secretmanager.secrets.update, secretmanager.versions.add, secretmanager.versions.access and secretmanager.versions.disable), or check its credentials.`,
      { cause: err, status: status ?? 403, context },
    );
  }
  if (code === Status.NOT_FOUND) {
    return new ProviderError(
      `${where} failed: it does not exist (${shown}). Check the project and secret in credrot's configuration.`,
      { cause: err, status, context },
    );
  }
  if (code === undefined || RETRYABLE.has(code)) {
    return new ProviderError(
      `${where} failed: ${shown}. This is usually temporary; the next run retries.`,
      { cause: err, status, retryable: true, context },
    );
  }
  return new ProviderError(`${where} failed: ${shown}.`, { cause: err, status, context });
}

/** The refusal to touch a secret credrot does not own, with the command that adopts it. */
export function gcpOwnershipError(project: string, secret: string): OwnershipError {
  return new OwnershipError(
    `secret ${secret} in project ${project} exists in GCP Secret Manager but is not labelled managed-by=credrot, so credrot will not write it. If credrot should manage it, adopt it with: gcloud secrets update ${secret} --update-labels=managed-by=credrot --project=${project}`,
    { context: { project, secret } },
  );
}
