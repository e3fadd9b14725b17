/**
 * GitLab access-token metadata, as returned by the personal/project/group access token
 * APIs (https://docs.gitlab.com/api/personal_access_tokens/, .../project_access_tokens/)
 * and the deploy token API (https://docs.gitlab.com/api/deploy_tokens/).
 *
 * `expires_at` is a date (`2025-01-31`) for access tokens. GitLab documents that
 * "personal access tokens expire on the date you define, at midnight UTC", and rejects
 * a token from that date on; so we take `expires_at: D` to mean the instant D 00:00:00Z.
 * The token's last working day is D−1. Deploy tokens return a full timestamp, used as is.
 */
import { ParseError } from '../../errors.js';
import { fingerprint } from '../../util/fingerprint.js';
import type { ExpiryWindow } from '../types.js';
import { isRecord, readTimestamp } from './common.js';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The window of one token's metadata. `token`, when the caller holds the value, only
 * feeds the fingerprint; without it the fingerprint is `-`.
 * Throws `ParseError` when `id` is missing or a date field is malformed.
 */
export function readGitLabToken(metadata: unknown, options: { token?: string } = {}): ExpiryWindow {
  if (!isRecord(metadata)) throw new ParseError('GitLab token metadata is not an object');
  const id = metadata['id'];
  if (typeof id !== 'number' && typeof id !== 'string') {
    throw new ParseError("GitLab token metadata has no 'id'");
  }
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : '(unnamed)';
  const window: ExpiryWindow = {
    kind: 'gitlab-token',
    subject: `${name} (id ${id})`,
    fingerprint: options.token === undefined ? '-' : fingerprint(options.token),
  };
  const notBefore = readTimestamp(metadata['created_at'], "GitLab token 'created_at'");
  if (notBefore) window.notBefore = notBefore;
  const notAfter = expiresAt(metadata['expires_at']);
  if (notAfter) window.notAfter = notAfter;

  const details: string[] = [];
  if (metadata['revoked'] === true) details.push('revoked');
  else if (metadata['active'] === false || metadata['expired'] === true) details.push('inactive');
  if (!notAfter) details.push('expires_at is null: the token never expires');
  if (details.length > 0) window.detail = details.join('; ');
  return window;
}

/** `expires_at` as an instant: a date means 00:00:00 UTC of that date. */
export function expiresAt(value: unknown): Date | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const match = DATE_ONLY.exec(value);
    if (match) {
      const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
      const date = new Date(Date.UTC(year, month - 1, day));
      if (date.getUTCMonth() === month - 1 && date.getUTCDate() === day) return date;
      throw new ParseError(`GitLab token 'expires_at' is not a calendar date: ${value}`);
    }
  }
  return readTimestamp(value, "GitLab token 'expires_at'");
}
