/**
 * ECR, Artifact Registry and basic-auth registry credentials, rotated through the CLI
 * and verified against a second real docker-registry whose token realm accepts exactly
 * those credentials (sandbox/registry/cloud.ts), then published into a shared
 * DOCKER_AUTH_CONFIG without clobbering the entries credrot does not own.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig, sandboxSecretsManager } from '../../sandbox/clients.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { dockerLogin, pushTestImage } from '../../sandbox/registry/index.js';
import type { RotationOutcome } from '../../shared/rotation/engine.js';
import { credrot } from '../support/cli.js';

const PULLER = 'puller@credrot-sandbox.iam.gserviceaccount.com';
const KEY_ADMIN = 'credrot@credrot-sandbox.iam.gserviceaccount.com';
const FOREIGN = {
  'registry.example.com': { auth: Buffer.from('ci:foreign-secret').toString('base64') },
};

let sandbox: Sandbox;
let host: string;
let config: string;
let projectId: number;
const env: Record<string, string> = {};
let secrets: SecretsManagerClient;

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false, cloud: true });
  const cloud = sandbox.cloud!;
  if (!cloud.registry)
    throw new Error(
      `this test needs the container registry: ${JSON.stringify(cloud.endpoints.registry)}`,
    );
  host = cloud.registry.host;
  const { endpoints, gitlab } = sandbox;
  const aws = awsClientConfig(endpoints);
  secrets = sandboxSecretsManager(endpoints);

  // The image every credential must be able to pull, pushed with an ECR token.
  const ecr = new ECRClient({ ...aws, endpoint: cloud.endpoints.ecr.endpoint });
  const data = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!;
  const [user, password] = Buffer.from(data.authorizationToken!, 'base64').toString().split(':');
  await pushTestImage(cloud.registry, 'team/app', 'v1', { username: user!, password: password! });

  cloud.iam.createServiceAccount(PULLER);
  cloud.iam.createServiceAccount(KEY_ADMIN);
  cloud.iam.grantKeyAdmin(KEY_ADMIN, PULLER);
  env['PULLER_KEY'] = cloud.iam.seedKey(PULLER);
  env['ADMIN_KEY'] = cloud.iam.seedKey(KEY_ADMIN);
  env['REGISTRY_PASSWORD'] = 'first-password-1';
  cloud.setUser('ci-robot', 'first-password-1');

  const owner = gitlab.createUser({ username: 'owner' });
  const project = gitlab.createProject({
    path: 'app',
    namespaceId: gitlab.createGroup({ path: 'team' }).id,
  });
  projectId = project.id;
  gitlab.addMember({ projectId }, owner.id, 50);
  env['GITLAB_TOKEN'] = gitlab.seedToken({
    userId: owner.id,
    name: 'c',
    scopes: ['api'],
    expiresAt: '2099-01-01',
  }).token;
  env['AWS_KEY'] = endpoints.aws.accessKeyId;
  env['AWS_SECRET'] = endpoints.aws.secretAccessKey;
  // The consumer already holds another registry's entry that credrot does not own.
  const res = await fetch(`${endpoints.gitlab.url}/api/v4/projects/${projectId}/variables`, {
    method: 'POST',
    headers: { 'private-token': env['GITLAB_TOKEN'], 'content-type': 'application/json' },
    body: JSON.stringify({
      key: 'DOCKER_AUTH_CONFIG',
      value: JSON.stringify({ auths: FOREIGN }),
      variable_type: 'file',
      protected: true,
    }),
  });
  expect(res.status).toBe(201);

  const sink = (key: string) =>
    `[{ type: gitlab-variable, project: team/app, key: ${key}, variableType: file, masked: false, protected: true, merge: true, value: '{{dockerAuthConfig}}' }]`;
  const common = `registry: ${host}\n    verify: { repository: team/app, reference: v1 }`;
  config = join(await mkdtemp(join(tmpdir(), 'credrot-cloud-')), 'credrot.config.yaml');
  await writeFile(
    config,
    `version: 1
connections:
  gitlab:
    main: { url: ${endpoints.gitlab.url}, token: { env: GITLAB_TOKEN } }
  aws:
    sm: { region: ${aws.region}, endpoint: ${endpoints.aws.endpoint}, accessKeyId: { env: AWS_KEY }, secretAccessKey: { env: AWS_SECRET } }
    ecr: { region: ${aws.region}, endpoint: ${cloud.endpoints.ecr.endpoint}, accessKeyId: { env: AWS_KEY }, secretAccessKey: { env: AWS_SECRET } }
credentials:
  - name: ecr-pull
    kind: aws-ecr
    ${common}
    source: { connection: ecr }
    policy: { gracePeriod: 0s }
    stores: [{ type: aws-secrets-manager, connection: sm, secretId: credrot/ecr-pull }]
    sinks: ${sink('DOCKER_AUTH_CONFIG')}
  - name: ar-token
    kind: gcp-artifact-registry
    ${common}
    source: { serviceAccount: ${PULLER}, key: { env: PULLER_KEY } }
    stores: [{ type: aws-secrets-manager, connection: sm, secretId: credrot/ar-token }]
  - name: ar-key
    kind: gcp-artifact-registry
    ${common}
    source: { serviceAccount: ${PULLER}, mode: key, key: { env: ADMIN_KEY }, iamUrl: ${cloud.endpoints.iam.url} }
    policy: { lifetime: 90d, gracePeriod: 0s }
    stores: [{ type: aws-secrets-manager, connection: sm, secretId: credrot/ar-key }]
    sinks: ${sink('DOCKER_AUTH_AR')}
  - name: robot
    kind: registry-basic-auth
    ${common}
    source: { username: ci-robot, password: { env: REGISTRY_PASSWORD } }
    stores: [{ type: aws-secrets-manager, connection: sm, secretId: credrot/robot }]
`,
  );
});

afterAll(async () => {
  await sandbox?.close();
});

async function rotate(...argv: string[]) {
  const result = await credrot(['rotate', ...argv, '--json', '--config', config], env);
  const outcomes = (
    JSON.parse(result.stdout || '{"outcomes":[]}') as { outcomes: RotationOutcome[] }
  ).outcomes;
  return { ...result, outcome: outcomes[0]! };
}

async function stored(
  secretId: string,
): Promise<{ token: string; username: string; expiresAt: string }> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  return JSON.parse(out.SecretString ?? '{}');
}

function variable(key: string): { auths: Record<string, { auth: string }> } {
  return JSON.parse(sandbox.gitlab.variables.read('project', projectId, key, '*')?.value ?? '{}');
}

function login(entry: { auth: string }) {
  const decoded = Buffer.from(entry.auth, 'base64').toString();
  const colon = decoded.indexOf(':');
  return dockerLogin(
    sandbox.cloud!.registry!,
    { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) },
    { repository: 'team/app', reference: 'v1' },
  );
}

describe('Amazon ECR', () => {
  it('mints a 12-hour token, proves it at the registry and merges it next to the foreign entry', async () => {
    const { code, outcome, stderr } = await rotate('ecr-pull');
    expect(code, stderr + JSON.stringify(outcome)).toBe(0);
    expect(outcome.result).toBe('rotated');
    expect(outcome.steps.find((s) => s.step === 'verify')?.detail).toContain(
      `registry ${host}: login and pull of team/app:v1`,
    );
    const value = await stored('credrot/ecr-pull');
    expect(value.username).toBe('AWS');
    const hours = (Date.parse(value.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(11.9);
    expect(hours).toBeLessThanOrEqual(12);

    const doc = variable('DOCKER_AUTH_CONFIG');
    expect(doc.auths['registry.example.com']).toEqual(FOREIGN['registry.example.com']);
    expect((await login(doc.auths[host]!)).ok).toBe(true);
  });

  it('is not due again until a third of its 12 hours is left, then refreshes on schedule', async () => {
    const first = (await stored('credrot/ecr-pull')).token;
    const soon = await credrot(
      ['rotate', 'ecr-pull', '--json', '--config', config],
      env,
      () => new Date(Date.now() + 7 * 3_600_000),
    );
    expect(JSON.parse(soon.stdout).outcomes[0].result).toBe('not-due');
    const later = await credrot(
      ['rotate', 'ecr-pull', '--json', '--config', config],
      env,
      () => new Date(Date.now() + 9 * 3_600_000),
    );
    expect(JSON.parse(later.stdout).outcomes[0].result).toBe('rotated');
    expect((await stored('credrot/ecr-pull')).token).not.toBe(first);
    const doc = variable('DOCKER_AUTH_CONFIG');
    expect(Object.keys(doc.auths).sort()).toEqual([host, 'registry.example.com'].sort());
  });
});

describe('Google Artifact Registry', () => {
  it('publishes a one-hour access token as oauth2accesstoken after proving it at the registry', async () => {
    const { code, outcome } = await rotate('ar-token');
    expect(code, JSON.stringify(outcome)).toBe(0);
    const value = await stored('credrot/ar-token');
    expect(value.username).toBe('oauth2accesstoken');
    expect(Date.parse(value.expiresAt) - Date.now()).toBeLessThanOrEqual(3_600_000);
    const login = await dockerLogin(
      sandbox.cloud!.registry!,
      { username: value.username, password: value.token },
      { repository: 'team/app', reference: 'v1' },
    );
    expect(login.ok).toBe(true);
  });

  it('creates a service-account key through the IAM API, verifies it as _json_key and deletes the replaced key', async () => {
    const iam = sandbox.cloud!.iam;
    expect(iam.keyIds(PULLER)).toHaveLength(1); // the seeded key
    const first = await rotate('ar-key');
    expect(first.code, JSON.stringify(first.outcome)).toBe(0);
    const key1 = JSON.parse((await stored('credrot/ar-key')).token).private_key_id as string;
    expect(iam.keyIds(PULLER)).toContain(key1);
    expect((await login(variable('DOCKER_AUTH_AR').auths[host]!)).ok).toBe(true);

    const second = await rotate('ar-key', '--force');
    expect(second.code, JSON.stringify(second.outcome)).toBe(0);
    const key2 = JSON.parse((await stored('credrot/ar-key')).token).private_key_id as string;
    expect(key2).not.toBe(key1);
    // gracePeriod 0s: the replaced key is deleted at once, and the registry refuses it.
    expect(iam.keyIds(PULLER)).not.toContain(key1);
    expect(iam.keyIds(PULLER)).toContain(key2);
  });

  it('rolls back and deletes a new key the registry refuses (403 at the token endpoint), keeping the old one current', async () => {
    const iam = sandbox.cloud!.iam;
    const keysBefore = iam.keyIds(PULLER);
    const current = (await stored('credrot/ar-key')).token;
    iam.setRegistryAccess(PULLER, false);
    try {
      const { code, outcome, stdout } = await rotate('ar-key', '--force');
      expect(code).toBe(1);
      expect(outcome.result).toBe('rolled-back');
      expect(outcome.error).toContain(
        `registry ${host}: the token request for login answered HTTP 403 (DENIED)`,
      );
      expect(stdout).not.toContain('PRIVATE KEY');
      expect(iam.keyIds(PULLER)).toEqual(keysBefore);
      expect((await stored('credrot/ar-key')).token).toBe(current);
    } finally {
      iam.setRegistryAccess(PULLER, true);
    }
  });
});

describe('a basic-auth registry credential credrot cannot mint', () => {
  it('adopts the password found at its reference after proving it at the registry', async () => {
    const { code, outcome } = await rotate('robot');
    expect(code, JSON.stringify(outcome)).toBe(0);
    expect((await stored('credrot/robot')).token).toBe('first-password-1');
  });

  it('asks for a manual rotation, secret-free, while the password is unchanged', async () => {
    const { code, outcome, stdout } = await rotate('robot', '--force');
    expect(code).toBe(1);
    expect(outcome.result).toBe('failed');
    expect(outcome.errorName).toBe('ManualRotationRequired');
    expect(outcome.error).toMatch(/Rotate it by hand: .*environment variable REGISTRY_PASSWORD/);
    expect(stdout).not.toContain('first-password-1');
  });

  it('rolls back a mistyped new password the registry refuses, and publishes the right one', async () => {
    sandbox.cloud!.setUser('ci-robot', 'second-password-2');
    env['REGISTRY_PASSWORD'] = 'second-pasword-2';
    const wrong = await rotate('robot', '--force');
    expect(wrong.outcome.result).toBe('rolled-back');
    expect(wrong.outcome.error).toContain('HTTP 401 (UNAUTHORIZED)');
    expect((await stored('credrot/robot')).token).toBe('first-password-1');

    env['REGISTRY_PASSWORD'] = 'second-password-2';
    const right = await rotate('robot', '--force');
    expect(right.outcome.result).toBe('rotated');
    expect((await stored('credrot/robot')).token).toBe('second-password-2');
  });
});

describe('credrot check', () => {
  it('lists the registry credentials with their expiry: ECR’s 12 hours, the access token’s hour, a Docker config on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'credrot-check-'));
    const dockerConfig = join(dir, 'config.json');
    await writeFile(dockerConfig, JSON.stringify(variable('DOCKER_AUTH_CONFIG')));
    const file = join(dir, 'credrot.config.yaml');
    const { readFile } = await import('node:fs/promises');
    await writeFile(
      file,
      `${await readFile(config, 'utf8')}watchers:\n  - { name: ci-docker-config, kind: docker-config, path: ${dockerConfig} }\n`,
    );
    const { stdout, stderr } = await credrot(['check', '--format', 'json', '--config', file], env);
    const text = stdout + stderr;
    expect(text).toContain('ecr-pull');
    expect(text).toContain('ar-token');
    expect(text).toContain('ci-docker-config');
    expect(text).toContain(host);
    expect(text).toContain('registry.example.com');
    const ecrExpiry = (await stored('credrot/ecr-pull')).expiresAt;
    expect(text).toContain(ecrExpiry.slice(0, 16));
    for (const secret of ['first-password-1', 'second-password-2', 'PRIVATE KEY'])
      expect(text).not.toContain(secret);
  });
});
