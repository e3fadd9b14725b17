import { request as httpRequest } from 'node:http';
import { GitbeakerRequestError, Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitLabEmulator, type GitLabEmulator } from '../../sandbox/gitlab/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';

const NOW = new Date('2025-03-10T12:00:00Z');

let emu: GitLabEmulator;
let server: RunningServer;
let ids: { group: number; sub: number; project: number; alice: number; dave: number; eve: number };
let tokens: { alice: string; dave: string; eve: string; root: string; readUser: string };

beforeAll(async () => {
  emu = createGitLabEmulator({ now: () => NOW });
  server = await listen(emu.router.listener);
  const group = emu.createGroup({ path: 'acme' });
  const sub = emu.createGroup({ path: 'platform', parentId: group.id });
  const project = emu.createProject({ path: 'api', namespaceId: sub.id });
  const root = emu.createUser({ username: 'root', admin: true });
  const alice = emu.createUser({ username: 'alice' });
  const dave = emu.createUser({ username: 'dave' });
  const eve = emu.createUser({ username: 'eve' });
  emu.addMember({ groupId: group.id }, alice.id, 50);
  emu.addMember({ projectId: project.id }, dave.id, 30);
  emu.addMember({ groupId: sub.id }, dave.id, 20);
  ids = {
    group: group.id,
    sub: sub.id,
    project: project.id,
    alice: alice.id,
    dave: dave.id,
    eve: eve.id,
  };
  const pat = (userId: number, scopes = ['api']) =>
    emu.seedToken({ userId, name: 'pat', scopes, expiresAt: '2025-12-31' }).token;
  tokens = {
    alice: pat(alice.id),
    dave: pat(dave.id),
    eve: pat(eve.id),
    root: pat(root.id),
    readUser: pat(alice.id, ['read_user']),
  };
  // 130 more tokens for alice, so her token list spans several pages.
  for (let i = 0; i < 130; i++) {
    emu.seedToken({
      userId: alice.id,
      name: `bulk-${i}`,
      scopes: ['read_api'],
      expiresAt: '2025-06-01',
    });
  }
});

afterAll(async () => {
  await server.close();
});

function api(token: string) {
  return new Gitlab({ host: server.url, token });
}

async function status(call: Promise<unknown>): Promise<[number, string]> {
  try {
    await call;
  } catch (err) {
    if (err instanceof GitbeakerRequestError && err.cause) {
      return [err.cause.response.status, err.cause.description];
    }
    throw err;
  }
  throw new Error('expected the call to fail');
}

/** A raw GET with a chosen Host header (fetch cannot set Host). */
function getWithHost(path: string, host: string, token: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>(
    (resolve, reject) => {
      const req = httpRequest(
        `${server.url}${path}`,
        { headers: { host, 'private-token': token } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

describe('authentication', () => {
  it('accepts PRIVATE-TOKEN, Authorization: Bearer and private_token=', async () => {
    expect((await api(tokens.alice).Users.showCurrentUser()).username).toBe('alice');
    const bearer = await new Gitlab({
      host: server.url,
      oauthToken: tokens.dave,
    }).Users.showCurrentUser();
    expect(bearer.username).toBe('dave');
    const query = await fetch(`${server.url}/api/v4/user?private_token=${tokens.eve}`);
    expect(((await query.json()) as { username: string }).username).toBe('eve');
  });

  it('answers 401 {"message":"401 Unauthorized"} for a missing or unknown token', async () => {
    const none = await fetch(`${server.url}/api/v4/user`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ message: '401 Unauthorized' });
    expect(await status(api('glpat-notarealtokenvalue0').Users.showCurrentUser())).toEqual([
      401,
      '401 Unauthorized',
    ]);
  });

  it('shows administrators as such and lets read_user tokens read users only', async () => {
    const me = await api(tokens.root).Users.showCurrentUser();
    expect(me).toMatchObject({ username: 'root', is_admin: true, bot: false });
    expect((await api(tokens.readUser).Users.show(ids.dave)).username).toBe('dave');
    expect((await status(api(tokens.readUser).Projects.show(ids.project)))[0]).toBe(403);
  });
});

describe('users, groups and projects', () => {
  it('finds users by id and answers 404 User Not Found otherwise', async () => {
    expect(await api(tokens.eve).Users.show(ids.dave)).toMatchObject({
      id: ids.dave,
      username: 'dave',
    });
    expect(await status(api(tokens.eve).Users.show(424242))).toEqual([404, '404 User Not Found']);
  });

  it('finds a project by id or URL-encoded full path, hidden from non-members', async () => {
    const byPath = await api(tokens.dave).Projects.show('acme/platform/api');
    expect(byPath).toMatchObject({
      id: ids.project,
      path_with_namespace: 'acme/platform/api',
      namespace: { id: ids.sub, full_path: 'acme/platform' },
    });
    expect((await api(tokens.alice).Projects.show(ids.project)).id).toBe(ids.project);
    expect(await status(api(tokens.eve).Projects.show(ids.project))).toEqual([
      404,
      '404 Project Not Found',
    ]);
  });

  it('finds a subgroup by full path with its parent', async () => {
    const sub = await api(tokens.alice).Groups.show('acme/platform');
    expect(sub).toMatchObject({ id: ids.sub, full_path: 'acme/platform', parent_id: ids.group });
    expect(await status(api(tokens.eve).Groups.show(ids.group))).toEqual([
      404,
      '404 Group Not Found',
    ]);
  });
});

describe('memberships', () => {
  it('reports effective access including inheritance from ancestor groups', async () => {
    const aliceOnProject = await api(tokens.dave).ProjectMembers.show(ids.project, ids.alice, {
      includeInherited: true,
    });
    expect(aliceOnProject.access_level).toBe(50);
    const daveOnProject = await api(tokens.alice).ProjectMembers.show(ids.project, ids.dave, {
      includeInherited: true,
    });
    expect(daveOnProject.access_level).toBe(30);
    const daveOnSub = await api(tokens.alice).GroupMembers.show(ids.sub, ids.dave, {
      includeInherited: true,
    });
    expect(daveOnSub.access_level).toBe(20);
    expect(
      await status(
        api(tokens.alice).ProjectMembers.show(ids.project, ids.eve, { includeInherited: true }),
      ),
    ).toEqual([404, '404 Member Not Found']);
  });

  it('lists every effective member of a project', async () => {
    const members = await api(tokens.dave).ProjectMembers.all(ids.project, {
      includeInherited: true,
    });
    expect(members.map((m) => [m.username, m.access_level])).toEqual([
      ['alice', 50],
      ['dave', 30],
    ]);
  });
});

describe('pagination', () => {
  it('answers GitLab headers and absolute Link URLs built from the request Host', async () => {
    const res = await getWithHost(
      '/api/v4/personal_access_tokens?per_page=50&page=2&state=active',
      'gitlab.example.test',
      tokens.alice,
    );
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'x-page': '2',
      'x-per-page': '50',
      'x-next-page': '3',
      'x-prev-page': '1',
      'x-total': '132',
      'x-total-pages': '3',
    });
    const base = 'http://gitlab.example.test/api/v4/personal_access_tokens';
    expect(res.headers['link']).toBe(
      [
        `<${base}?per_page=50&page=1&state=active>; rel="prev"`,
        `<${base}?per_page=50&page=3&state=active>; rel="next"`,
        `<${base}?per_page=50&page=1&state=active>; rel="first"`,
        `<${base}?per_page=50&page=3&state=active>; rel="last"`,
      ].join(', '),
    );
  });

  it('leaves x-next-page empty on the last page and clamps per_page to 100', async () => {
    const res = await fetch(`${server.url}/api/v4/personal_access_tokens?per_page=500&page=2`, {
      headers: { 'private-token': tokens.alice },
    });
    expect(res.headers.get('x-per-page')).toBe('100');
    expect(res.headers.get('x-next-page')).toBe('');
    expect(res.headers.get('x-prev-page')).toBe('1');
    expect(((await res.json()) as unknown[]).length).toBe(32);
  });

  it('lets gitbeaker collect every page, stop at maxPages, or fetch one offset page', async () => {
    const all = await api(tokens.alice).PersonalAccessTokens.all({ showExpanded: true });
    expect(all.data.length).toBe(132);
    expect(new Set(all.data.map((t) => t.id)).size).toBe(132);
    expect(all.paginationInfo).toMatchObject({
      total: 132,
      totalPages: 7,
      current: 7,
      next: null,
      perPage: 20,
    });

    const capped = await api(tokens.alice).PersonalAccessTokens.all({ maxPages: 2, perPage: 50 });
    expect(capped.length).toBe(100);

    const one = await api(tokens.alice).PersonalAccessTokens.all({
      pagination: 'offset',
      page: 2,
      perPage: 100,
      showExpanded: true,
    });
    expect(one.data.length).toBe(32);
    expect(one.paginationInfo).toMatchObject({
      current: 2,
      previous: 1,
      next: null,
      totalPages: 2,
    });
  });
});

describe('registry access', () => {
  it('grants access-token holders what their scopes and role allow, on the right project only', async () => {
    const other = emu.createProject({ path: 'web', namespaceId: ids.group });
    const pull = emu.seedToken({
      userId: ids.dave,
      name: 'pull',
      scopes: ['read_registry'],
      expiresAt: '2025-06-01',
    });
    expect(
      emu.registryAccess('anything', pull.token, 'acme/platform/api/app', ['pull', 'push']),
    ).toEqual({
      ok: true,
      subject: 'dave',
      granted: ['pull'],
    });
    expect(
      emu.registryAccess('dave', tokens.dave, 'acme/platform/api', ['pull', 'push', 'delete']),
    ).toEqual({
      ok: true,
      subject: 'dave',
      granted: ['pull', 'push'],
    });
    expect(emu.registryAccess('dave', tokens.dave, `acme/${other.path}`, ['pull'])).toEqual({
      ok: true,
      subject: 'dave',
      granted: [],
    });
    expect(emu.registryAccess('alice', tokens.alice, 'acme/platform/api', ['*'])).toMatchObject({
      granted: ['*'],
    });
  });

  it('refuses wrong, revoked and mismatched credentials, and limits deploy tokens to their owner', async () => {
    expect(
      emu.registryAccess('dave', 'glpat-wrongwrongwrongwron', 'acme/platform/api', ['pull']),
    ).toEqual({
      ok: false,
    });
    const gone = emu.seedToken({
      userId: ids.dave,
      name: 'gone',
      scopes: ['api'],
      expiresAt: '2025-06-01',
    });
    await api(gone.token).PersonalAccessTokens.remove();
    expect(emu.registryAccess('dave', gone.token, 'acme/platform/api', ['pull'])).toEqual({
      ok: false,
    });

    const d = emu.seedDeployToken({
      groupId: ids.group,
      name: 'g',
      scopes: ['read_registry', 'write_registry'],
    });
    expect(emu.registryAccess('someone-else', d.token, 'acme/platform/api', ['pull'])).toEqual({
      ok: false,
    });
    expect(
      emu.registryAccess(d.username, d.token, 'acme/platform/api/img', ['pull', 'push']),
    ).toEqual({
      ok: true,
      subject: d.username,
      granted: ['pull', 'push'],
    });
    const expired = emu.seedDeployToken({
      projectId: ids.project,
      name: 'old',
      scopes: ['read_registry'],
      expiresAt: '2025-03-01T00:00:00Z',
    });
    expect(
      emu.registryAccess(expired.username, expired.token, 'acme/platform/api', ['pull']),
    ).toEqual({
      ok: false,
    });
    expect(emu.tokenState(expired.token)).toBe('expired');
  });
});
