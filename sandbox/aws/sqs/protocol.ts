/**
 * Amazon SQS over the AWS JSON 1.0 protocol, as `@aws-sdk/client-sqs` 3.x speaks it
 * (`x-amz-target: AmazonSQS.<Operation>`, `content-type: application/x-amz-json-1.0`,
 * `x-amzn-query-mode: true`). Errors carry both the JSON `__type` and the
 * `x-amzn-query-error: <query code>;Sender` header, because the SDK is built
 * "awsQueryCompatible" and resolves the exception from the query code first.
 *
 * Responses: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html
 * Errors:    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
 */
import { HttpError, type Response } from '../../http.js';
import { requestId } from '../protocol.js';

export const JSON_10 = 'application/x-amz-json-1.0';
export const SQS_TARGET_PREFIX = 'AmazonSQS.';

/** Shape name → [query-protocol code, HTTP status], from the SDK's error model. */
const CATALOGUE: Record<string, [string, number]> = {
  QueueDoesNotExist: ['AWS.SimpleQueueService.NonExistentQueue', 400],
  QueueNameExists: ['QueueAlreadyExists', 400],
  QueueDeletedRecently: ['AWS.SimpleQueueService.QueueDeletedRecently', 400],
  InvalidAttributeName: ['InvalidAttributeName', 400],
  InvalidAttributeValue: ['InvalidAttributeValue', 400],
  InvalidMessageContents: ['InvalidMessageContents', 400],
  ReceiptHandleIsInvalid: ['ReceiptHandleIsInvalid', 404],
  MessageNotInflight: ['AWS.SimpleQueueService.MessageNotInflight', 400],
  PurgeQueueInProgress: ['AWS.SimpleQueueService.PurgeQueueInProgress', 403],
  EmptyBatchRequest: ['AWS.SimpleQueueService.EmptyBatchRequest', 400],
  TooManyEntriesInBatchRequest: ['AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 400],
  BatchEntryIdsNotDistinct: ['AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 400],
  BatchRequestTooLong: ['AWS.SimpleQueueService.BatchRequestTooLong', 400],
  InvalidBatchEntryId: ['AWS.SimpleQueueService.InvalidBatchEntryId', 400],
  UnsupportedOperation: ['AWS.SimpleQueueService.UnsupportedOperation', 400],
  RequestThrottled: ['RequestThrottled', 403],
  InvalidSecurity: ['InvalidSecurity', 403],
  // Not modelled as exceptions in the SDK: it names them by their query code.
  InvalidParameterValueException: ['InvalidParameterValue', 400],
  MissingRequiredParameterException: ['MissingParameter', 400],
  InternalError: ['InternalError', 500],
  ServiceUnavailable: ['ServiceUnavailable', 503],
};

/** An SQS error: `type` is the shape name (`QueueDoesNotExist`), sent as `com.amazonaws.sqs#<type>`. */
export class SqsError extends HttpError {
  /** The query-protocol code: what a batch entry's `Code` and the SDK error's `name` show. */
  readonly code: string;

  constructor(
    readonly type: string,
    message: string,
  ) {
    const [code, status] = CATALOGUE[type] ?? [type, 400];
    super(status, { __type: `com.amazonaws.sqs#${type}`, message }, errorHeaders(code, status));
    this.code = code;
  }
}

function errorHeaders(code: string, status: number): Record<string, string> {
  return {
    'content-type': JSON_10,
    'x-amzn-query-error': `${code};${status >= 500 ? 'Receiver' : 'Sender'}`,
  };
}

export const queueDoesNotExist = (): SqsError =>
  new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');

/** SQS's wording for a parameter outside its documented range. */
export const invalidParameter = (name: string, value: unknown, reason: string): SqsError =>
  new SqsError(
    'InvalidParameterValueException',
    `Value ${String(value)} for parameter ${name} is invalid. Reason: ${reason}`,
  );

export const missingParameter = (name: string): SqsError =>
  new SqsError(
    'MissingRequiredParameterException',
    `The request must contain the parameter ${name}.`,
  );

/** A successful JSON 1.0 answer; undefined members are dropped. */
export function ok(body: Record<string, unknown> = {}): Response {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (v !== undefined) out[k] = v;
  return { status: 200, headers: { 'content-type': JSON_10 }, body: out };
}

/**
 * What SQS answers for an injected status. Throttling is `RequestThrottled` (the SDK
 * retries it by name); 5xx keep their status so the SDK's transient retry applies.
 */
export function sqsFaultResponse(status: number): Response {
  const err =
    status === 429
      ? new SqsError('RequestThrottled', 'Request is throttled.')
      : status === 403
        ? new SqsError(
            'InvalidSecurity',
            'The request was not made over HTTPS or did not use SigV4.',
          )
        : status === 404
          ? queueDoesNotExist()
          : status === 503
            ? new SqsError(
                'ServiceUnavailable',
                'The request has failed due to a temporary failure of the server.',
              )
            : status >= 500
              ? new SqsError('InternalError', 'An internal error occurred.')
              : new SqsError('InvalidParameterValueException', `injected fault ${status}`);
  return {
    status: status >= 500 ? status : err.status,
    headers: { ...err.headers, 'x-amzn-RequestId': requestId() },
    body: err.body,
  };
}

/**
 * Adapts an answer from the shared AWS helpers (JSON 1.1 `Params` errors such as
 * `SerializationException`) to SQS's wire shape: JSON 1.0 content type, and the
 * query-error header every error carries.
 */
export function toSqsWire(res: Response): void {
  const headers = { ...res.headers };
  for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-type') delete headers[k];
  headers['content-type'] = JSON_10;
  const body = res.body as { __type?: unknown } | undefined;
  if (res.status >= 400 && typeof body?.__type === 'string' && !headers['x-amzn-query-error']) {
    const type = body.__type.split('#').pop() ?? body.__type;
    headers['x-amzn-query-error'] = `${type};${res.status >= 500 ? 'Receiver' : 'Sender'}`;
  }
  headers['x-amzn-RequestId'] = requestId();
  res.headers = headers;
}
