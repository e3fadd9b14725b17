/**
 * GitLabAccessTokenSource.verify against the GitLab emulator: one authenticated GET of
 * `/personal_access_tokens/self` through the HTTP policy proves a new token, and a token
 * GitLab refuses, or one that is not the token credrot stored, fails verification with a
 * message that never holds the token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitLabEmulator, type GitLabEmulator } from '../../sandbox/gitlab/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';
import { VerificationError } from '../../shared/errors.js';
import { createPolicyFetch } from '../../shared/http/policy-fetch.js';
import type { StoredCredential } from '../../shared/rotation/types.js';
import { GitLabAccessTokenSource } from '../../shared/sources/gitlab/access-token.js';
import { createGitLabClient } from '../../shared/sources/gitlab/client.js';

const DAY = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

let gl: GitLabEmulator;
let server: RunningServer;
let source: GitLabAccessTokenSource;
let projectId: number;

function stored(seed: { id: number; token: string; userId: number }): StoredCredential {
  return {
    token: seed.token,
    kind: 'gitlab-project-access-token',
    credential: 'app-ci',
    sourceId: seed.id,
    gitlabUrl: server.url,
    projectId,
    userId: seed.userId,
    expiresAt: new Date(Date.now() + 30 * DAY).toISOString(),
    rotationId: 'r-1',
    mintedAt: new Date().toISOString(),
  };
}

beforeAll(async () => {
  gl = createGitLabEmulator();
  const admin = gl.createUser({ username: 'root', admin: true });
  const adminToken = gl.seedToken({
    userId: admin.id,
    name: 'admin',
    scopes: ['api'],
    expiresAt: day(300),
  }).token;
  const group = gl.createGroup({ path: 'platform' });
  projectId = gl.createProject({ path: 'app', namespaceId: group.id }).id;
  server = await listen(gl.router.listener);
  const fetch = createPolicyFetch();
  source = new GitLabAccessTokenSource({
    credential: 'app-ci',
    kind: 'gitlab-project-access-token',
    gitlabUrl: server.url,
    client: createGitLabClient({ url: server.url, token: adminToken, fetch }),
    resource: projectId,
    tokenName: 'app-ci',
    scopes: ['read_api'],
    strategy: 'recreate',
    fetch,
  });
});

afterAll(async () => {
  await server?.close();
});

describe('GitLabAccessTokenSource.verify', () => {
  it('proves an active token with a single GET of /personal_access_tokens/self', async () => {
    const seed = gl.seedToken({
      projectId,
      name: 'app-ci',
      scopes: ['read_api'],
      expiresAt: day(30),
    });
    const from = gl.router.calls.length;
    await source.verify(stored(seed));
    const calls = gl.router.calls.slice(from);
    expect(calls.map((c) => [c.method, c.path, c.status])).toEqual([
      ['GET', '/api/v4/personal_access_tokens/self', 200],
    ]);
  });

  it('refuses a revoked token with a VerificationError naming the 401 and not the token', async () => {
    const seed = gl.seedToken({
      projectId,
      name: 'app-ci',
      scopes: ['read_api'],
      expiresAt: day(30),
    });
    // The token revokes itself (DELETE /personal_access_tokens/self).
    const res = await fetch(`${server.url}/api/v4/personal_access_tokens/self`, {
      method: 'DELETE',
      headers: { 'PRIVATE-TOKEN': seed.token },
    });
    expect(res.status).toBe(204);
    const err = await source.verify(stored(seed)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as Error).message).toMatch(/refused the new gitlab-project-access-token \(401\)/);
    expect((err as Error).message).not.toContain(seed.token);
  });

  it('refuses a working token that is not the one credrot stored', async () => {
    const seed = gl.seedToken({
      projectId,
      name: 'app-ci',
      scopes: ['read_api'],
      expiresAt: day(30),
    });
    const other = gl.seedToken({
      projectId,
      name: 'other',
      scopes: ['read_api'],
      expiresAt: day(30),
    });
    const err = await source
      .verify({ ...stored(seed), token: other.token })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as Error).message).toContain(`id ${seed.id}`);
  });
});
