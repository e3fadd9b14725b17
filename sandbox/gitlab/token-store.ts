/**
 * The emulator's `personal_access_tokens` table. As in GitLab, project and group access
 * tokens are personal access tokens of a bot user; what makes them "project" or "group"
 * tokens is the bot's membership. Only a SHA-256 digest of each value is kept.
 *
 * Expiry instant: GitLab stores `expires_at` as a date and treats a token as expired when
 * `expires_at <= now`, i.e. from 00:00:00 UTC at the start of that date ("A token with the
 * expiration date of 2024-01-01 expires at 00:00:00 UTC on 2024-01-01",
 * https://docs.gitlab.com/user/group/settings/group_access_tokens/). We use that instant
 * everywhere, including the `state=inactive` filter (GitLab's SQL there compares with
 * CURRENT_DATE, which agrees except on the expiry day itself).
 *
 * Token families (https://docs.gitlab.com/api/personal_access_tokens/#automatic-reuse-detection):
 * each rotation links the new token to the one it replaced; `revokeFamily` revokes every
 * still-active member of the chain.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface AccessTokenRecord {
  id: number;
  userId: number;
  name: string;
  description: string | null;
  scopes: string[];
  /** `YYYY-MM-DD`, or null for a token without expiry. */
  expiresAt: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revoked: boolean;
  revokedAt: Date | null;
  /** The token this one replaced by rotation (GitLab's `previous_personal_access_token_id`). */
  previousId: number | null;
  digest: string;
}

export type TokenState = 'active' | 'revoked' | 'expired';

/** Every scope GitLab accepts on an access token (`Gitlab::Auth.all_available_scopes`, trimmed). */
export const ACCESS_TOKEN_SCOPES = [
  'api',
  'read_api',
  'read_user',
  'create_runner',
  'manage_runner',
  'k8s_proxy',
  'self_rotate',
  'read_repository',
  'write_repository',
  'read_registry',
  'write_registry',
  'read_virtual_registry',
  'write_virtual_registry',
  'ai_features',
  'sudo',
  'admin_mode',
  'read_service_ping',
] as const;

/** Scopes a project or group bot may hold (`Gitlab::Auth.resource_bot_scopes`). */
export const RESOURCE_TOKEN_SCOPES = ACCESS_TOKEN_SCOPES.filter(
  (s) => !['read_user', 'sudo', 'admin_mode', 'read_service_ping'].includes(s),
);

/** GitLab's default maximum lifetime of an access token, in days. */
export const MAX_LIFETIME_DAYS = 365;

const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `prefix` + 20 random URL-safe characters, the shape of a classic GitLab token. */
export function newTokenValue(prefix: string): string {
  const bytes = randomBytes(20);
  let out = prefix;
  for (const b of bytes) out += URL_SAFE[b % URL_SAFE.length];
  return out;
}

export function digestOf(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The instant a date-only `expires_at` takes effect: 00:00:00 UTC of that date. */
export function expiryInstant(expiresAt: string): Date {
  return new Date(`${expiresAt}T00:00:00Z`);
}

// Memoised per date string: state() is asked of every token on every listed page.
const expiryMs = new Map<string, number>();
export function isExpired(expiresAt: string | null, now: Date): boolean {
  if (expiresAt === null) return false;
  let ms = expiryMs.get(expiresAt);
  if (ms === undefined) {
    ms = expiryInstant(expiresAt).getTime();
    if (expiryMs.size > 100_000) expiryMs.clear();
    expiryMs.set(expiresAt, ms);
  }
  return ms <= now.getTime();
}

export interface NewTokenInput {
  userId: number;
  name: string;
  description?: string | null;
  scopes: string[];
  expiresAt: string | null;
  previousId?: number | null;
}

export class TokenStore {
  private readonly byId = new Map<number, AccessTokenRecord>();
  private readonly byDigest = new Map<string, AccessTokenRecord>();
  /** Bumped by every change a listing can see (not by `touch`): listings cache on it. */
  private changes = 0;

  constructor(
    private readonly nextId: () => number,
    private readonly now: () => Date,
  ) {}

  /** Creates a token and returns the record with its plaintext value (shown once). */
  create(input: NewTokenInput): { record: AccessTokenRecord; token: string } {
    const token = newTokenValue('glpat-');
    const record: AccessTokenRecord = {
      id: this.nextId(),
      userId: input.userId,
      name: input.name,
      description: input.description ?? null,
      scopes: [...input.scopes],
      expiresAt: input.expiresAt,
      createdAt: this.now(),
      lastUsedAt: null,
      revoked: false,
      revokedAt: null,
      previousId: input.previousId ?? null,
      digest: digestOf(token),
    };
    this.byId.set(record.id, record);
    this.byDigest.set(record.digest, record);
    this.changes++;
    return { record, token };
  }

  get(id: number): AccessTokenRecord | undefined {
    return this.byId.get(id);
  }

  findByValue(value: string): AccessTokenRecord | undefined {
    return this.byDigest.get(digestOf(value));
  }

  all(): AccessTokenRecord[] {
    return [...this.byId.values()];
  }

  state(record: AccessTokenRecord): TokenState {
    if (record.revoked) return 'revoked';
    if (isExpired(record.expiresAt, this.now())) return 'expired';
    return 'active';
  }

  revoke(record: AccessTokenRecord): void {
    if (record.revoked) return;
    record.revoked = true;
    record.revokedAt = this.now();
    this.changes++;
  }

  /**
   * Identifies the listable state: the changes so far and the clock's UTC day, because a
   * token expires at the start of its `expires_at` day (UTC) and at no other instant.
   */
  listingVersion(): string {
    return `${this.changes}@${Math.floor(this.now().getTime() / 86_400_000)}`;
  }

  /** Revokes the old token and creates its successor (same user, name, scopes) at once. */
  rotate(record: AccessTokenRecord, expiresAt: string | null) {
    this.revoke(record);
    return this.create({
      userId: record.userId,
      name: record.name,
      description: record.description,
      scopes: record.scopes,
      expiresAt,
      previousId: record.id,
    });
  }

  /** Every token linked to `record` by rotation, in either direction, including itself. */
  family(record: AccessTokenRecord): AccessTokenRecord[] {
    const members = new Set<AccessTokenRecord>([record]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const t of this.byId.values()) {
        if (members.has(t)) continue;
        const prev = t.previousId === null ? undefined : this.byId.get(t.previousId);
        const linked =
          (prev && members.has(prev)) || [...members].some((m) => m.previousId === t.id);
        if (linked) {
          members.add(t);
          grew = true;
        }
      }
    }
    return [...members];
  }

  /** Automatic reuse detection: revokes every active token of the family. Returns how many. */
  revokeFamily(record: AccessTokenRecord): number {
    let count = 0;
    for (const t of this.family(record)) {
      if (this.state(t) === 'active') {
        this.revoke(t);
        count += 1;
      }
    }
    return count;
  }

  touch(record: AccessTokenRecord): void {
    record.lastUsedAt = this.now();
  }
}
