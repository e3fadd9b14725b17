import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitLabEmulator, type GitLabEmulator } from '../../sandbox/gitlab/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';

const DAY = 86_400_000;
let gitlab: GitLabEmulator;
let server: RunningServer;
let admin: string;
let now = new Date('2026-11-22T00:00:00Z');

function date(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

async function activeIds(perPage = 2): Promise<number[]> {
  const ids: number[] = [];
  for (let page = 1; ; page++) {
    const res = await fetch(
      `${server.url}/api/v4/personal_access_tokens?state=active&per_page=${perPage}&page=${page}`,
      {
        headers: { 'private-token': admin },
      },
    );
    ids.push(...((await res.json()) as Array<{ id: number }>).map((t) => t.id));
    if (!res.headers.get('x-next-page')) return ids.sort((a, b) => a - b);
  }
}

beforeAll(async () => {
  gitlab = createGitLabEmulator({ now: () => now });
  server = await listen(gitlab.router.listener);
  const root = gitlab.createUser({ username: 'root', admin: true });
  admin = gitlab.seedToken({
    userId: root.id,
    name: 'admin',
    scopes: ['api'],
    expiresAt: date(now.getTime() + 300 * DAY),
  }).token;
});

afterAll(async () => {
  await server?.close();
});

describe('the emulator reuses a listing across its pages, and never serves a stale one', () => {
  it('shows a token created, revoked or expired since the last walk', async () => {
    const user = gitlab.createUser({ username: 'dev' });
    const a = gitlab.seedToken({
      userId: user.id,
      name: 'a',
      scopes: ['api'],
      expiresAt: date(now.getTime() + 2 * DAY),
    });
    const b = gitlab.seedToken({
      userId: user.id,
      name: 'b',
      scopes: ['api'],
      expiresAt: date(now.getTime() + 30 * DAY),
    });
    const first = await activeIds();
    expect(first).toEqual(expect.arrayContaining([a.id, b.id]));

    await fetch(`${server.url}/api/v4/personal_access_tokens/${b.id}`, {
      method: 'DELETE',
      headers: { 'private-token': admin },
    });
    expect(await activeIds()).not.toContain(b.id);

    const c = gitlab.seedToken({
      userId: user.id,
      name: 'c',
      scopes: ['api'],
      expiresAt: date(now.getTime() + 30 * DAY),
    });
    expect(await activeIds()).toContain(c.id);

    now = new Date(now.getTime() + 3 * DAY);
    const later = await activeIds();
    expect(later).not.toContain(a.id);
    expect(later).toContain(c.id);
  });

  it('drops a token from `state=active` at the midnight (UTC) it expires, not a second later', async () => {
    const user = gitlab.createUser({ username: 'night-shift' });
    const midnight = Date.parse(`${date(now.getTime() + 5 * DAY)}T00:00:00Z`);
    const t = gitlab.seedToken({
      userId: user.id,
      name: 'until-midnight',
      scopes: ['api'],
      expiresAt: date(midnight),
    });
    now = new Date(midnight - 1);
    expect(await activeIds()).toContain(t.id);
    expect(await activeIds()).toContain(t.id);
    now = new Date(midnight);
    expect(await activeIds()).not.toContain(t.id);
  });
});
