/**
 * The AWS JSON 1.1 wire protocol as Secrets Manager speaks it: errors as
 * `{"__type": <name>, "Message": <text>}`, timestamps as epoch seconds, the SigV4
 * `authorization` header checked for shape (never for a valid signature), and the bodies
 * answered for injected faults.
 *
 * Protocol: https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
 * Errors:   https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html
 */
import { randomUUID } from 'node:crypto';
import { HttpError, type Request, type Response } from '../http.js';

export const JSON_11 = 'application/x-amz-json-1.1';
export const TARGET_PREFIX = 'secretsmanager.';

/** Thrown by operation handlers; becomes a 400 (or `status`) with AWS's error body. */
export class AwsError extends HttpError {
  constructor(
    readonly type: string,
    message: string,
    status = 400,
  ) {
    super(status, { __type: type, Message: message }, { 'content-type': JSON_11 });
  }
}

export const notFound = (): AwsError =>
  new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

export const markedForDeletion = (): AwsError =>
  new AwsError(
    'InvalidRequestException',
    "You can't perform this operation on the secret because it was marked for deletion.",
  );

export const invalidParameter = (message: string): AwsError =>
  new AwsError('InvalidParameterException', message);

export const invalidRequest = (message: string): AwsError =>
  new AwsError('InvalidRequestException', message);

/** Smithy's constraint-violation wording, as AWS sends it for a model-level check. */
export function validationError(value: unknown, member: string, constraint: string): AwsError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return new AwsError(
    'ValidationException',
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

/** A successful JSON 1.1 answer. */
export function ok(body: Record<string, unknown> = {}): Response {
  return { status: 200, headers: { 'content-type': JSON_11 }, body: dropUndefined(body) };
}

function dropUndefined(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (v !== undefined) out[k] = v;
  return out;
}

/** AWS JSON timestamps are epoch seconds with a fractional part. */
export function epoch(d: Date | undefined): number | undefined {
  return d === undefined ? undefined : d.getTime() / 1000;
}

/** Lower-camel member name as AWS prints it in validation messages (`SecretId` → `secretId`). */
function memberName(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Reads the request members with the type checks the service's deserializer applies. */
export class Params {
  constructor(readonly raw: Record<string, unknown>) {}

  static of(req: Request): Params {
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body.toString('utf8') || '{}');
    } catch {
      throw new AwsError('SerializationException', 'The request body is not valid JSON.');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AwsError(
        'SerializationException',
        'Start of structure or map found where not expected.',
      );
    }
    return new Params(parsed as Record<string, unknown>);
  }

  string(name: string, opts: { min?: number; max?: number } = {}): string | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      throw new AwsError('SerializationException', `STRING_VALUE can not be converted to ${name}`);
    }
    const { min = 0, max = Number.POSITIVE_INFINITY } = opts;
    if (v.length < min) {
      throw validationError(
        v,
        memberName(name),
        `Member must have length greater than or equal to ${min}`,
      );
    }
    if (v.length > max) {
      throw validationError(
        v,
        memberName(name),
        `Member must have length less than or equal to ${max}`,
      );
    }
    return v;
  }

  requiredString(name: string, opts: { min?: number; max?: number } = {}): string {
    const v = this.string(name, { min: 1, ...opts });
    if (v === undefined)
      throw validationError(undefined, memberName(name), 'Member must not be null');
    return v;
  }

  number(name: string, min: number, max: number): number | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new AwsError('SerializationException', `NUMBER_VALUE can not be converted to ${name}`);
    }
    if (v < min) {
      throw validationError(
        v,
        memberName(name),
        `Member must have value greater than or equal to ${min}`,
      );
    }
    if (v > max) {
      throw validationError(
        v,
        memberName(name),
        `Member must have value less than or equal to ${max}`,
      );
    }
    return v;
  }

  boolean(name: string): boolean | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      throw new AwsError('SerializationException', `BOOLEAN_VALUE can not be converted to ${name}`);
    }
    return v;
  }

  stringList(name: string): string[] | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      throw new AwsError('SerializationException', `Expected a list of strings for ${name}`);
    }
    return v as string[];
  }

  /** `SecretBinary` travels base64-encoded in JSON. */
  blob(name: string): Buffer | undefined {
    const v = this.string(name);
    return v === undefined ? undefined : Buffer.from(v, 'base64');
  }

  object(name: string): Record<string, unknown> | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) {
      throw new AwsError('SerializationException', `Expected a structure for ${name}`);
    }
    return v as Record<string, unknown>;
  }

  list(name: string): Record<string, unknown>[] | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => x === null || typeof x !== 'object')) {
      throw new AwsError('SerializationException', `Expected a list of structures for ${name}`);
    }
    return v as Record<string, unknown>[];
  }
}

const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]*)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=[a-z0-9;-]+,\s*Signature=[0-9a-f]{64}$/;

/**
 * Requires a SigV4-shaped `authorization` header scoped to this region and service
 * (`secretsmanager` unless another is given), so
 * that an unsigned or misconfigured client fails here as it would in production. The
 * signature itself is not verified: the sandbox accepts any fake static credentials.
 */
export function checkAuthorization(
  req: Request,
  region: string,
  service = 'secretsmanager',
): Response | undefined {
  const auth = req.header('authorization');
  if (auth === undefined || auth === '') {
    return errorResponse('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const m = SIGV4.exec(auth);
  if (!m || (req.header('x-amz-date') === undefined && req.header('date') === undefined)) {
    return errorResponse(
      'IncompleteSignatureException',
      "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters and existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  const [, accessKeyId, , scopeRegion, scopeService] = m;
  if (!accessKeyId) {
    return errorResponse(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }
  if (scopeService !== service) {
    return errorResponse(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${service}'.`,
    );
  }
  if (scopeRegion !== region) {
    return errorResponse(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region, not '${scopeRegion}'.`,
    );
  }
  return undefined;
}

export function errorResponse(type: string, message: string, status = 400): Response {
  return { status, headers: { 'content-type': JSON_11 }, body: { __type: type, Message: message } };
}

/**
 * The error AWS answers for an injected status. Throttling is a 400 `ThrottlingException`
 * on AWS JSON services (the SDK retries it by name); 5xx keep their status so the SDK's
 * transient-error retry applies.
 */
export function faultResponse(status: number): Response {
  switch (status) {
    case 429:
      return errorResponse('ThrottlingException', 'Rate exceeded', 400);
    case 500:
      return errorResponse('InternalServiceError', 'An error occurred on the server side.', 500);
    case 503:
      return errorResponse(
        'ServiceUnavailable',
        'The request has failed due to a temporary failure of the server.',
        503,
      );
    case 403:
      return errorResponse(
        'AccessDeniedException',
        'You do not have sufficient access to perform this action.',
        400,
      );
    case 404:
      return errorResponse(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
        400,
      );
    default:
      return status >= 500
        ? errorResponse(
            'InternalFailure',
            'The request processing has failed because of an unknown error, exception or failure.',
            status,
          )
        : errorResponse('InvalidRequestException', `injected fault ${status}`, status);
  }
}

/**
 * The operation name from `x-amz-target: <prefix><Operation>`, if it is ours
 * (`secretsmanager.` unless another service's prefix is given, e.g. `AmazonSQS.`).
 */
export function targetOperation(req: Request, prefix = TARGET_PREFIX): string | undefined {
  const target = req.header('x-amz-target');
  if (!target?.startsWith(prefix)) return undefined;
  return target.slice(prefix.length);
}

export function requestId(): string {
  return randomUUID();
}
