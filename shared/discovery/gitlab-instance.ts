/**
 * What is due across a whole GitLab instance, with the fewest API calls.
 *
 * 1. One paginated stream: the administrators' `GET /personal_access_tokens` lists every
 *    token of the instance, including those of the bot users behind project and group
 *    access tokens, filtered on the server (`state=active`, `expires_before`), 100 a page,
 *    pages after the first fetched side by side.
 *    https://docs.gitlab.com/api/personal_access_tokens/#list-all-personal-access-tokens
 * 2. The join. That listing names only the token's `user_id`; the project or group lives
 *    in the bot's username (bot-owner.ts). When the caller already knows the owners (from
 *    its stores) the join costs nothing. Otherwise the first page of the administrators'
 *    bot listing (`GET /users?exclude_humans=true`) is read together with the first page
 *    of tokens, and the cheaper of two correct joins follows: the rest of that listing
 *    when it has no more pages than there are due tokens, else one `GET /users/:id` per
 *    owner still unknown. Never one call per token.
 * Requests run in two rounds of parallel calls (first pages, then the rest), so the wall
 * time is about two round trips plus the pages divided by the concurrency.
 *    https://docs.gitlab.com/api/users/#list-users
 */
import { PermissionError } from '../errors.js';
import { mapBounded } from '../rotation/fleet.js';
import type { GitLabClient } from '../sources/gitlab/client.js';
import { ownerOfBot, type TokenOwner } from './bot-owner.js';
import { type PageFetcher, pageOf, restOfPages } from './pages.js';

export type { TokenOwner } from './bot-owner.js';

export interface DiscoveredToken {
  id: number;
  name: string;
  userId: number;
  /** `YYYY-MM-DD`, or null for a token without expiry. */
  expiresAt: string | null;
  /** ISO 8601, when GitLab says. */
  createdAt?: string;
  /** Where credrot's marker lives on the tokens it minted (GitLab 17.x and later). */
  description: string | null;
  scopes: string[];
  owner: TokenOwner;
}

export interface InstanceDiscoveryOptions {
  /** Authenticated as an administrator (read_api is enough). */
  client: GitLabClient;
  /** Only tokens that expire before this day (`YYYY-MM-DD`, exclusive, as GitLab filters). */
  expiresBefore?: string;
  /** Pages fetched side by side. Default 8; the host limiter bounds it further. */
  concurrency?: number;
  /** Owners already known (e.g. from the stores), by user id: never looked up. */
  knownOwners?: ReadonlyMap<number, TokenOwner>;
  /** Skip the `GET /user` administrator check (the caller has made it). */
  assumeAdmin?: boolean;
}

export type OwnerJoin = 'none' | 'bot-listing' | 'user-lookups';

export interface InstanceDiscovery {
  tokens: DiscoveredToken[];
  /** API calls spent, by purpose. */
  calls: { check: number; tokens: number; owners: number; total: number };
  join: OwnerJoin;
}

interface TokenView {
  id: number;
  name: string;
  user_id: number;
  expires_at?: string | null;
  created_at?: string;
  description?: string | null;
  scopes?: string[];
}

interface UserView {
  id: number;
  username: string;
}

type Expanded<T> = {
  data: T[];
  paginationInfo?: { total?: number | null; totalPages?: number | null; next?: number | null };
};

/** Lists every active token due before `expiresBefore`, each with its project, group or user. */
export async function discoverInstanceTokens(
  options: InstanceDiscoveryOptions,
): Promise<InstanceDiscovery> {
  const { client } = options;
  const concurrency = options.concurrency ?? 8;
  const calls = { check: 0, tokens: 0, owners: 0, total: 0 };
  const checking = options.assumeAdmin ? Promise.resolve() : requireAdmin(client, calls);

  const tokenPage: PageFetcher<TokenView> = async (page) => {
    const query: Record<string, unknown> = {
      state: 'active',
      perPage: 100,
      page,
      showExpanded: true,
    };
    if (options.expiresBefore) query['expiresBefore'] = options.expiresBefore;
    const res = (await client.PersonalAccessTokens.all(
      query as never,
    )) as unknown as Expanded<TokenView>;
    return pageOf(res.data, res.paginationInfo);
  };
  const botPage: PageFetcher<UserView> = async (page) => {
    const res = (await client.Users.all({
      excludeHumans: true,
      perPage: 100,
      page,
      showExpanded: true,
    } as never)) as unknown as Expanded<UserView>;
    return pageOf(res.data, res.paginationInfo);
  };

  // Round one, side by side: the administrator check, the first page of tokens and, when
  // owners must be joined, the first page of bot users (it says what the full join costs).
  const needBots = options.knownOwners === undefined;
  const [, first, firstBots] = await Promise.all([
    checking,
    tokenPage(1),
    needBots ? botPage(1) : Promise.resolve(undefined),
  ]);
  calls.tokens += 1;
  if (firstBots) calls.owners += 1;

  // Round two: the remaining pages of tokens and, when that is the cheaper join (never
  // more pages than there can be owners to find), of bot users too.
  const tokenCount = first.total ?? Number.POSITIVE_INFINITY;
  const botPagesLeft = firstBots?.totalPages !== undefined ? firstBots.totalPages - 1 : undefined;
  const listBots =
    firstBots !== undefined && botPagesLeft !== undefined && botPagesLeft <= tokenCount;
  const [rest, restBots] = await Promise.all([
    restOfPages(first, tokenPage, concurrency),
    listBots ? restOfPages(firstBots, botPage, concurrency) : Promise.resolve(undefined),
  ]);
  calls.tokens += rest.calls;
  if (restBots) calls.owners += restBots.calls;
  // Pages are read side by side: a token created meanwhile may appear twice.
  const views = [...new Map(rest.items.map((t) => [t.id, t])).values()];

  const owners = new Map<number, TokenOwner>(options.knownOwners ?? []);
  const unknown = new Set(views.map((t) => t.user_id).filter((id) => !owners.has(id)));
  let join: OwnerJoin = 'none';
  if (restBots ?? firstBots) {
    join = 'bot-listing';
    learn(owners, unknown, (restBots ?? firstBots)!.items);
  }
  const complete = restBots !== undefined || (firstBots !== undefined && botPagesLeft === 0);
  if (unknown.size > 0 && !complete) {
    join = 'user-lookups';
    calls.owners += await lookUp(client, owners, unknown, concurrency);
  }
  // Whoever is not a project or group bot owns a personal access token.
  for (const id of unknown) owners.set(id, { kind: 'personal', userId: id });
  calls.total = calls.check + calls.tokens + calls.owners;
  const tokens = views.map((t) => ({
    id: t.id,
    name: t.name,
    userId: t.user_id,
    expiresAt: t.expires_at ?? null,
    ...(typeof t.created_at === 'string' ? { createdAt: t.created_at } : {}),
    description: t.description ?? null,
    scopes: t.scopes ?? [],
    owner: owners.get(t.user_id) ?? { kind: 'personal' as const, userId: t.user_id },
  }));
  return { tokens, calls, join };
}

/** A non-administrator's listing holds only their own tokens: refuse rather than miss the rest. */
async function requireAdmin(client: GitLabClient, calls: { check: number }): Promise<void> {
  calls.check += 1;
  const me = (await client.Users.showCurrentUser()) as unknown as { is_admin?: boolean };
  if (me.is_admin !== true) {
    throw new PermissionError(
      "instance-wide discovery needs an administrator token: GET /personal_access_tokens lists only your own tokens otherwise; give its connection an administrator's token (read_api is enough)",
      { status: 403 },
    );
  }
}

function learn(owners: Map<number, TokenOwner>, unknown: Set<number>, users: UserView[]): void {
  for (const u of users) {
    const owner = ownerOfBot(u.username);
    if (!owner || !unknown.has(u.id)) continue;
    owners.set(u.id, owner);
    unknown.delete(u.id);
  }
}

/** One `GET /users/:id` per unknown owner; returns the calls spent. */
async function lookUp(
  client: GitLabClient,
  owners: Map<number, TokenOwner>,
  unknown: Set<number>,
  concurrency: number,
): Promise<number> {
  const ids = [...unknown];
  const users = await mapBounded(
    ids,
    concurrency,
    async (id) => (await client.Users.show(id)) as unknown as UserView,
    (_id, err) => {
      throw err;
    },
  );
  learn(owners, unknown, users);
  return ids.length;
}
