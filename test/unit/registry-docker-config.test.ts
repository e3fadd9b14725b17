import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, Router, type RunningServer } from '../../sandbox/http.js';
import { ValidationError, VerificationError } from '../../shared/errors.js';
import { registryBaseUrl } from '../../shared/registry/address.js';
import { parseChallenge } from '../../shared/registry/challenge.js';
import {
  dockerAuthConfig,
  dockerConfigJson,
  mergeDockerConfig,
} from '../../shared/registry/docker-config.js';
import { MergingDockerConfigSink } from '../../shared/registry/merge-sink.js';
import { verifyRegistryCredential } from '../../shared/registry/verify.js';
import { renderTemplate } from '../../shared/rotation/template.js';
import type { CredentialSink } from '../../shared/rotation/types.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('Docker config documents', () => {
  it('renders DOCKER_AUTH_CONFIG and the Kubernetes .dockerconfigjson form', () => {
    expect(dockerAuthConfig('r.example:5000', 'u', 'p')).toBe(
      `{"auths":{"r.example:5000":{"auth":"${b64('u:p')}"}}}`,
    );
    expect(
      renderTemplate('{{dockerConfigJson}}', { token: 'p', username: 'u', registry: 'r.example' }),
    ).toBe(`{"auths":{"r.example":{"username":"u","password":"p","auth":"${b64('u:p')}"}}}`);
    expect(dockerConfigJson('r.example', 'u', 'p')).toBe(
      renderTemplate('{{dockerConfigJson}}', { token: 'p', username: 'u', registry: 'r.example' }),
    );
  });

  it('merges credrot’s entry and keeps every entry and member it does not own', () => {
    const current = JSON.stringify({
      auths: { 'other.example': { auth: b64('x:y') }, 'r.example': { auth: b64('u:old') } },
      credHelpers: { 'gcr.io': 'gcloud' },
    });
    const merged = JSON.parse(
      mergeDockerConfig(current, dockerAuthConfig('r.example', 'u', 'new')),
    );
    expect(merged).toEqual({
      auths: { 'other.example': { auth: b64('x:y') }, 'r.example': { auth: b64('u:new') } },
      credHelpers: { 'gcr.io': 'gcloud' },
    });
  });

  it('refuses to merge into a value that is not a Docker config, without quoting it', () => {
    expect(() => mergeDockerConfig('not json s3cret', dockerAuthConfig('r', 'u', 'p'))).toThrow(
      ValidationError,
    );
    try {
      mergeDockerConfig('not json s3cret', dockerAuthConfig('r', 'u', 'p'));
    } catch (err) {
      expect((err as Error).message).not.toContain('s3cret');
    }
  });

  it('a merging sink reads back credrot’s part only, and refuses an unreadable consumer', async () => {
    let held: string | 'unreadable' | undefined = JSON.stringify({
      auths: { 'other.example': { auth: b64('x:y') } },
    });
    const inner: CredentialSink = {
      label: 'memory',
      render: (ctx) => renderTemplate('{{dockerAuthConfig}}', ctx),
      validate: () => {},
      push: async (text) => {
        held = text;
        return 'written';
      },
      readBack: async () => held,
    };
    const sink = new MergingDockerConfigSink(inner, 'r.example');
    const rendered = sink.render({ token: 'p', username: 'u', registry: 'r.example' });
    await sink.push(rendered);
    expect(await sink.readBack()).toBe(rendered);
    expect(Object.keys(JSON.parse(held as string).auths)).toEqual(['other.example', 'r.example']);
    held = 'unreadable';
    await expect(sink.push(rendered)).rejects.toThrow(/merge: true needs to read the value/);
  });
});

describe('registry addresses and challenges', () => {
  it('reaches loopback registries over http and every other one over https, as docker does', () => {
    expect(registryBaseUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl('localhost:5000')).toBe('http://localhost:5000');
    expect(registryBaseUrl('registry.gitlab.com')).toBe('https://registry.gitlab.com');
    expect(registryBaseUrl('https://r.example/')).toBe('https://r.example');
  });

  it('parses Bearer and Basic challenges', () => {
    expect(
      parseChallenge('Bearer realm="https://a/jwt/auth",service="container_registry"'),
    ).toEqual({ scheme: 'bearer', realm: 'https://a/jwt/auth', service: 'container_registry' });
    expect(parseChallenge('Basic realm="https://1.dkr.ecr.us-east-1.amazonaws.com/"')).toEqual({
      scheme: 'basic',
      realm: 'https://1.dkr.ecr.us-east-1.amazonaws.com/',
    });
    expect(parseChallenge('Negotiate')).toBeUndefined();
  });
});

describe('verifying at a registry that challenges with Basic auth (ECR, htpasswd)', () => {
  let server: RunningServer;
  const basic = `Basic ${b64('AWS:good-password')}`;
  beforeAll(async () => {
    const router = new Router();
    const challenge = { 'www-authenticate': 'Basic realm="sandbox"' };
    const guarded =
      (ok: () => { status: number; headers?: Record<string, string> }) =>
      (req: { header(n: string): string | undefined }) =>
        req.header('authorization') === basic
          ? ok()
          : { status: 401, headers: challenge, body: { errors: [{ code: 'UNAUTHORIZED' }] } };
    router.on(
      'GET',
      '/v2/',
      'ping',
      guarded(() => ({ status: 200 })),
    );
    router.on(
      'HEAD',
      '/v2/team/app/manifests/v1',
      'manifest',
      guarded(() => ({
        status: 200,
        headers: { 'docker-content-digest': `sha256:${'a'.repeat(64)}` },
      })),
    );
    server = await listen(router.listener);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('logs in with Basic credentials and reads the manifest, with no token hops', async () => {
    const proof = await verifyRegistryCredential({
      registry: server.url,
      credentials: { username: 'AWS', password: 'good-password' },
      repository: 'team/app',
      reference: 'v1',
    });
    expect(proof.result.scheme).toBe('basic');
    expect(proof.result.steps.map((s) => [s.name, s.status])).toEqual([
      ['ping', 401],
      ['authenticated-ping', 200],
      ['manifest', 200],
    ]);
  });

  it('refuses a wrong password at the authenticated ping with 401, secret-free', async () => {
    const err = await verifyRegistryCredential({
      registry: server.url,
      credentials: { username: 'AWS', password: 'bad-password' },
      repository: 'team/app',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as Error).message).toMatch(/GET \/v2\/ with the credential answered HTTP 401/);
    expect((err as Error).message).not.toContain('bad-password');
  });
});
