/**
 * The GitHub emulator driven through the real `@octokit/rest` client, with values sealed
 * by `libsodium-wrappers` exactly as a production client seals them.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/rest';
import { verify } from '@octokit/webhooks-methods';
import sodium from 'libsodium-wrappers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubEmulator, type GitHubEmulator } from '../../sandbox/github/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';

interface Started {
  emulator: GitHubEmulator;
  server: RunningServer;
  client(token?: string): Octokit;
}

async function start(options: Parameters<typeof createGitHubEmulator>[0] = {}): Promise<Started> {
  await sodium.ready;
  const emulator = createGitHubEmulator(options);
  const server = await listen(emulator.router.listener);
  emulator.baseUrl = server.url;
  return {
    emulator,
    server,
    client: (token) => new Octokit({ baseUrl: server.url, ...(token ? { auth: token } : {}) }),
  };
}

/** Seals `value` for a public key as GitHub's docs tell clients to. */
async function seal(publicKey: string, value: string): Promise<string> {
  await sodium.ready;
  const key = sodium.from_base64(publicKey, sodium.base64_variants.ORIGINAL);
  return sodium.to_base64(sodium.crypto_box_seal(value, key), sodium.base64_variants.ORIGINAL);
}

interface HttpFailure {
  status: number;
  response?: { data: unknown; headers: Record<string, string | number | undefined> };
}

/** Awaits a call that must fail and answers the octokit RequestError. */
async function failure(call: Promise<unknown>): Promise<HttpFailure> {
  try {
    await call;
  } catch (err) {
    return err as HttpFailure;
  }
  throw new Error('expected the call to fail');
}

describe('repository and environment secrets', () => {
  let s: Started;
  let octokit: Octokit;
  const owner = 'acme';
  const repo = 'api';

  beforeAll(async () => {
    s = await start();
    s.emulator.seedOrg(owner);
    s.emulator.seedRepo(owner, repo);
    s.emulator.seedEnvironment(owner, repo, 'production');
    octokit = s.client(s.emulator.seedToken({ repos: [`${owner}/${repo}`] }));
  });
  afterAll(() => s.server.close());

  it('creates a repository secret with 201, updates it with 204, and lists and gets it without its value', async () => {
    const { data: key } = await octokit.rest.actions.getRepoPublicKey({ owner, repo });
    expect(key.key_id).toMatch(/^\d+$/);
    expect(sodium.from_base64(key.key, sodium.base64_variants.ORIGINAL)).toHaveLength(32);

    const put = (value: string) =>
      seal(key.key, value).then((encrypted_value) =>
        octokit.rest.actions.createOrUpdateRepoSecret({
          owner,
          repo,
          secret_name: 'DEPLOY_TOKEN',
          encrypted_value,
          key_id: key.key_id,
        }),
      );
    expect((await put('first-value')).status).toBe(201);
    expect(s.emulator.secretValue({ repo: `${owner}/${repo}` }, 'DEPLOY_TOKEN')).toBe(
      'first-value',
    );
    expect((await put('second-value')).status).toBe(204);
    expect(s.emulator.secretValue({ repo: `${owner}/${repo}` }, 'DEPLOY_TOKEN')).toBe(
      'second-value',
    );

    const { data: list } = await octokit.rest.actions.listRepoSecrets({ owner, repo });
    expect(list.total_count).toBe(1);
    expect(Object.keys(list.secrets[0]!).sort()).toEqual(['created_at', 'name', 'updated_at']);
    const { data: one } = await octokit.rest.actions.getRepoSecret({
      owner,
      repo,
      secret_name: 'DEPLOY_TOKEN',
    });
    expect(one.name).toBe('DEPLOY_TOKEN');
    expect(one.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(JSON.stringify([list, one])).not.toContain('value');

    const deleted = await octokit.rest.actions.deleteRepoSecret({
      owner,
      repo,
      secret_name: 'DEPLOY_TOKEN',
    });
    expect(deleted.status).toBe(204);
    const again = await failure(
      octokit.rest.actions.deleteRepoSecret({ owner, repo, secret_name: 'DEPLOY_TOKEN' }),
    );
    expect(again.status).toBe(404);
    expect(again.response?.data).toMatchObject({ message: 'Not Found' });
  });

  it('keeps secret names case-insensitive by storing them upper-cased', async () => {
    const { data: key } = await octokit.rest.actions.getRepoPublicKey({ owner, repo });
    await octokit.rest.actions.createOrUpdateRepoSecret({
      owner,
      repo,
      secret_name: 'mixed_Case',
      encrypted_value: await seal(key.key, 'v'),
      key_id: key.key_id,
    });
    const { data } = await octokit.rest.actions.getRepoSecret({
      owner,
      repo,
      secret_name: 'MIXED_CASE',
    });
    expect(data.name).toBe('MIXED_CASE');
    await octokit.rest.actions.deleteRepoSecret({ owner, repo, secret_name: 'mixed_case' });
  });

  it('paginates the secret list with Link headers that octokit.paginate follows', async () => {
    const { data: key } = await octokit.rest.actions.getRepoPublicKey({ owner, repo });
    for (const name of ['PAGE_A', 'PAGE_B', 'PAGE_C']) {
      await octokit.rest.actions.createOrUpdateRepoSecret({
        owner,
        repo,
        secret_name: name,
        encrypted_value: await seal(key.key, name),
        key_id: key.key_id,
      });
    }
    const first = await octokit.rest.actions.listRepoSecrets({ owner, repo, per_page: 2 });
    expect(first.data.total_count).toBe(3);
    expect(first.data.secrets).toHaveLength(2);
    expect(first.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.rest.actions.listRepoSecrets, {
      owner,
      repo,
      per_page: 2,
    });
    expect(all.map((x) => x.name)).toEqual(['PAGE_A', 'PAGE_B', 'PAGE_C']);
  });

  it('manages environment secrets on the modern environments path with their own key pair', async () => {
    const environment_name = 'production';
    const { data: envKey } = await octokit.rest.actions.getEnvironmentPublicKey({
      owner,
      repo,
      environment_name,
    });
    const { data: repoKey } = await octokit.rest.actions.getRepoPublicKey({ owner, repo });
    expect(envKey.key_id).not.toBe(repoKey.key_id);

    const put = async (value: string) =>
      octokit.rest.actions.createOrUpdateEnvironmentSecret({
        owner,
        repo,
        environment_name,
        secret_name: 'DB_PASSWORD',
        encrypted_value: await seal(envKey.key, value),
        key_id: envKey.key_id,
      });
    expect((await put('env-1')).status).toBe(201);
    expect((await put('env-2')).status).toBe(204);
    const scope = { repo: `${owner}/${repo}`, environment: environment_name };
    expect(s.emulator.secretValue(scope, 'DB_PASSWORD')).toBe('env-2');
    expect(s.emulator.workflowSecretValue(`${owner}/${repo}`, 'DB_PASSWORD', 'production')).toBe(
      'env-2',
    );
    expect(s.emulator.workflowSecretValue(`${owner}/${repo}`, 'DB_PASSWORD')).toBeUndefined();

    const { data: list } = await octokit.rest.actions.listEnvironmentSecrets({
      owner,
      repo,
      environment_name,
    });
    expect(list.secrets.map((x) => x.name)).toEqual(['DB_PASSWORD']);
    const { data: one } = await octokit.rest.actions.getEnvironmentSecret({
      owner,
      repo,
      environment_name,
      secret_name: 'DB_PASSWORD',
    });
    expect(Object.keys(one).sort()).toEqual(['created_at', 'name', 'updated_at']);
    const del = await octokit.rest.actions.deleteEnvironmentSecret({
      owner,
      repo,
      environment_name,
      secret_name: 'DB_PASSWORD',
    });
    expect(del.status).toBe(204);
    expect(s.emulator.secretValue(scope, 'DB_PASSWORD')).toBeUndefined();

    const missingEnv = await failure(
      octokit.rest.actions.getEnvironmentPublicKey({ owner, repo, environment_name: 'staging' }),
    );
    expect(missingEnv.status).toBe(404);
  });

  it('refuses a wrong key_id, an unopenable sealed box and non-base64 with 422 and stores nothing', async () => {
    const { data: key } = await octokit.rest.actions.getRepoPublicKey({ owner, repo });
    const attempt = (encrypted_value: string, key_id: string) =>
      failure(
        octokit.rest.actions.createOrUpdateRepoSecret({
          owner,
          repo,
          secret_name: 'REFUSED',
          encrypted_value,
          key_id,
        }),
      );
    const wrongKey = await attempt(await seal(key.key, 'x'), '1');
    const garbage = await attempt(Buffer.alloc(64, 7).toString('base64'), key.key_id);
    const notBase64 = await attempt('%%% not base64 %%%', key.key_id);
    // Sealed for another scope's key: the right id format, the wrong key pair.
    const { data: envKey } = await octokit.rest.actions.getEnvironmentPublicKey({
      owner,
      repo,
      environment_name: 'production',
    });
    const otherScope = await attempt(await seal(envKey.key, 'x'), key.key_id);
    for (const f of [wrongKey, garbage, notBase64, otherScope]) {
      expect(f.status).toBe(422);
      expect(f.response?.data).toMatchObject({
        message: expect.any(String),
        documentation_url: expect.stringContaining('create-or-update-a-repository-secret'),
      });
    }
    expect(s.emulator.secretValue({ repo: `${owner}/${repo}` }, 'REFUSED')).toBeUndefined();
  });

  it('refuses secret names that break GitHub naming rules with 422', async () => {
    const { data: key } = await octokit.rest.actions.getRepoPublicKey({ owner, repo });
    for (const name of ['GITHUB_TOKEN', '1PASSWORD', 'HAS-DASH', 'github_lower']) {
      const f = await failure(
        octokit.rest.actions.createOrUpdateRepoSecret({
          owner,
          repo,
          secret_name: name,
          encrypted_value: await seal(key.key, 'v'),
          key_id: key.key_id,
        }),
      );
      expect(f.status, name).toBe(422);
    }
  });

  it('answers a replaced public key with 422 for values sealed for the old key_id', async () => {
    const { data: old } = await octokit.rest.actions.getRepoPublicKey({ owner, repo });
    s.emulator.rotatePublicKey({ repo: `${owner}/${repo}` });
    const { data: fresh } = await octokit.rest.actions.getRepoPublicKey({ owner, repo });
    expect(fresh.key_id).not.toBe(old.key_id);
    const f = await failure(
      octokit.rest.actions.createOrUpdateRepoSecret({
        owner,
        repo,
        secret_name: 'STALE',
        encrypted_value: await seal(old.key, 'v'),
        key_id: old.key_id,
      }),
    );
    expect(f.status).toBe(422);
  });
});

describe('organization secrets', () => {
  let s: Started;
  let octokit: Octokit;
  let apiId: number;
  let webId: number;
  let otherId: number;

  beforeAll(async () => {
    s = await start();
    s.emulator.seedOrg('acme');
    apiId = s.emulator.seedRepo('acme', 'api').id;
    webId = s.emulator.seedRepo('acme', 'web').id;
    otherId = s.emulator.seedRepo('someone', 'elsewhere').id;
    octokit = s.client(s.emulator.seedToken({ orgs: ['acme'] }));
  });
  afterAll(() => s.server.close());

  it('limits a secret with visibility selected to the repository ids given, and lists them', async () => {
    const { data: key } = await octokit.rest.actions.getOrgPublicKey({ org: 'acme' });
    const created = await octokit.rest.actions.createOrUpdateOrgSecret({
      org: 'acme',
      secret_name: 'REGISTRY_PASSWORD',
      encrypted_value: await seal(key.key, 'org-value'),
      key_id: key.key_id,
      visibility: 'selected',
      selected_repository_ids: [apiId],
    });
    expect(created.status).toBe(201);
    expect(s.emulator.secretValue({ org: 'acme' }, 'REGISTRY_PASSWORD')).toBe('org-value');
    expect(s.emulator.workflowSecretValue('acme/api', 'REGISTRY_PASSWORD')).toBe('org-value');
    expect(s.emulator.workflowSecretValue('acme/web', 'REGISTRY_PASSWORD')).toBeUndefined();

    const { data: secret } = await octokit.rest.actions.getOrgSecret({
      org: 'acme',
      secret_name: 'REGISTRY_PASSWORD',
    });
    expect(secret).toMatchObject({ name: 'REGISTRY_PASSWORD', visibility: 'selected' });
    expect(secret.selected_repositories_url).toBe(
      `${s.server.url}/orgs/acme/actions/secrets/REGISTRY_PASSWORD/repositories`,
    );
    const { data: list } = await octokit.rest.actions.listOrgSecrets({ org: 'acme' });
    expect(list.secrets.map((x) => [x.name, x.visibility])).toEqual([
      ['REGISTRY_PASSWORD', 'selected'],
    ]);

    const { data: selected } = await octokit.rest.actions.listSelectedReposForOrgSecret({
      org: 'acme',
      secret_name: 'REGISTRY_PASSWORD',
    });
    expect(selected.repositories.map((r) => r.full_name)).toEqual(['acme/api']);

    await octokit.rest.actions.addSelectedRepoToOrgSecret({
      org: 'acme',
      secret_name: 'REGISTRY_PASSWORD',
      repository_id: webId,
    });
    expect(s.emulator.workflowSecretValue('acme/web', 'REGISTRY_PASSWORD')).toBe('org-value');
    await octokit.rest.actions.removeSelectedRepoFromOrgSecret({
      org: 'acme',
      secret_name: 'REGISTRY_PASSWORD',
      repository_id: apiId,
    });
    expect(s.emulator.workflowSecretValue('acme/api', 'REGISTRY_PASSWORD')).toBeUndefined();
    const set = await octokit.rest.actions.setSelectedReposForOrgSecret({
      org: 'acme',
      secret_name: 'REGISTRY_PASSWORD',
      selected_repository_ids: [apiId, webId],
    });
    expect(set.status).toBe(204);
    const { data: both } = await octokit.rest.actions.listSelectedReposForOrgSecret({
      org: 'acme',
      secret_name: 'REGISTRY_PASSWORD',
    });
    expect(both.total_count).toBe(2);

    const updated = await octokit.rest.actions.createOrUpdateOrgSecret({
      org: 'acme',
      secret_name: 'REGISTRY_PASSWORD',
      encrypted_value: await seal(key.key, 'org-value-2'),
      key_id: key.key_id,
      visibility: 'selected',
    });
    expect(updated.status).toBe(204);
    expect(s.emulator.workflowSecretValue('acme/web', 'REGISTRY_PASSWORD')).toBe('org-value-2');
  });

  it('answers 422 for selected without repository ids, ids without selected, and foreign repositories', async () => {
    const { data: key } = await octokit.rest.actions.getOrgPublicKey({ org: 'acme' });
    const encrypted_value = await seal(key.key, 'v');
    const base = { org: 'acme', secret_name: 'NEW_SECRET', encrypted_value, key_id: key.key_id };
    const noIds = await failure(
      octokit.rest.actions.createOrUpdateOrgSecret({ ...base, visibility: 'selected' }),
    );
    const idsWithAll = await failure(
      octokit.rest.actions.createOrUpdateOrgSecret({
        ...base,
        visibility: 'all',
        selected_repository_ids: [apiId],
      }),
    );
    const foreign = await failure(
      octokit.rest.actions.createOrUpdateOrgSecret({
        ...base,
        visibility: 'selected',
        selected_repository_ids: [otherId],
      }),
    );
    expect([noIds.status, idsWithAll.status, foreign.status]).toEqual([422, 422, 422]);
    expect(s.emulator.secretValue({ org: 'acme' }, 'NEW_SECRET')).toBeUndefined();
  });

  it('answers 409 when repositories are added to a secret whose visibility is not selected', async () => {
    const { data: key } = await octokit.rest.actions.getOrgPublicKey({ org: 'acme' });
    await octokit.rest.actions.createOrUpdateOrgSecret({
      org: 'acme',
      secret_name: 'EVERYWHERE',
      encrypted_value: await seal(key.key, 'v'),
      key_id: key.key_id,
      visibility: 'all',
    });
    expect(s.emulator.workflowSecretValue('acme/web', 'EVERYWHERE')).toBe('v');
    const f = await failure(
      octokit.rest.actions.addSelectedRepoToOrgSecret({
        org: 'acme',
        secret_name: 'EVERYWHERE',
        repository_id: apiId,
      }),
    );
    expect(f.status).toBe(409);
    expect(
      (await octokit.rest.actions.deleteOrgSecret({ org: 'acme', secret_name: 'EVERYWHERE' }))
        .status,
    ).toBe(204);
  });

  it('gives repository and environment secrets precedence over organization secrets in a workflow', async () => {
    s.emulator.seedEnvironment('acme', 'api', 'prod');
    const org = await octokit.rest.actions.getOrgPublicKey({ org: 'acme' });
    const repo = await octokit.rest.actions.getRepoPublicKey({ owner: 'acme', repo: 'api' });
    await octokit.rest.actions.createOrUpdateOrgSecret({
      org: 'acme',
      secret_name: 'LAYERED',
      encrypted_value: await seal(org.data.key, 'from-org'),
      key_id: org.data.key_id,
      visibility: 'private',
    });
    expect(s.emulator.workflowSecretValue('acme/api', 'LAYERED', 'prod')).toBe('from-org');
    await octokit.rest.actions.createOrUpdateRepoSecret({
      owner: 'acme',
      repo: 'api',
      secret_name: 'LAYERED',
      encrypted_value: await seal(repo.data.key, 'from-repo'),
      key_id: repo.data.key_id,
    });
    expect(s.emulator.workflowSecretValue('acme/api', 'LAYERED', 'prod')).toBe('from-repo');
  });
});

describe('authentication and authorization', () => {
  let s: Started;

  beforeAll(async () => {
    s = await start();
    s.emulator.seedOrg('acme');
    s.emulator.seedRepo('acme', 'api');
    s.emulator.seedRepo('acme', 'secret-project');
  });
  afterAll(() => s.server.close());

  it('answers 401 Bad credentials for an unknown token and 401 for no token, in GitHub’s error shape', async () => {
    const bad = await failure(
      s
        .client('ghp_not_a_real_token')
        .rest.actions.getRepoPublicKey({ owner: 'acme', repo: 'api' }),
    );
    expect(bad.status).toBe(401);
    expect(bad.response?.data).toMatchObject({
      message: 'Bad credentials',
      documentation_url: expect.any(String),
    });
    expect(bad.response?.headers['x-ratelimit-limit']).toBe('60');
    const none = await failure(
      s.client().rest.actions.getRepoPublicKey({ owner: 'acme', repo: 'api' }),
    );
    expect(none.status).toBe(401);
    const raw = await fetch(`${s.server.url}/repos/acme/api/actions/secrets`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(raw.status).toBe(401);
  });

  it('answers 404 for a private repository the token was not granted, hiding that it exists', async () => {
    const octokit = s.client(s.emulator.seedToken({ repos: ['acme/api'] }));
    await expect(
      octokit.rest.actions.listRepoSecrets({ owner: 'acme', repo: 'api' }),
    ).resolves.toBeDefined();
    const hidden = await failure(
      octokit.rest.actions.listRepoSecrets({ owner: 'acme', repo: 'secret-project' }),
    );
    const absent = await failure(
      octokit.rest.actions.listRepoSecrets({ owner: 'acme', repo: 'nope' }),
    );
    expect([hidden.status, absent.status]).toEqual([404, 404]);
    expect(hidden.response?.data).toEqual(absent.response?.data);
  });

  it('answers 403 for organization secrets without organization permission and for writes with a read-only token', async () => {
    const repoOnly = s.client(s.emulator.seedToken({ repos: ['acme/api'] }));
    const org = await failure(repoOnly.rest.actions.listOrgSecrets({ org: 'acme' }));
    expect(org.status).toBe(403);
    expect(org.response?.data).toMatchObject({
      message: 'Resource not accessible by personal access token',
    });

    const readOnly = s.client(s.emulator.seedToken({ repos: ['acme/api'], readOnly: true }));
    const { data: key } = await readOnly.rest.actions.getRepoPublicKey({
      owner: 'acme',
      repo: 'api',
    });
    const write = await failure(
      readOnly.rest.actions.createOrUpdateRepoSecret({
        owner: 'acme',
        repo: 'api',
        secret_name: 'X',
        encrypted_value: await seal(key.key, 'v'),
        key_id: key.key_id,
      }),
    );
    expect(write.status).toBe(403);
  });

  it('lets an admin token reach every repository and answers the repository id a seed returned', async () => {
    const { id } = s.emulator.seedRepo('solo', 'tool');
    const admin = s.client(s.emulator.seedToken({ admin: true }));
    const { data } = await admin.rest.repos.get({ owner: 'solo', repo: 'tool' });
    expect(data).toMatchObject({ id, full_name: 'solo/tool', private: true });
  });
});

describe('rate limits', () => {
  let clock = new Date('2025-03-01T12:00:00Z');
  const servers: Started[] = [];

  /** A fresh emulator per test, so that one test's spending does not limit the next. */
  async function startLimited(coreLimitPerHour: number, contentCreatingPerMinute: number) {
    const s = await start({ now: () => clock, coreLimitPerHour, contentCreatingPerMinute });
    servers.push(s);
    s.emulator.seedRepo('acme', 'api');
    return { s, octokit: s.client(s.emulator.seedToken({ repos: ['acme/api'] })) };
  }
  afterAll(() => Promise.all(servers.map((x) => x.server.close())));

  it('reports the primary budget on every answer and answers 403 with remaining 0 once it is spent', async () => {
    const { octokit } = await startLimited(4, 80);
    const first = await octokit.rest.actions.listRepoSecrets({ owner: 'acme', repo: 'api' });
    const resetAt = Math.floor(clock.getTime() / 1000) + 3600;
    expect(first.headers).toMatchObject({
      'x-ratelimit-limit': '4',
      'x-ratelimit-remaining': '3',
      'x-ratelimit-used': '1',
      'x-ratelimit-reset': String(resetAt),
      'x-ratelimit-resource': 'core',
    });
    const missing = await failure(
      octokit.rest.actions.getRepoSecret({ owner: 'acme', repo: 'api', secret_name: 'NONE' }),
    );
    expect(missing.status).toBe(404);
    expect(missing.response?.headers['x-ratelimit-remaining']).toBe('2');
    const { data: status } = await octokit.rest.rateLimit.get();
    expect(status.resources.core).toMatchObject({ limit: 4, remaining: 2, used: 2 });
    await octokit.rest.actions.listRepoSecrets({ owner: 'acme', repo: 'api' });
    await octokit.rest.actions.listRepoSecrets({ owner: 'acme', repo: 'api' });

    const limited = await failure(
      octokit.rest.actions.listRepoSecrets({ owner: 'acme', repo: 'api' }),
    );
    expect(limited.status).toBe(403);
    expect(limited.response?.headers['x-ratelimit-remaining']).toBe('0');
    expect(limited.response?.headers['x-ratelimit-reset']).toBe(String(resetAt));
    expect(limited.response?.data).toMatchObject({
      message: expect.stringMatching(/^API rate limit exceeded/),
    });

    clock = new Date(resetAt * 1000);
    const after = await octokit.rest.actions.listRepoSecrets({ owner: 'acme', repo: 'api' });
    expect(after.headers['x-ratelimit-remaining']).toBe('3');
  });

  it('answers 429 with retry-after once content-creating calls exceed the per-minute limit', async () => {
    const { s, octokit } = await startLimited(5000, 2);
    const { data: key } = await octokit.rest.actions.getRepoPublicKey({
      owner: 'acme',
      repo: 'api',
    });
    const put = async (name: string) =>
      octokit.rest.actions.createOrUpdateRepoSecret({
        owner: 'acme',
        repo: 'api',
        secret_name: name,
        encrypted_value: await seal(key.key, name),
        key_id: key.key_id,
      });
    await put('ONE');
    clock = new Date(clock.getTime() + 15_000);
    await put('TWO');
    const limited = await failure(put('THREE'));
    expect(limited.status).toBe(429);
    expect(limited.response?.headers['retry-after']).toBe('45');
    expect(Number(limited.response?.headers['x-ratelimit-remaining'])).toBeGreaterThan(0);
    expect(limited.response?.data).toMatchObject({
      message: expect.stringContaining('secondary rate limit'),
    });
    expect(s.emulator.secretValue({ repo: 'acme/api' }, 'THREE')).toBeUndefined();

    clock = new Date(clock.getTime() + 45_000);
    expect((await put('THREE')).status).toBe(201);
  });
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe('webhooks and secret-scanning alerts', () => {
  let s: Started;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  const hookSecret = 'hook-secret-for-tests';

  beforeAll(async () => {
    s = await start();
    s.emulator.seedOrg('acme');
    s.emulator.seedRepo('acme', 'api');
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = 202;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/github`;
  });
  afterAll(async () => {
    await s.server.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('delivers a ping whose X-Hub-Signature-256 verifies with @octokit/webhooks-methods', async () => {
    const { hookId } = s.emulator.webhooks.add({
      url: receiverUrl,
      secret: hookSecret,
      events: ['secret_scanning_alert'],
      repo: 'acme/api',
    });
    const [result] = await s.emulator.webhooks.emit('ping', {});
    expect(result).toMatchObject({ hookId, status: 202, ok: true, event: 'ping' });
    const delivery = received.at(-1)!;
    expect(delivery.headers).toMatchObject({
      'x-github-event': 'ping',
      'x-github-delivery': result!.deliveryId,
      'x-github-hook-id': String(hookId),
      'x-github-hook-installation-target-type': 'repository',
      'content-type': 'application/json',
      'user-agent': expect.stringMatching(/^GitHub-Hookshot\//),
    });
    expect(result!.deliveryId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    const signature = delivery.headers['x-hub-signature-256'] as string;
    expect(await verify(hookSecret, delivery.body, signature)).toBe(true);
    expect(await verify('another-secret', delivery.body, signature)).toBe(false);
    expect(delivery.headers['x-hub-signature']).toMatch(/^sha1=[0-9a-f]{40}$/);
    const payload = JSON.parse(delivery.body) as Record<string, unknown>;
    expect(payload).toMatchObject({
      zen: expect.any(String),
      hook_id: hookId,
      hook: { id: hookId },
    });
  });

  it('emits secret_scanning_alert without the secret, which the alert endpoint then reveals', async () => {
    const leaked = 'glpat-leakedleakedleaked01';
    const number = s.emulator.seedSecretScanningAlert({
      repo: 'acme/api',
      secretType: 'gitlab_access_token',
      secret: leaked,
    });
    const [result] = await s.emulator.webhooks.emitSecretScanningAlert({
      repo: 'acme/api',
      number,
      action: 'created',
    });
    expect(result?.ok).toBe(true);
    const delivery = received.at(-1)!;
    expect(delivery.headers['x-github-event']).toBe('secret_scanning_alert');
    expect(
      await verify(hookSecret, delivery.body, delivery.headers['x-hub-signature-256'] as string),
    ).toBe(true);
    expect(delivery.body).not.toContain(leaked);
    const payload = JSON.parse(delivery.body) as {
      action: string;
      alert: Record<string, unknown>;
      repository: Record<string, unknown>;
      sender: Record<string, unknown>;
      organization: Record<string, unknown>;
    };
    expect(payload.action).toBe('created');
    expect(payload.alert).toMatchObject({
      number,
      secret_type: 'gitlab_access_token',
      secret_type_display_name: 'GitLab Access Token',
      state: 'open',
      html_url: `https://github.com/acme/api/security/secret-scanning/${number}`,
    });
    expect(payload.alert).not.toHaveProperty('secret');
    expect(payload.repository).toMatchObject({ full_name: 'acme/api' });
    expect(payload.sender).toMatchObject({ login: 'acme' });
    expect(payload.organization).toMatchObject({ login: 'acme' });

    const octokit = s.client(s.emulator.seedToken({ repos: ['acme/api'] }));
    const { data: alert } = await octokit.rest.secretScanning.getAlert({
      owner: 'acme',
      repo: 'api',
      alert_number: number,
    });
    expect(alert).toMatchObject({ number, state: 'open', secret: leaked });

    const resolved = await octokit.rest.secretScanning.updateAlert({
      owner: 'acme',
      repo: 'api',
      alert_number: number,
      state: 'resolved',
      resolution: 'revoked',
    });
    expect(resolved.data).toMatchObject({ state: 'resolved', resolution: 'revoked' });
    const missing = await failure(
      octokit.rest.secretScanning.getAlert({ owner: 'acme', repo: 'api', alert_number: 99 }),
    );
    expect(missing.status).toBe(404);
  });

  it('redelivers a delivery with the same GUID and body, as GitHub does', async () => {
    const [original] = await s.emulator.webhooks.emit('ping', { extra: 1 });
    const firstBody = received.at(-1)!.body;
    const again = await s.emulator.webhooks.redeliver(original!.deliveryId);
    expect(again.deliveryId).toBe(original!.deliveryId);
    expect(received.at(-1)!.headers['x-github-delivery']).toBe(original!.deliveryId);
    expect(received.at(-1)!.body).toBe(firstBody);
  });

  it('reports a receiver that does not answer as a failed delivery instead of throwing', async () => {
    const emulator = createGitHubEmulator({ webhookTimeoutMs: 200 });
    emulator.webhooks.add({ url: 'http://127.0.0.1:9/unreachable', secret: 's', events: ['*'] });
    const [result] = await emulator.webhooks.emit('secret_scanning_alert', { action: 'created' });
    expect(result?.ok).toBe(false);
    expect(result?.status).toBeUndefined();
    expect(result?.error).toEqual(expect.any(String));
  });
});

describe('fault injection', () => {
  let s: Started;
  let octokit: Octokit;
  let key: { key: string; key_id: string };

  beforeAll(async () => {
    s = await start();
    s.emulator.seedRepo('acme', 'api');
    octokit = s.client(s.emulator.seedToken({ repos: ['acme/api'] }));
    key = (await octokit.rest.actions.getRepoPublicKey({ owner: 'acme', repo: 'api' })).data;
  });
  afterAll(() => s.server.close());

  const put = async (name: string, signal?: AbortSignal) =>
    octokit.rest.actions.createOrUpdateRepoSecret({
      owner: 'acme',
      repo: 'api',
      secret_name: name,
      encrypted_value: await seal(key.key, `value-of-${name}`),
      key_id: key.key_id,
      ...(signal ? { request: { signal } } : {}),
    });

  it('answers an injected 500 in GitHub’s error shape without storing anything', async () => {
    s.emulator.router.faults.setPlan({
      rules: [
        {
          operation: 'github.createOrUpdateRepoSecret',
          nth: 1,
          action: { type: 'status', status: 500 },
        },
      ],
    });
    const f = await failure(put('FAULT_500'));
    expect(f.status).toBe(500);
    expect(f.response?.data).toMatchObject({
      message: 'Server Error',
      documentation_url: expect.any(String),
    });
    expect(s.emulator.secretValue({ repo: 'acme/api' }, 'FAULT_500')).toBeUndefined();
    expect((await put('FAULT_500')).status).toBe(201);
  });

  it('answers an injected 429 with retry-after, set through the /__sandbox/faults admin endpoint', async () => {
    const admin = await fetch(`${s.server.url}/__sandbox/faults`, {
      method: 'PUT',
      body: JSON.stringify({
        rules: [
          {
            operation: 'github.createOrUpdateRepoSecret',
            nth: 1,
            action: { type: 'status', status: 429, retryAfterSeconds: 7 },
          },
        ],
      }),
    });
    expect(admin.status).toBe(200);
    const f = await failure(put('FAULT_429'));
    expect(f.status).toBe(429);
    expect(f.response?.headers['retry-after']).toBe('7');
    expect(f.response?.data).toMatchObject({
      message: expect.stringContaining('secondary rate limit'),
    });
  });

  it('hangs until the client’s own timeout fires', async () => {
    s.emulator.router.faults.setPlan({
      rules: [
        {
          operation: 'github.createOrUpdateRepoSecret',
          nth: 1,
          action: { type: 'hang', ms: 1_000 },
        },
      ],
    });
    const started = Date.now();
    await expect(put('FAULT_HANG', AbortSignal.timeout(150))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(900);
    expect(s.emulator.secretValue({ repo: 'acme/api' }, 'FAULT_HANG')).toBeUndefined();
  });

  it('commits the secret and then drops the connection on crash-after-commit', async () => {
    s.emulator.router.faults.setPlan({
      rules: [
        {
          operation: 'github.createOrUpdateRepoSecret',
          nth: 1,
          action: { type: 'crash-after-commit' },
        },
      ],
    });
    await expect(put('FAULT_CRASH')).rejects.toThrow();
    expect(s.emulator.secretValue({ repo: 'acme/api' }, 'FAULT_CRASH')).toBe(
      'value-of-FAULT_CRASH',
    );
    expect(s.emulator.router.faults.fired.map((f) => f.action.type)).toContain(
      'crash-after-commit',
    );
    // The retry a client makes after losing the answer is an update, not a second create.
    expect((await put('FAULT_CRASH')).status).toBe(204);
  });
});
