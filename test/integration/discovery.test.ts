/**
 * Instance-wide discovery (shared/discovery) through @gitbeaker/rest and credrot's HTTP
 * policy against the GitLab emulator: what it finds, what it costs in calls, and that a
 * shared limiter keeps a burst of work under GitLab's rate limit without a single 429.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitLabEmulator, type GitLabEmulator } from '../../sandbox/gitlab/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';
import { ownerOfBot } from '../../shared/discovery/bot-owner.js';
import { discoverInstanceTokens } from '../../shared/discovery/gitlab-instance.js';
import { PermissionError } from '../../shared/errors.js';
import { HostLimiter } from '../../shared/http/host-limiter.js';
import { createPolicyFetch } from '../../shared/http/policy-fetch.js';
import { GitLabVariableSink } from '../../shared/sinks/gitlab-variables/sink.js';
import { createGitLabClient } from '../../shared/sources/gitlab/client.js';

const DAY = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

let gl: GitLabEmulator;
let server: RunningServer;
let adminToken: string;
let userToken: string;
let aliceId: number;
const expected = new Map<number, string>();
let projectIds: number[] = [];
let groupIds: number[] = [];

/** URLs requested through `client`, query strings included. */
const requested: string[] = [];

function client(token: string, limiter = new HostLimiter({ concurrency: 8 })) {
  const policy = createPolicyFetch({ limiter });
  return createGitLabClient({
    url: server.url,
    token,
    fetch: (input, init) => {
      requested.push(String(input));
      return policy(input, init);
    },
  });
}

const callsOf = (from: number) => gl.router.calls.slice(from);

beforeAll(async () => {
  gl = createGitLabEmulator();
  const admin = gl.createUser({ username: 'root', admin: true });
  adminToken = gl.seedToken({
    userId: admin.id,
    name: 'admin',
    scopes: ['api'],
    expiresAt: day(300),
  }).token;
  const alice = gl.createUser({ username: 'alice' });
  aliceId = alice.id;
  userToken = gl.seedToken({
    userId: alice.id,
    name: 'mine',
    scopes: ['api'],
    expiresAt: day(300),
  }).token;
  groupIds = [0, 1, 2].map((g) => gl.createGroup({ path: `team-${g}` }).id);
  projectIds = Array.from(
    { length: 30 },
    (_, p) => gl.createProject({ path: `svc-${p}`, namespaceId: groupIds[p % 3]! }).id,
  );
  // 250 project tokens (every fifth due), 9 group tokens (every third due), and a due PAT.
  for (let i = 0; i < 250; i++) {
    const projectId = projectIds[i % projectIds.length]!;
    const due = i % 5 === 0;
    const t = gl.seedToken({
      projectId,
      name: `ci-${i}`,
      scopes: ['read_api'],
      expiresAt: day(due ? 5 : 90),
    });
    if (due) expected.set(t.id, `project:${projectId}`);
  }
  for (let i = 0; i < 9; i++) {
    const groupId = groupIds[i % 3]!;
    const due = i % 3 === 0;
    const t = gl.seedToken({
      groupId,
      name: `g-${i}`,
      scopes: ['read_api'],
      expiresAt: day(due ? 3 : 90),
    });
    if (due) expected.set(t.id, `group:${groupId}`);
  }
  const pat = gl.seedToken({
    userId: alice.id,
    name: 'laptop',
    scopes: ['read_api'],
    expiresAt: day(2),
  });
  expected.set(pat.id, `personal:${alice.id}`);
  // A revoked due token is not reported (state=active).
  const revoked = gl.seedToken({
    projectId: projectIds[0]!,
    name: 'old',
    scopes: ['api'],
    expiresAt: day(1),
  });
  server = await listen(gl.router.listener);
  await client(adminToken).ProjectAccessTokens.revoke(projectIds[0]!, revoked.id);
});

afterAll(async () => {
  await server?.close();
});

const ownerKey = (o: { kind: string; projectId?: number; groupId?: number; userId?: number }) =>
  `${o.kind}:${o.projectId ?? o.groupId ?? o.userId}`;

describe('instance-wide discovery', () => {
  it('finds every active token due before the horizon with its project, group or user', async () => {
    const from = gl.router.calls.length;
    const found = await discoverInstanceTokens({
      client: client(adminToken),
      expiresBefore: day(30),
    });
    expect(new Map(found.tokens.map((t) => [t.id, ownerKey(t.owner)]))).toEqual(expected);
    // One administrator check, one page of tokens (53 due), and the three pages of bots.
    expect(found.join).toBe('bot-listing');
    expect(found.calls).toEqual({ check: 1, tokens: 1, owners: 3, total: 5 });
    expect(callsOf(from)).toHaveLength(5);
    const total = 250 + 9 + 3;
    expect(found.calls.total).toBeLessThanOrEqual(Math.ceil(total / 100) + groupIds.length);
    const listing = new URL(requested.find((u) => u.includes('/personal_access_tokens?'))!);
    expect(listing.searchParams.get('state')).toBe('active');
    expect(listing.searchParams.get('per_page')).toBe('100');
    expect(listing.searchParams.get('expires_before')).toBe(day(30));
    const bots = new URL(requested.find((u) => u.includes('/users?'))!);
    expect(bots.searchParams.get('exclude_humans')).toBe('true');
    expect(bots.searchParams.get('per_page')).toBe('100');
  });

  it('looks owners up one by one when that is cheaper than reading every bot', async () => {
    const from = gl.router.calls.length;
    // Due before tomorrow+2: only the PAT (alice) and no bot token, so one lookup beats two bot pages.
    const found = await discoverInstanceTokens({
      client: client(adminToken),
      expiresBefore: day(3),
      assumeAdmin: true,
    });
    expect(found.tokens.map((t) => ownerKey(t.owner))).toEqual([`personal:${aliceId}`]);
    expect(found.join).toBe('user-lookups');
    expect(found.calls).toEqual({ check: 0, tokens: 1, owners: 2, total: 3 });
    expect(
      callsOf(from)
        .map((c) => c.operation)
        .sort(),
    ).toEqual(['gitlab.getUser', 'gitlab.listPersonalTokens', 'gitlab.listUsers']);
  });

  it('spends nothing on the join when the caller already knows every owner', async () => {
    const first = await discoverInstanceTokens({
      client: client(adminToken),
      expiresBefore: day(30),
      assumeAdmin: true,
    });
    const known = new Map(first.tokens.map((t) => [t.userId, t.owner]));
    const again = await discoverInstanceTokens({
      client: client(adminToken),
      expiresBefore: day(30),
      assumeAdmin: true,
      knownOwners: known,
    });
    expect(again.join).toBe('none');
    expect(again.calls.total).toBe(1);
    expect(again.tokens.map((t) => ownerKey(t.owner))).toEqual(
      first.tokens.map((t) => ownerKey(t.owner)),
    );
  });

  it('refuses a token that is not an administrator, since its listing would silently hold only its own tokens', async () => {
    const call = discoverInstanceTokens({ client: client(userToken), expiresBefore: day(30) });
    await expect(call).rejects.toBeInstanceOf(PermissionError);
    await expect(call).rejects.toThrow(/administrator/);
  });

  it('reads the owner from the bot usernames GitLab gives project and group bots', () => {
    expect(ownerOfBot('project_42_bot_0a1b2c3d')).toEqual({ kind: 'project', projectId: 42 });
    expect(ownerOfBot('group_7_bot_ffee')).toEqual({ kind: 'group', groupId: 7 });
    expect(ownerOfBot('project_42_bot2')).toEqual({ kind: 'project', projectId: 42 });
    expect(ownerOfBot('alice')).toBeUndefined();
    expect(ownerOfBot('project_x_bot_1')).toBeUndefined();
  });
});

describe('spending the API budget', () => {
  it('keeps 120 concurrent requests under a 40-a-minute limit without a single 429', async () => {
    let clock = Date.parse('2026-11-22T00:00:10Z');
    const limited = createGitLabEmulator({ rateLimitPerMinute: 40, now: () => new Date(clock) });
    const root = limited.createUser({ username: 'root', admin: true });
    const token = limited.seedToken({
      userId: root.id,
      name: 'admin',
      scopes: ['api'],
      expiresAt: '2027-06-01',
    }).token;
    const srv = await listen(limited.router.listener);
    try {
      // A virtual clock shared by server and client: waiting for the window moves time on.
      const sleep = async (ms: number) => {
        clock += ms;
        await new Promise((r) => setImmediate(r));
      };
      const limiter = new HostLimiter({ concurrency: 16, now: () => clock, sleep });
      const api = createGitLabClient({
        url: srv.url,
        token,
        fetch: createPolicyFetch({ limiter, sleep }),
      });
      const results = await Promise.all(
        Array.from({ length: 120 }, () => api.Users.showCurrentUser()),
      );
      expect(results).toHaveLength(120);
      const statuses = limited.router.calls.map((c) => c.status);
      expect(statuses.filter((s) => s === 429)).toEqual([]);
      expect(statuses).toHaveLength(120);
      // 120 requests at 40 a minute need at least two more windows.
      expect(clock - Date.parse('2026-11-22T00:00:10Z')).toBeGreaterThanOrEqual(110_000);
    } finally {
      await srv.close();
    }
  });

  it('writes nothing to a GitLab variable that already holds the value: one read, no write', async () => {
    const sink = new GitLabVariableSink({
      client: client(adminToken),
      level: { project: projectIds[0]! },
      key: 'DEPLOY_TOKEN',
    });
    expect(await sink.push('glpat-AAAAaaaa1111bbbb2222')).toBe('written');
    const from = gl.router.calls.length;
    expect(await sink.push('glpat-AAAAaaaa1111bbbb2222')).toBe('unchanged');
    expect(callsOf(from).map((c) => `${c.operation} ${c.status}`)).toEqual([
      'gitlab.getProjectVariable 200',
    ]);
  });
});
