/**
 * GitHubSecretSink through the real @octokit/rest client (with credrot's HTTP policy)
 * against the GitHub emulator, which opens every sealed box with the scope's private key:
 * what `secretValue` answers is what a workflow would see.
 */
import sodium from 'libsodium-wrappers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubEmulator, type GitHubEmulator } from '../../sandbox/github/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';
import { PermissionError, ProviderError, ValidationError } from '../../shared/errors.js';
import { HostLimiter } from '../../shared/http/host-limiter.js';
import {
  createGitHubClient,
  type GitHubSecretScope,
  GitHubSecretSink,
} from '../../shared/sinks/github-secrets/sink.js';

let gh: GitHubEmulator;
let server: RunningServer;
let repoToken: string;
let orgToken: string;

const VALUE_A = 'glpat-AAAAaaaa1111bbbb2222';
const VALUE_B = 'glpat-BBBBbbbb3333cccc4444';

/** A sink over a connection whose policy times out and backs off quickly. */
function sink(scope: GitHubSecretScope, options: { token?: string; template?: string } = {}) {
  return new GitHubSecretSink({
    octokit: {
      baseUrl: server.url,
      token: options.token ?? repoToken,
      policy: { timeoutMs: 400, backoffMs: 5, limiter: new HostLimiter() },
    },
    scope,
    name: 'DEPLOY_TOKEN',
    ...(options.template ? { template: options.template } : {}),
  });
}

async function rejection(call: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

const calls = (operation: string) => gh.router.callCounts()[operation] ?? 0;

beforeAll(async () => {
  await sodium.ready;
  gh = createGitHubEmulator();
  server = await listen(gh.router.listener);
  gh.baseUrl = server.url;
  gh.seedOrg('acme');
  gh.seedRepo('acme', 'api');
  gh.seedRepo('acme', 'web');
  gh.seedRepo('acme', 'docs');
  gh.seedEnvironment('acme', 'api', 'production');
  repoToken = gh.seedToken({ repos: ['acme/api'] });
  orgToken = gh.seedToken({ orgs: ['acme'] });
});

afterAll(() => server.close());

beforeEach(() => {
  gh.router.faults.clear();
  gh.router.resetCalls();
});

describe('repository and environment secrets', () => {
  it('seals the rendered value so that the repository secret decrypts to it, and reads back unreadable', async () => {
    const s = sink({ repository: 'acme/api' });
    expect(s.label).toBe('github secret DEPLOY_TOKEN in repository acme/api');
    expect(await s.push(VALUE_A)).toBe('written');
    expect(gh.secretValue({ repo: 'acme/api' }, 'DEPLOY_TOKEN')).toBe(VALUE_A);
    expect(gh.workflowSecretValue('acme/api', 'DEPLOY_TOKEN')).toBe(VALUE_A);
    expect(await s.readBack()).toBe('unreadable');

    // Always written (GitHub cannot say whether it changed), with the key fetched once.
    expect(await s.push(VALUE_A)).toBe('written');
    expect(await s.push(VALUE_B)).toBe('written');
    expect(gh.secretValue({ repo: 'acme/api' }, 'DEPLOY_TOKEN')).toBe(VALUE_B);
    expect(calls('github.getRepoPublicKey')).toBe(1);
    expect(calls('github.createOrUpdateRepoSecret')).toBe(3);
  });

  it('writes an environment secret that only jobs deploying to that environment see', async () => {
    const s = sink({ repository: 'acme/api', environment: 'production' });
    expect(s.label).toBe('github secret DEPLOY_TOKEN in environment production of acme/api');
    const rendered = s.render({ token: VALUE_B, username: 'deployer', registry: 'ghcr.io' });
    expect(await s.push(rendered)).toBe('written');
    expect(gh.secretValue({ repo: 'acme/api', environment: 'production' }, 'DEPLOY_TOKEN')).toBe(
      VALUE_B,
    );
    expect(gh.workflowSecretValue('acme/api', 'DEPLOY_TOKEN', 'production')).toBe(VALUE_B);
  });

  it('renders the template before sealing, so a Docker config arrives intact', async () => {
    const s = sink({ repository: 'acme/api' }, { template: '{{dockerAuthConfig}}' });
    const rendered = s.render({ token: VALUE_A, username: 'deployer', registry: 'ghcr.io' });
    await s.push(rendered);
    const seen = gh.secretValue({ repo: 'acme/api' }, 'DEPLOY_TOKEN');
    expect(seen).toBe(rendered);
    expect(JSON.parse(seen!)).toEqual({
      auths: { 'ghcr.io': { auth: Buffer.from(`deployer:${VALUE_A}`).toString('base64') } },
    });
  });

  it('fetches the public key again and retries once when the cached key id went stale', async () => {
    const s = sink({ repository: 'acme/api' });
    await s.push(VALUE_A);
    gh.rotatePublicKey({ repo: 'acme/api' });
    gh.router.resetCalls();

    expect(await s.push(VALUE_B)).toBe('written');
    expect(gh.secretValue({ repo: 'acme/api' }, 'DEPLOY_TOKEN')).toBe(VALUE_B);
    expect(calls('github.getRepoPublicKey')).toBe(1);
    expect(calls('github.createOrUpdateRepoSecret')).toBe(2);
    expect(gh.router.calls.map((c) => c.status)).toEqual([422, 200, 204]);
  });

  it('refuses a value over 48 KB before any call, without the value in the message', async () => {
    const big = 'x'.repeat(48 * 1024 + 1);
    const err = await rejection(sink({ repository: 'acme/api' }).push(big));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain('at most 49152');
    expect(err.message).not.toContain('xxxxxxxx');
    expect(gh.router.calls).toHaveLength(0);
  });
});

describe('organization secrets', () => {
  it('resolves selected repository names to ids, and only those repositories see the secret', async () => {
    const s = sink(
      { organization: 'acme', visibility: 'selected', selectedRepositories: ['api', 'acme/web'] },
      { token: orgToken },
    );
    expect(s.label).toBe('github secret DEPLOY_TOKEN in organization acme (visibility selected)');
    expect(await s.push(VALUE_A)).toBe('written');
    expect(gh.secretValue({ org: 'acme' }, 'DEPLOY_TOKEN')).toBe(VALUE_A);
    expect(gh.workflowSecretValue('acme/web', 'DEPLOY_TOKEN')).toBe(VALUE_A);
    expect(gh.workflowSecretValue('acme/docs', 'DEPLOY_TOKEN')).toBeUndefined();

    const octokit = createGitHubClient({ baseUrl: server.url, token: orgToken });
    const { data } = await octokit.rest.actions.listSelectedReposForOrgSecret({
      org: 'acme',
      secret_name: 'DEPLOY_TOKEN',
    });
    expect(data.repositories.map((r) => r.name).sort()).toEqual(['api', 'web']);

    // Names are resolved once per sink.
    gh.router.resetCalls();
    await s.push(VALUE_B);
    expect(calls('github.getRepo')).toBe(0);
    expect(gh.workflowSecretValue('acme/api', 'DEPLOY_TOKEN')).toBe(VALUE_B);
  });

  it('writes a secret visible to every repository of the organization', async () => {
    const s = sink({ organization: 'acme', visibility: 'all' }, { token: orgToken });
    await s.push(VALUE_B);
    expect(gh.workflowSecretValue('acme/docs', 'DEPLOY_TOKEN')).toBe(VALUE_B);
  });

  it('names a selected repository that does not exist', async () => {
    const err = await rejection(
      sink(
        { organization: 'acme', visibility: 'selected', selectedRepositories: ['nope'] },
        { token: orgToken },
      ).push(VALUE_A),
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toContain('github secret DEPLOY_TOKEN in organization acme');
    expect(err.message).toContain('repository acme/nope of selectedRepositories was not found');
    expect(err.message).not.toContain(VALUE_A);
  });

  it('recovers from a stale organization key too', async () => {
    const s = sink({ organization: 'acme', visibility: 'private' }, { token: orgToken });
    await s.push(VALUE_A);
    gh.rotatePublicKey({ org: 'acme' });
    expect(await s.push(VALUE_B)).toBe('written');
    expect(gh.secretValue({ org: 'acme' }, 'DEPLOY_TOKEN')).toBe(VALUE_B);
  });
});

describe('failures', () => {
  it('answers 403 with a PermissionError naming the sink and the secrets: write permission, never the value', async () => {
    const readOnly = gh.seedToken({ repos: ['acme/api'], readOnly: true });
    const s = sink({ repository: 'acme/api' }, { token: readOnly });
    const err = await rejection(s.push(VALUE_A));
    expect(err).toBeInstanceOf(PermissionError);
    expect((err as PermissionError).status).toBe(403);
    expect(err.message).toContain('github secret DEPLOY_TOKEN in repository acme/api');
    expect(err.message).toContain('403');
    expect(err.message).toContain('`secrets: write` on the repository');
    expect(err.message).not.toContain(VALUE_A);
    expect(s.label).not.toContain(VALUE_A);
    expect(JSON.stringify(err)).not.toContain(VALUE_A);
    expect(err.cause).toBeUndefined();
  });

  it('tells an organization token without org access that it needs secrets: write on the organization', async () => {
    const err = await rejection(sink({ organization: 'acme', visibility: 'all' }).push(VALUE_A));
    expect(err).toBeInstanceOf(PermissionError);
    expect(err.message).toContain('`secrets: write` on the organization');
  });

  it('answers a bad token with a PermissionError saying to replace it', async () => {
    const err = await rejection(
      sink({ repository: 'acme/api' }, { token: 'ghp_nope' }).push(VALUE_A),
    );
    expect(err).toBeInstanceOf(PermissionError);
    expect(err.message).toMatch(/401.*invalid, expired or revoked/);
  });

  it('answers a repository the token cannot see with a 404 naming the fix', async () => {
    const err = await rejection(sink({ repository: 'acme/docs' }).push(VALUE_A));
    expect(err.message).toMatch(/404.*token has access/);
  });

  it('honours a secondary rate limit answered as 403 with Retry-After, and one answered as 429', async () => {
    const s = sink({ repository: 'acme/api' });
    gh.router.faults.addRule({
      operation: 'github.createOrUpdateRepoSecret',
      nth: 1,
      action: { type: 'status', status: 403, retryAfterSeconds: 0 },
    });
    gh.router.faults.addRule({
      operation: 'github.createOrUpdateRepoSecret',
      nth: 2,
      action: { type: 'status', status: 429, retryAfterSeconds: 0 },
    });
    expect(await s.push(VALUE_A)).toBe('written');
    expect(gh.router.calls.map((c) => c.status)).toEqual([200, 403, 429, 204]);
    expect(gh.secretValue({ repo: 'acme/api' }, 'DEPLOY_TOKEN')).toBe(VALUE_A);
  });

  it('retries a 502 on the key, a PUT that hangs, and a PUT whose answer is lost after commit', async () => {
    const s = sink({ repository: 'acme/api' });
    gh.router.faults.addRule({
      operation: 'github.getRepoPublicKey',
      nth: 1,
      action: { type: 'status', status: 502 },
    });
    gh.router.faults.addRule({
      operation: 'github.createOrUpdateRepoSecret',
      nth: 1,
      action: { type: 'hang', ms: 1_000 },
    });
    gh.router.faults.addRule({
      operation: 'github.createOrUpdateRepoSecret',
      nth: 2,
      action: { type: 'crash-after-commit' },
    });
    expect(await s.push(VALUE_B)).toBe('written');
    expect(gh.secretValue({ repo: 'acme/api' }, 'DEPLOY_TOKEN')).toBe(VALUE_B);
  });

  it('gives up on a persistent 500 with a retryable ProviderError that names the sink', async () => {
    gh.router.faults.addRule({
      operation: 'github.getRepoPublicKey',
      action: { type: 'status', status: 503 },
    });
    const err = await rejection(sink({ repository: 'acme/api' }).push(VALUE_A));
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(true);
    expect(err.message).toMatch(
      /github secret DEPLOY_TOKEN in repository acme\/api: GitHub answered 503/,
    );
  });
});
