/**
 * AWS Secrets Manager rotation metadata: the `DescribeSecret` response
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html),
 * as the SDK returns it (Dates) or as JSON (epoch seconds or ISO strings).
 *
 * The window runs from the last rotation (`LastRotatedDate`, else `CreatedDate`) to the
 * next due rotation: `NextRotationDate` when the service reports it, else
 * `RotationRules.AutomaticallyAfterDays` or a `rate(...)` `ScheduleExpression` added to
 * the start. A `cron(...)` schedule without `NextRotationDate` gives no due time. The
 * "expiry" here is the schedule's due time, not a hard end of validity.
 */
import { ParseError } from '../../errors.js';
import type { ExpiryWindow } from '../types.js';
import { isRecord, readTimestamp } from './common.js';

const RATE = /^rate\((\d+) (hour|hours|day|days)\)$/;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The window of one secret's rotation schedule. Throws `ParseError` on malformed fields. */
export function readAwsRotation(metadata: unknown): ExpiryWindow {
  if (!isRecord(metadata)) throw new ParseError('Secrets Manager metadata is not an object');
  const name = typeof metadata['Name'] === 'string' ? metadata['Name'] : metadata['ARN'];
  if (typeof name !== 'string')
    throw new ParseError("Secrets Manager metadata has no 'Name' or 'ARN'");
  const window: ExpiryWindow = { kind: 'aws-secret', subject: name, fingerprint: '-' };

  const lastRotated = readTimestamp(metadata['LastRotatedDate'], "'LastRotatedDate'");
  const created = readTimestamp(metadata['CreatedDate'], "'CreatedDate'");
  const start = lastRotated ?? created;
  if (start) window.notBefore = start;

  if (metadata['RotationEnabled'] !== true) {
    window.detail = 'rotation is not enabled: nothing makes this secret change';
    return window;
  }
  const next = readTimestamp(metadata['NextRotationDate'], "'NextRotationDate'");
  const periodMs = rotationPeriodMs(metadata['RotationRules']);
  if (next) {
    window.notAfter = next;
  } else if (start && periodMs !== undefined) {
    window.notAfter = new Date(start.getTime() + periodMs);
  } else {
    window.detail = 'rotation is enabled but its next due time cannot be derived';
    return window;
  }
  window.detail = 'next scheduled rotation, not a hard expiry';
  return window;
}

/** The rotation interval of `RotationRules` in ms, undefined for cron schedules or none. */
function rotationPeriodMs(rules: unknown): number | undefined {
  if (rules === undefined || rules === null) return undefined;
  if (!isRecord(rules)) throw new ParseError("'RotationRules' is not an object");
  const days = rules['AutomaticallyAfterDays'];
  if (days !== undefined) {
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1) {
      throw new ParseError("'RotationRules.AutomaticallyAfterDays' is not a positive integer");
    }
    return days * DAY_MS;
  }
  const expression = rules['ScheduleExpression'];
  if (typeof expression !== 'string') return undefined;
  const rate = RATE.exec(expression.trim());
  if (rate) return Number(rate[1]) * (rate[2]!.startsWith('hour') ? HOUR_MS : DAY_MS);
  if (expression.trim().startsWith('cron(')) return undefined;
  throw new ParseError(`'RotationRules.ScheduleExpression' is neither rate(...) nor cron(...)`);
}
