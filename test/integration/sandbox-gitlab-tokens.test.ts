import { GitbeakerRequestError, GitbeakerTimeoutError, Gitlab } from '@gitbeaker/rest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createGitLabEmulator,
  type GitLabEmulator,
  type GitLabEmulatorOptions,
} from '../../sandbox/gitlab/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';

const NOW = new Date('2025-03-10T12:00:00Z');
const TOKEN_SHAPE = /^glpat-[A-Za-z0-9_-]{20}$/;

interface World {
  emu: GitLabEmulator;
  server: RunningServer;
  url: string;
  projectId: number;
  groupId: number;
  users: Record<'root' | 'alice' | 'mia' | 'gus' | 'dave', number>;
  tokens: Record<'root' | 'alice' | 'mia' | 'gus' | 'dave' | 'miaReadApi', string>;
}

let w: World;

async function start(opts: GitLabEmulatorOptions = {}): Promise<World> {
  const emu = createGitLabEmulator({ now: () => NOW, ...opts });
  const server = await listen(emu.router.listener);
  const group = emu.createGroup({ path: 'acme' });
  const project = emu.createProject({ path: 'api', namespaceId: group.id });
  const root = emu.createUser({ username: 'root', admin: true });
  const alice = emu.createUser({ username: 'alice' });
  const mia = emu.createUser({ username: 'mia' });
  const gus = emu.createUser({ username: 'gus' });
  const dave = emu.createUser({ username: 'dave' });
  emu.addMember({ groupId: group.id }, alice.id, 50);
  emu.addMember({ groupId: group.id }, gus.id, 40);
  emu.addMember({ projectId: project.id }, mia.id, 40);
  emu.addMember({ projectId: project.id }, dave.id, 30);
  const pat = (userId: number, scopes = ['api']) =>
    emu.seedToken({ userId, name: 'pat', scopes, expiresAt: '2025-12-31' }).token;
  return {
    emu,
    server,
    url: server.url,
    projectId: project.id,
    groupId: group.id,
    users: { root: root.id, alice: alice.id, mia: mia.id, gus: gus.id, dave: dave.id },
    tokens: {
      root: pat(root.id),
      alice: pat(alice.id),
      mia: pat(mia.id),
      gus: pat(gus.id),
      dave: pat(dave.id),
      miaReadApi: pat(mia.id, ['read_api']),
    },
  };
}

function api(token: string, extra: { queryTimeout?: number } = {}) {
  return new Gitlab({ host: w.url, token, ...extra });
}

/** The status and GitLab message of a rejected gitbeaker call. */
async function failure(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof GitbeakerRequestError && err.cause) {
      return { status: err.cause.response.status, message: err.cause.description };
    }
    throw err;
  }
  throw new Error('expected the call to fail');
}

function raw(path: string, token: string | undefined, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('private-token', token);
  return fetch(`${w.url}/api/v4${path}`, { ...init, headers });
}

beforeEach(async () => {
  w = await start();
});

afterEach(async () => {
  await w.server.close();
});

describe('project access tokens', () => {
  it('a maintainer creates a token whose bot user becomes a project member with its role', async () => {
    const created = await api(w.tokens.mia).ProjectAccessTokens.create(
      w.projectId,
      'deployer',
      ['api', 'read_registry'],
      '2025-06-01',
      { accessLevel: 30, description: 'pushes images' } as { accessLevel: 30 },
    );
    expect(created.token).toMatch(TOKEN_SHAPE);
    expect(created).toMatchObject({
      name: 'deployer',
      scopes: ['api', 'read_registry'],
      expires_at: '2025-06-01',
      access_level: 30,
      active: true,
      revoked: false,
      description: 'pushes images',
    });

    const bot = await api(created.token).Users.showCurrentUser();
    expect(bot.username).toMatch(new RegExp(`^project_${w.projectId}_bot_[0-9a-f]{32}$`));
    expect(bot.id).toBe(created.user_id);
    const member = await api(w.tokens.mia).ProjectMembers.show(w.projectId, created.user_id, {
      includeInherited: true,
    });
    expect(member.access_level).toBe(30);
  });

  it('lists and shows tokens without ever returning their values', async () => {
    const created = await api(w.tokens.mia).ProjectAccessTokens.create(
      w.projectId,
      'ci',
      ['read_api'],
      '2025-04-01',
    );
    const list = await api(w.tokens.mia).ProjectAccessTokens.all(w.projectId);
    expect(list.map((t) => t.id)).toEqual([created.id]);
    expect(list[0]).not.toHaveProperty('token');
    const shown = await api(w.tokens.alice).ProjectAccessTokens.show(`acme/api`, created.id);
    expect(shown).toMatchObject({ id: created.id, access_level: 40, active: true });
    expect(shown).not.toHaveProperty('token');
    expect(await failure(api(w.tokens.mia).ProjectAccessTokens.show(w.projectId, 9999))).toEqual({
      status: 404,
      message: '404 project Access Token Not Found',
    });
  });

  it('revoking a token makes it answer 401 and keeps its bot as a member', async () => {
    const created = await api(w.tokens.mia).ProjectAccessTokens.create(
      w.projectId,
      'ci',
      ['api'],
      '2025-04-01',
    );
    await api(w.tokens.mia).ProjectAccessTokens.revoke(w.projectId, created.id);
    expect(w.emu.tokenState(created.token)).toBe('revoked');
    expect((await failure(api(created.token).Users.showCurrentUser())).status).toBe(401);
    const inactive = await api(w.tokens.mia).ProjectAccessTokens.all(w.projectId, {
      state: 'inactive',
    } as object);
    expect(inactive.map((t) => [t.id, t.revoked, t.active])).toEqual([[created.id, true, false]]);
    const member = await api(w.tokens.mia).ProjectMembers.show(w.projectId, created.user_id, {
      includeInherited: true,
    });
    expect(member.access_level).toBe(40);
  });

  it('creating without expires_at answers 400 "expires_at is missing"', async () => {
    const call = api(w.tokens.mia).ProjectAccessTokens.create(
      w.projectId,
      'ci',
      ['api'],
      undefined as unknown as string,
    );
    expect(await failure(call)).toEqual({ status: 400, message: 'expires_at is missing' });
  });

  it('an expiry more than 365 days ahead answers 400 and exactly 365 days is accepted', async () => {
    const tooLate = api(w.tokens.mia).ProjectAccessTokens.create(
      w.projectId,
      'ci',
      ['api'],
      '2026-03-11',
    );
    expect(await failure(tooLate)).toEqual({
      status: 400,
      message: '400 Bad request - Expires at must be before 2026-03-10',
    });
    const ok = await api(w.tokens.mia).ProjectAccessTokens.create(
      w.projectId,
      'ci',
      ['api'],
      '2026-03-10',
    );
    expect(ok.expires_at).toBe('2026-03-10');
  });

  it('rotation defaults to one week, keeps the bot and revokes the old value at once', async () => {
    const old = await api(w.tokens.mia).ProjectAccessTokens.create(
      w.projectId,
      'ci',
      ['api'],
      '2025-04-01',
    );
    const rotated = await api(w.tokens.mia).ProjectAccessTokens.rotate(w.projectId, old.id);
    expect(rotated.id).not.toBe(old.id);
    expect(rotated.user_id).toBe(old.user_id);
    expect(rotated.expires_at).toBe('2025-03-17');
    expect(rotated.token).toMatch(TOKEN_SHAPE);
    expect(rotated.token).not.toBe(old.token);
    expect(await failure(api(old.token).Users.showCurrentUser())).toEqual({
      status: 401,
      message: 'invalid_token',
    });
    expect((await api(rotated.token).Users.showCurrentUser()).id).toBe(old.user_id);

    const chosen = await api(w.tokens.mia).ProjectAccessTokens.rotate(w.projectId, rotated.id, {
      expiresAt: '2025-05-01',
    });
    expect(chosen.expires_at).toBe('2025-05-01');
  });

  it('a developer cannot list (401) or create (400) tokens, and a maintainer cannot mint an owner token', async () => {
    expect(await failure(api(w.tokens.dave).ProjectAccessTokens.all(w.projectId))).toEqual({
      status: 401,
      message: '401 Unauthorized',
    });
    expect(
      await failure(
        api(w.tokens.dave).ProjectAccessTokens.create(w.projectId, 'x', ['api'], '2025-04-01'),
      ),
    ).toEqual({
      status: 400,
      message: '400 Bad request - User does not have permission to create project access token',
    });
    const owner = api(w.tokens.mia).ProjectAccessTokens.create(
      w.projectId,
      'x',
      ['api'],
      '2025-04-01',
      {
        accessLevel: 50,
      },
    );
    expect(await failure(owner)).toEqual({
      status: 400,
      message:
        '400 Bad request - Access level of the token contains permissions not held by the creating user',
    });
  });

  it('a read_api token is refused with 403 insufficient_scope on writes', async () => {
    const call = api(w.tokens.miaReadApi).ProjectAccessTokens.create(
      w.projectId,
      'x',
      ['api'],
      '2025-04-01',
    );
    expect(await failure(call)).toEqual({ status: 403, message: 'insufficient_scope' });
  });

  it('reusing a rotated token to rotate again revokes the whole family', async () => {
    const first = w.emu.seedToken({
      projectId: w.projectId,
      name: 'self',
      scopes: ['api'],
      expiresAt: '2025-04-01',
    });
    const second = await api(first.token).ProjectAccessTokens.rotate(w.projectId, 'self');
    expect(w.emu.tokenState(first.token)).toBe('revoked');
    expect(w.emu.tokenState(second.token)).toBe('active');

    const reuse = await raw(`/projects/${w.projectId}/access_tokens/self/rotate`, first.token, {
      method: 'POST',
    });
    expect(reuse.status).toBe(401);
    expect(reuse.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await reuse.json()).toEqual({
      error: 'invalid_token',
      error_description: 'Token was revoked. You have to re-authorize from the user.',
    });
    expect(w.emu.tokenState(second.token)).toBe('revoked');
    expect((await failure(api(second.token).Users.showCurrentUser())).status).toBe(401);
  });

  it('rotating an already revoked token by id revokes its family and answers 400', async () => {
    const a = await api(w.tokens.mia).ProjectAccessTokens.create(
      w.projectId,
      'ci',
      ['api'],
      '2025-04-01',
    );
    const b = await api(w.tokens.mia).ProjectAccessTokens.rotate(w.projectId, a.id);
    expect(await failure(api(w.tokens.mia).ProjectAccessTokens.rotate(w.projectId, a.id))).toEqual({
      status: 400,
      message: '400 Bad request - Token already revoked',
    });
    expect(w.emu.tokenState(b.token)).toBe('revoked');
  });

  it('a token expires at 00:00 UTC on its expiry date', async () => {
    const t = w.emu.seedToken({
      projectId: w.projectId,
      name: 'ci',
      scopes: ['api'],
      expiresAt: '2025-03-12',
    });
    w.emu.setNow(new Date('2025-03-11T23:59:59Z'));
    expect((await api(t.token).Users.showCurrentUser()).id).toBe(t.userId);
    w.emu.setNow(new Date('2025-03-12T00:00:00Z'));
    expect(w.emu.tokenState(t.token)).toBe('expired');
    const res = await raw('/user', t.token);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: 'invalid_token',
      error_description: 'Token is expired. You can either do re-authorization or token refresh.',
    });
  });
});

describe('group access tokens', () => {
  it('a group owner creates, lists, rotates and revokes them; a group maintainer is refused', async () => {
    const owner = api(w.tokens.alice).GroupAccessTokens;
    const created = await owner.create(w.groupId, 'group-ci', ['read_registry'], '2025-05-01', {
      accessLevel: 20,
    });
    expect(created).toMatchObject({ access_level: 20, scopes: ['read_registry'] });
    const bot = await api(w.tokens.root).Users.show(created.user_id);
    expect(bot.username).toMatch(new RegExp(`^group_${w.groupId}_bot_[0-9a-f]{32}$`));
    expect((await owner.all('acme')).map((t) => t.id)).toEqual([created.id]);
    const rotated = await owner.rotate(w.groupId, created.id);
    expect(rotated.access_level).toBe(20);
    await owner.revoke(w.groupId, rotated.id);
    expect(w.emu.tokenState(rotated.token)).toBe('revoked');
    expect((await owner.all(w.groupId, { state: 'active' } as object)).length).toBe(0);

    expect((await failure(api(w.tokens.gus).GroupAccessTokens.all(w.groupId))).status).toBe(401);
  });
});

describe('personal access tokens', () => {
  it('GET /personal_access_tokens/self describes the calling token', async () => {
    const self = await api(w.tokens.mia).PersonalAccessTokens.show();
    expect(self).toMatchObject({
      user_id: w.users.mia,
      name: 'pat',
      scopes: ['api'],
      active: true,
    });
    expect(self).not.toHaveProperty('token');
  });

  it('creating a token for a user is refused on GitLab.com, even for an administrator', async () => {
    const call = api(w.tokens.root).Users.createPersonalAccessToken(w.users.alice, 'x', ['api']);
    expect(await failure(call)).toEqual({ status: 403, message: '403 Forbidden' });
  });

  it('an administrator creates a token for a user on self-managed GitLab; others are refused', async () => {
    await w.server.close();
    w = await start({ mode: 'self-managed' });
    const created = await api(w.tokens.root).Users.createPersonalAccessToken(
      w.users.alice,
      'made',
      ['read_api'],
      {
        expiresAt: '2025-09-01',
      },
    );
    expect(created).toMatchObject({
      user_id: w.users.alice,
      scopes: ['read_api'],
      expires_at: '2025-09-01',
    });
    expect(created.token).toMatch(TOKEN_SHAPE);
    const defaulted = await api(w.tokens.root).Users.createPersonalAccessToken(w.users.alice, 'd', [
      'api',
    ]);
    expect(defaulted.expires_at).toBe('2026-03-10');
    const refused = api(w.tokens.alice).Users.createPersonalAccessToken(w.users.alice, 'x', [
      'api',
    ]);
    expect((await failure(refused)).status).toBe(403);
  });

  it('an administrator lists tokens across users and bots, filtered by expiry and state', async () => {
    const soonBot = w.emu.seedToken({
      projectId: w.projectId,
      name: 'soon',
      scopes: ['api'],
      expiresAt: '2025-03-20',
    });
    const revokedBot = w.emu.seedToken({
      groupId: w.groupId,
      name: 'gone',
      scopes: ['api'],
      expiresAt: '2025-03-25',
    });
    const later = w.emu.seedToken({
      userId: w.users.alice,
      name: 'later',
      scopes: ['api'],
      expiresAt: '2025-08-01',
    });
    await api(w.tokens.alice).GroupAccessTokens.revoke(w.groupId, revokedBot.id);

    const due = await api(w.tokens.root).PersonalAccessTokens.all({
      expiresBefore: '2025-04-01',
      state: 'active',
    } as object);
    expect(due.map((t) => t.id)).toEqual([soonBot.id]);
    const inactive = await api(w.tokens.root).PersonalAccessTokens.all({
      state: 'inactive',
    } as object);
    expect(inactive.map((t) => t.id)).toEqual([revokedBot.id]);
    const all = await api(w.tokens.root).PersonalAccessTokens.all();
    expect(all.map((t) => t.id)).toEqual(
      expect.arrayContaining([soonBot.id, revokedBot.id, later.id]),
    );

    const own = await api(w.tokens.alice).PersonalAccessTokens.all();
    expect(new Set(own.map((t) => t.user_id))).toEqual(new Set([w.users.alice]));
    const other = api(w.tokens.alice).PersonalAccessTokens.all({ userId: w.users.mia } as object);
    expect((await failure(other)).status).toBe(401);
  });

  it('self-rotation needs the api or self_rotate scope', async () => {
    const readOnly = await failure(api(w.tokens.miaReadApi).PersonalAccessTokens.rotate('self'));
    expect(readOnly).toEqual({ status: 403, message: 'insufficient_scope' });
    const selfRotate = w.emu.seedToken({
      userId: w.users.mia,
      name: 'sr',
      scopes: ['self_rotate'],
      expiresAt: '2025-04-01',
    });
    const rotated = await api(selfRotate.token).PersonalAccessTokens.rotate('self');
    expect(rotated).toMatchObject({
      name: 'sr',
      scopes: ['self_rotate'],
      expires_at: '2025-03-17',
    });
    expect(w.emu.tokenState(selfRotate.token)).toBe('revoked');
    expect(
      (await failure(api(w.tokens.alice).PersonalAccessTokens.rotate(rotated.id))).status,
    ).toBe(401);
  });
});

describe('deploy tokens', () => {
  it('a maintainer creates, lists, shows and deletes project deploy tokens', async () => {
    const dt = api(w.tokens.mia).DeployTokens;
    const created = await dt.create('puller', ['read_registry'], {
      projectId: w.projectId,
      expires_at: '2025-06-01T00:00:00Z',
    });
    expect(created.token).toMatch(/^gldt-[A-Za-z0-9_-]{20}$/);
    expect(created).toMatchObject({
      name: 'puller',
      username: `gitlab+deploy-token-${created.id}`,
      expires_at: '2025-06-01T00:00:00.000Z',
      revoked: false,
      expired: false,
      scopes: ['read_registry'],
    });
    expect((await dt.all({ projectId: w.projectId })).map((t) => t.id)).toEqual([created.id]);
    expect(await dt.show(created.id, { projectId: w.projectId })).not.toHaveProperty('token');
    await dt.remove(created.id, { projectId: w.projectId });
    expect(await failure(dt.show(created.id, { projectId: w.projectId }))).toEqual({
      status: 404,
      message: '404 Not found',
    });
    expect(w.emu.tokenState(created.token)).toBe('revoked');
  });

  it('only group owners create group deploy tokens; developers and non-admins are refused', async () => {
    const created = await api(w.tokens.alice).DeployTokens.create(
      'grp',
      ['read_registry', 'write_registry'],
      {
        groupId: w.groupId,
        username: 'grp-bot',
      },
    );
    expect(created.username).toBe('grp-bot');
    const maint = api(w.tokens.gus).DeployTokens.create('x', ['read_registry'], {
      groupId: w.groupId,
    });
    expect(await failure(maint)).toEqual({ status: 403, message: '403 Forbidden' });
    expect((await api(w.tokens.gus).DeployTokens.all({ groupId: w.groupId })).length).toBe(1);
    const dev = api(w.tokens.dave).DeployTokens.all({ projectId: w.projectId });
    expect((await failure(dev)).status).toBe(403);
    expect((await failure(api(w.tokens.alice).DeployTokens.all())).status).toBe(403);
    expect((await api(w.tokens.root).DeployTokens.all()).map((t) => t.id)).toEqual([created.id]);
    const bad = api(w.tokens.mia).DeployTokens.create('x', ['api' as 'read_registry'], {
      projectId: w.projectId,
    });
    expect(await failure(bad)).toEqual({
      status: 400,
      message: 'scopes does not have a valid value',
    });
  });

  it('a deploy token cannot call the REST API but authenticates to the registry', async () => {
    const d = w.emu.seedDeployToken({
      projectId: w.projectId,
      name: 'd',
      scopes: ['read_registry'],
    });
    expect(await failure(api(d.token).Users.showCurrentUser())).toEqual({
      status: 401,
      message: '401 Unauthorized',
    });
    expect(w.emu.registryAccess(d.username, d.token, 'acme/api/app', ['pull', 'push'])).toEqual({
      ok: true,
      subject: d.username,
      granted: ['pull'],
    });
  });
});

describe('expiry notifications', () => {
  it('the expiry worker raises expiring_access_token once for a project token due within seven days', async () => {
    const received: { event: string | undefined; body: Record<string, unknown> }[] = [];
    const receiver = await listen((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      req.on('end', () => {
        received.push({
          event: req.headers['x-gitlab-event'] as string | undefined,
          body: JSON.parse(text),
        });
        res.end('ok');
      });
    });
    try {
      const hook = await raw(`/projects/${w.projectId}/hooks`, w.tokens.mia, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, resource_access_token_events: true }),
      });
      expect(hook.status).toBe(201);
      const soon = w.emu.seedToken({
        projectId: w.projectId,
        name: 'soon',
        scopes: ['api'],
        expiresAt: '2025-03-15',
      });
      w.emu.seedToken({
        projectId: w.projectId,
        name: 'later',
        scopes: ['api'],
        expiresAt: '2025-05-01',
      });

      expect((await w.emu.runExpiryWorker()).length).toBe(1);
      expect(received).toHaveLength(1);
      expect(received[0]?.event).toBe('Resource Access Token Hook');
      expect(received[0]?.body).toMatchObject({
        object_kind: 'access_token',
        event_name: 'expiring_access_token',
        object_attributes: { id: soon.id, name: 'soon', expires_at: '2025-03-15' },
      });
      expect((await w.emu.runExpiryWorker()).length).toBe(0);
    } finally {
      await receiver.close();
    }
  });
});

describe('faults and rate limits', () => {
  it('an injected 500 answers a GitLab-shaped body', async () => {
    w.emu.faults.addRule({
      operation: 'gitlab.listProjectTokens',
      action: { type: 'status', status: 500 },
    });
    const res = await raw(`/projects/${w.projectId}/access_tokens`, w.tokens.mia);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: '500 Internal Server Error' });
  });

  it('an injected 429 carries Retry-After, and gitbeaker retries past it', async () => {
    w.emu.faults.addRule({
      operation: 'gitlab.getSelfPersonalToken',
      nth: 1,
      action: { type: 'status', status: 429, retryAfterSeconds: 7 },
    });
    const res = await raw('/personal_access_tokens/self', w.tokens.mia);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toEqual({ message: '429 Too Many Requests' });

    w.emu.faults.addRule({
      operation: 'gitlab.getSelfPersonalToken',
      nth: 1,
      action: { type: 'status', status: 429, retryAfterSeconds: 1 },
    });
    w.emu.router.resetCalls();
    expect((await api(w.tokens.mia).PersonalAccessTokens.show()).user_id).toBe(w.users.mia);
    expect(w.emu.router.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it('crash after commit: the token exists although the client saw a network error', async () => {
    w.emu.faults.addRule({
      operation: 'gitlab.createProjectToken',
      action: { type: 'crash-after-commit' },
    });
    const call = api(w.tokens.mia).ProjectAccessTokens.create(
      w.projectId,
      'orphan',
      ['api'],
      '2025-04-01',
    );
    await expect(call).rejects.toThrow(/fetch failed|socket|terminated/i);
    const list = await api(w.tokens.mia).ProjectAccessTokens.all(w.projectId);
    expect(list.map((t) => [t.name, t.active])).toEqual([['orphan', true]]);
  });

  it('hang: the client gives up on its own timeout', async () => {
    w.emu.faults.addRule({
      operation: 'gitlab.rotateProjectToken',
      action: { type: 'hang', ms: 1_000 },
    });
    const t = w.emu.seedToken({
      projectId: w.projectId,
      name: 'ci',
      scopes: ['api'],
      expiresAt: '2025-04-01',
    });
    const call = api(w.tokens.mia, { queryTimeout: 150 }).ProjectAccessTokens.rotate(
      w.projectId,
      t.id,
    );
    await expect(call).rejects.toBeInstanceOf(GitbeakerTimeoutError);
    expect(w.emu.tokenState(t.token)).toBe('active');
  });

  it('the rate limiter answers 429 Retry later per user once over the limit, until the window resets', async () => {
    await w.server.close();
    w = await start({ rateLimitPerMinute: 3 });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await raw('/user', w.tokens.mia);
      expect(res.status).toBe(200);
      seen.push(res.headers.get('ratelimit-remaining') ?? '');
    }
    expect(seen).toEqual(['2', '1', '0']);
    const limited = await raw('/user', w.tokens.mia);
    expect(limited.status).toBe(429);
    expect(await limited.text()).toBe('Retry later\n');
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(limited.headers.get('ratelimit-name')).toBe('throttle_authenticated_api');
    expect(limited.headers.get('ratelimit-observed')).toBe('4');
    expect(limited.headers.get('ratelimit-resettime')).toBe('Mon, 10 Mar 2025 12:01:00 GMT');
    expect(Number(limited.headers.get('ratelimit-reset'))).toBe(
      Date.parse('2025-03-10T12:01:00Z') / 1000,
    );

    expect((await raw('/user', w.tokens.dave)).status).toBe(200);
    w.emu.setNow(new Date('2025-03-10T12:01:00Z'));
    expect((await raw('/user', w.tokens.mia)).status).toBe(200);
  });
});
