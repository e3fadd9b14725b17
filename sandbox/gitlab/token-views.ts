/**
 * What the access-token endpoints share: the JSON entities GitLab presents
 * (`Entities::PersonalAccessToken`, `Entities::ResourceAccessToken`, `...WithToken`), the
 * list filters of the finder (`PersonalAccessTokensFinder`), and the lifetime rules.
 * https://docs.gitlab.com/api/personal_access_tokens/#list-all-personal-access-tokens
 */
import type { Request } from '../http.js';
import {
  type ApiParams,
  apiParams,
  boolParam,
  dateOnly,
  dateParam,
  dateTimeParam,
  strParam,
} from './grape.js';
import { type AccessTokenRecord, MAX_LIFETIME_DAYS, type TokenStore } from './token-store.js';

const DAY_MS = 86_400_000;

export function presentToken(
  store: TokenStore,
  t: AccessTokenRecord,
  extra: { accessLevel?: number; token?: string } = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    revoked: t.revoked,
    created_at: t.createdAt.toISOString(),
    description: t.description,
    scopes: [...t.scopes],
    user_id: t.userId,
    last_used_at: t.lastUsedAt ? t.lastUsedAt.toISOString() : null,
    active: store.state(t) === 'active',
    expires_at: t.expiresAt,
  };
  if (extra.accessLevel !== undefined) out['access_level'] = extra.accessLevel;
  if (extra.token !== undefined) out['token'] = extra.token;
  return out;
}

/** `YYYY-MM-DD` of `now` plus `days`, in UTC as GitLab's `Date.current` is on GitLab.com. */
export function daysFromNow(now: Date, days: number): string {
  return dateOnly(new Date(now.getTime() + days * DAY_MS));
}

/**
 * The model validation `expires_at_before_instance_max_expiry_date`: at most 365 days ahead.
 * Returns the full message ("Expires at must be before 2026-01-01") or undefined when valid.
 */
export function lifetimeError(expiresAt: string | null, now: Date): string | undefined {
  if (expiresAt === null) return undefined;
  const max = daysFromNow(now, MAX_LIFETIME_DAYS);
  return expiresAt > max ? `Expires at must be before ${max}` : undefined;
}

// Memoised: list filters compare every token's date on every page, and a world holds few
// distinct dates (parsing them per token made the emulator, not the client, the bench's cost).
const dayStarts = new Map<string, number>();
function dayStart(date: string): number {
  let ms = dayStarts.get(date);
  if (ms === undefined) {
    ms = Date.parse(`${date}T00:00:00Z`);
    if (dayStarts.size > 100_000) dayStarts.clear();
    dayStarts.set(date, ms);
  }
  return ms;
}

/** Applies the documented list filters and `sort` to `tokens`. */
export function filterTokens(
  req: Request,
  store: TokenStore,
  tokens: AccessTokenRecord[],
  p: ApiParams = apiParams(req),
): AccessTokenRecord[] {
  let out = tokens;
  const state = strParam(p, 'state');
  if (state === 'active') out = out.filter((t) => store.state(t) === 'active');
  else if (state === 'inactive') out = out.filter((t) => store.state(t) !== 'active');
  if (boolParam(p, 'revoked') === true) out = out.filter((t) => t.revoked);
  else if (boolParam(p, 'revoked') === false) out = out.filter((t) => !t.revoked);
  const createdBefore = dateTimeParam(p, 'created_before');
  if (createdBefore) out = out.filter((t) => t.createdAt < createdBefore);
  const createdAfter = dateTimeParam(p, 'created_after');
  if (createdAfter) out = out.filter((t) => t.createdAt > createdAfter);
  const lastUsedBefore = dateTimeParam(p, 'last_used_before');
  if (lastUsedBefore)
    out = out.filter((t) => t.lastUsedAt !== null && t.lastUsedAt <= lastUsedBefore);
  const lastUsedAfter = dateTimeParam(p, 'last_used_after');
  if (lastUsedAfter)
    out = out.filter((t) => t.lastUsedAt !== null && t.lastUsedAt >= lastUsedAfter);
  // The finder's scopes: expires_before is `expires_at < date`, expires_after `expires_at >= date`.
  const expiresBefore = dateParam(p, 'expires_before');
  if (expiresBefore) {
    out = out.filter(
      (t) => t.expiresAt !== null && dayStart(t.expiresAt) < dayStart(expiresBefore),
    );
  }
  const expiresAfter = dateParam(p, 'expires_after');
  if (expiresAfter) {
    out = out.filter(
      (t) => t.expiresAt !== null && dayStart(t.expiresAt) >= dayStart(expiresAfter),
    );
  }
  const search = strParam(p, 'search');
  if (search) out = out.filter((t) => t.name.toLowerCase().includes(search.toLowerCase()));
  return sortTokens(out, strParam(p, 'sort'));
}

function sortTokens(tokens: AccessTokenRecord[], sort: string | undefined): AccessTokenRecord[] {
  const byId = (a: AccessTokenRecord, b: AccessTokenRecord) => a.id - b.id;
  const exp = (t: AccessTokenRecord) =>
    t.expiresAt ? dayStart(t.expiresAt) : Number.MAX_SAFE_INTEGER;
  const used = (t: AccessTokenRecord) => t.lastUsedAt?.getTime() ?? 0;
  const copy = [...tokens];
  switch (sort) {
    case 'created_asc':
      return copy.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || byId(a, b));
    case 'created_desc':
      return copy.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || byId(b, a));
    case 'expires_asc':
      return copy.sort((a, b) => exp(a) - exp(b) || byId(b, a));
    case 'expires_desc':
      return copy.sort((a, b) => exp(b) - exp(a) || byId(b, a));
    case 'last_used_asc':
      return copy.sort((a, b) => used(a) - used(b) || byId(b, a));
    case 'last_used_desc':
      return copy.sort((a, b) => used(b) - used(a) || byId(b, a));
    case 'name_asc':
      return copy.sort((a, b) => a.name.localeCompare(b.name) || byId(a, b));
    case 'name_desc':
      return copy.sort((a, b) => b.name.localeCompare(a.name) || byId(a, b));
    default:
      return copy.sort(byId);
  }
}
