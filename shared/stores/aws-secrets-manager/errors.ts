/**
 * Translates AWS SDK errors into credrot's own. Only the error's name, HTTP status and
 * attempt count are copied: AWS messages are not ours to vouch for, so they are left out
 * of the message (the SDK error stays reachable as `cause` for debugging).
 *
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html
 */
import { OwnershipError, PermissionError, ProviderError } from '../../errors.js';

interface SdkErrorShape {
  name: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $retryable?: unknown;
  code?: unknown;
}

function sdkError(err: unknown): SdkErrorShape | undefined {
  if (!(err instanceof Error)) return undefined;
  return err as Error & SdkErrorShape;
}

/** True when `err` is the AWS exception `name` (e.g. `ResourceNotFoundException`). */
export function isAwsError(err: unknown, ...names: string[]): boolean {
  const e = sdkError(err);
  return e !== undefined && names.includes(e.name);
}

const PERMISSION = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);

const THROTTLING = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

/**
 * Wraps an SDK failure of `operation` on `secretId` into a ProviderError or
 * PermissionError with the status and a fix. Never includes a secret value.
 */
export function translateAwsError(err: unknown, operation: string, secretId: string) {
  const e = sdkError(err);
  const name = e?.name ?? 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const attempts = e?.$metadata?.attempts;
  const context = { secret: secretId, operation, error: name, status, attempts };
  const where = `AWS Secrets Manager ${operation} on secret ${secretId}`;
  const shown = status === undefined ? name : `${name} (HTTP ${status})`;

  if (PERMISSION.has(name) || status === 401 || status === 403) {
    return new PermissionError(
      `${where} was refused: ${shown}. Grant the caller's IAM role secretsmanager:${operation} on this secret (and kms:Decrypt / kms:GenerateDataKey on its KMS key), or check that its credentials are valid.`,
      { cause: err, status: status ?? 403, context },
    );
  }
  if (name === 'ResourceNotFoundException') {
    return new ProviderError(
      `${where} failed: the secret or the version it names does not exist (${shown}). Check the secretId in credrot's configuration and the region of the client.`,
      { cause: err, status: 404, context },
    );
  }
  if (THROTTLING.has(name) || status === 429) {
    return new ProviderError(
      `${where} was throttled: ${shown} after ${attempts ?? 1} attempt(s). The next run retries; lower the schedule's frequency if this persists.`,
      { cause: err, status: status ?? 429, retryable: true, context },
    );
  }
  if (status !== undefined && status >= 500) {
    return new ProviderError(
      `${where} failed on the service side: ${shown} after ${attempts ?? 1} attempt(s). The next run retries.`,
      { cause: err, status, retryable: true, context },
    );
  }
  if (status === undefined) {
    // No HTTP answer at all: connection refused, reset or timed out.
    const code = typeof e?.code === 'string' ? ` ${e.code}` : '';
    return new ProviderError(
      `${where} got no answer (${name}${code}). Check the network path and the endpoint; the next run retries.`,
      { cause: err, retryable: true, context },
    );
  }
  return new ProviderError(`${where} failed: ${shown}.`, { cause: err, status, context });
}

/** The refusal to touch a secret credrot does not own, with the command that adopts it. */
export function awsOwnershipError(secretId: string): OwnershipError {
  return new OwnershipError(
    `secret ${secretId} exists in AWS Secrets Manager but is not tagged managed-by=credrot, so credrot will not write it. If credrot should manage it, adopt it with: aws secretsmanager tag-resource --secret-id ${secretId} --tags Key=managed-by,Value=credrot`,
    { context: { secret: secretId } },
  );
}
