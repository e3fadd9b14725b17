/**
 * GCP Secret Manager `Secret` resource
 * (https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets):
 * `expireTime` (the secret is deleted then: a hard expiry) and `rotation.nextRotationTime`
 * (when Secret Manager publishes SECRET_ROTATE; `rotationPeriod` advances it). Accepts the
 * REST/JSON shape (RFC 3339 strings, camelCase), the Node gRPC client's
 * (`{ seconds, nanos }`), and snake_case field names.
 */
import { ParseError } from '../../errors.js';
import type { ExpiryWindow } from '../types.js';
import { isRecord, readTimestamp } from './common.js';

/**
 * Up to two windows: `expire_time` and `rotation.next_rotation_time`, each with its own
 * locator; one window without expiry when the secret has neither.
 */
export function readGcpSecret(secret: unknown): ExpiryWindow[] {
  if (!isRecord(secret)) throw new ParseError('Secret Manager secret is not an object');
  const name = secret['name'];
  if (typeof name !== 'string' || name === '')
    throw new ParseError("Secret Manager secret has no 'name'");
  const created = readTimestamp(field(secret, 'createTime', 'create_time'), "'createTime'");
  const base = (): ExpiryWindow => {
    const window: ExpiryWindow = { kind: 'gcp-secret', subject: name, fingerprint: '-' };
    if (created) window.notBefore = created;
    return window;
  };

  const windows: ExpiryWindow[] = [];
  const expire = readTimestamp(field(secret, 'expireTime', 'expire_time'), "'expireTime'");
  if (expire) {
    windows.push({
      ...base(),
      notAfter: expire,
      locator: 'expire_time',
      detail: 'the secret is deleted at expire_time',
    });
  }
  const rotation = field(secret, 'rotation', 'rotation');
  if (rotation !== undefined && rotation !== null && !isRecord(rotation)) {
    throw new ParseError("'rotation' is not an object");
  }
  const next = isRecord(rotation)
    ? readTimestamp(
        field(rotation, 'nextRotationTime', 'next_rotation_time'),
        "'rotation.nextRotationTime'",
      )
    : undefined;
  if (next && isRecord(rotation)) {
    const window: ExpiryWindow = {
      ...base(),
      notAfter: next,
      locator: 'rotation.next_rotation_time',
      detail: 'next rotation notification, not a hard expiry',
    };
    const periodMs = durationMs(field(rotation, 'rotationPeriod', 'rotation_period'));
    // The current period started one rotationPeriod before the next notification.
    if (periodMs !== undefined) window.notBefore = new Date(next.getTime() - periodMs);
    windows.push(window);
  }
  if (windows.length === 0) {
    windows.push({ ...base(), detail: 'no expire_time and no rotation schedule' });
  }
  return windows;
}

function field(object: Record<string, unknown>, camel: string, snake: string): unknown {
  return object[camel] ?? object[snake];
}

/** A protobuf Duration: JSON `"3600s"` or `{ seconds, nanos }`. */
function durationMs(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const match = /^(\d+(?:\.\d+)?)s$/.exec(value);
    if (match) return Number(match[1]) * 1_000;
  } else if (isRecord(value) && value['seconds'] !== undefined) {
    const seconds = Number(String(value['seconds']));
    if (Number.isFinite(seconds))
      return seconds * 1_000 + Math.floor(Number(value['nanos'] ?? 0) / 1e6);
  }
  throw new ParseError('\'rotation.rotationPeriod\' is not a duration such as "2592000s"');
}
