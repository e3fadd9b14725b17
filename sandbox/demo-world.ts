/**
 * A small, realistic world in the sandbox, shared by `npm start` and the integration
 * tests: a `platform` group and its `platform/app` project whose CI depends on a project
 * access token that expires in five days, a group token that is not due yet, and a
 * registry deploy token that expires in three days. Each was minted by an earlier credrot
 * run: the AWS and GCP stores hold it as current, and the consumers (GitLab CI/CD
 * variables, a GitHub Actions secret) hold its value.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { renderTemplate } from '../shared/rotation/template.js';
import type { StoredCredential } from '../shared/rotation/types.js';
import { expiryInstant } from '../shared/sources/gitlab/access-token.js';
import { marker } from '../shared/sources/gitlab/marker.js';
import { AwsSecretsManagerStore } from '../shared/stores/aws-secrets-manager/store.js';
import { GcpSecretManagerStore } from '../shared/stores/gcp-secret-manager/store.js';
import { sandboxSecretManager, sandboxSecretsManager } from './clients.js';
import type { Sandbox } from './index.js';
import { pushTestImage } from './registry/index.js';

const DAY = 86_400_000;

export interface DemoWorld {
  /** credrot.config.yaml for this world. */
  config: string;
  /** The environment the config's `{ env: ... }` references read. */
  env: Record<string, string>;
  projectId: number;
  groupId: number;
  projectPath: string;
  /** Values consumers hold before the demo's rotation (for proofs: never printed). */
  before: { appToken: string; groupToken: string; deployToken: string };
  aws: SecretsManagerClient;
  gcp: SecretManagerServiceClient;
}

export interface DemoWorldOptions {
  /** Grace period of the replaced values (config duration), default 5s so the demo can show retirement. */
  gracePeriod?: string;
  /** Extra YAML appended to the config's `watchers:` list. */
  watchers?: string;
}

function date(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export async function seedDemoWorld(
  sandbox: Sandbox,
  options: DemoWorldOptions = {},
): Promise<DemoWorld> {
  const { gitlab, github, endpoints } = sandbox;
  const now = gitlab.now().getTime();
  const owner = gitlab.createUser({ username: 'platform-owner' });
  const group = gitlab.createGroup({ path: 'platform' });
  const project = gitlab.createProject({ path: 'app', namespaceId: group.id });
  gitlab.addMember({ groupId: group.id }, owner.id, 50);
  const ownerToken = gitlab.seedToken({
    userId: owner.id,
    name: 'credrot-connection',
    scopes: ['api'],
    expiresAt: date(now + 300 * DAY),
  }).token;

  github.seedOrg('acme');
  github.seedRepo('acme', 'app');
  const githubToken = github.seedToken({ repos: ['acme/app'] });

  const registry = 'host' in endpoints.registry ? endpoints.registry.host : 'registry.invalid';
  const aws = sandboxSecretsManager(endpoints);
  const gcp = sandboxSecretManager(endpoints);
  const project_ = endpoints.gcp.project;

  /** Records a value as an earlier credrot run would have left it: current in both stores. */
  const adopt = async (value: StoredCredential, awsId: string, gcpId: string) => {
    for (const store of [
      new AwsSecretsManagerStore({ secretId: awsId, client: aws }),
      new GcpSecretManagerStore({ project: project_, secret: gcpId, client: gcp }),
    ]) {
      await store.stage(value);
      await store.promote(value.rotationId, new Date(value.mintedAt));
    }
  };

  const seedRotation = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const gitlabUrl = endpoints.gitlab.url;

  // The project token CI depends on: 30-day lifetime, 5 days left.
  const appExpires = date(now + 5 * DAY);
  const app = gitlab.seedToken({
    projectId: project.id,
    name: 'app-ci',
    scopes: ['read_api'],
    expiresAt: appExpires,
    accessLevel: 30,
    description: `${marker('app-ci', seedRotation(1))} CI token`,
  });
  await adopt(
    {
      token: app.token,
      kind: 'gitlab-project-access-token',
      credential: 'app-ci',
      sourceId: app.id,
      gitlabUrl,
      projectId: project.id,
      userId: app.userId,
      expiresAt: expiryInstant(appExpires),
      rotationId: seedRotation(1),
      mintedAt: new Date(now - 25 * DAY).toISOString(),
    },
    'credrot/app-ci',
    'app-ci',
  );

  // A group token with 60 of its 90 days left: not due.
  const groupExpires = date(now + 60 * DAY);
  const grp = gitlab.seedToken({
    groupId: group.id,
    name: 'platform-ci',
    scopes: ['read_api'],
    expiresAt: groupExpires,
    accessLevel: 30,
    description: `${marker('platform-ci', seedRotation(2))} group CI token`,
  });
  await adopt(
    {
      token: grp.token,
      kind: 'gitlab-group-access-token',
      credential: 'platform-ci',
      sourceId: grp.id,
      gitlabUrl,
      groupId: group.id,
      userId: grp.userId,
      expiresAt: expiryInstant(groupExpires),
      rotationId: seedRotation(2),
      mintedAt: new Date(now - 30 * DAY).toISOString(),
    },
    'credrot/platform-ci',
    'platform-ci',
  );

  // A registry deploy token with 3 of its 30 days left.
  const deployExpires = new Date(now + 3 * DAY).toISOString();
  const dep = gitlab.seedDeployToken({
    projectId: project.id,
    name: `app-registry ${marker('app-registry', seedRotation(3))}`,
    scopes: ['read_registry'],
    expiresAt: deployExpires,
  });
  await adopt(
    {
      token: dep.token,
      username: dep.username,
      kind: 'gitlab-deploy-token',
      credential: 'app-registry',
      sourceId: dep.id,
      gitlabUrl,
      projectId: project.id,
      expiresAt: deployExpires,
      rotationId: seedRotation(3),
      mintedAt: new Date(now - 27 * DAY).toISOString(),
    },
    'credrot/app-registry',
    'app-registry',
  );

  // An image in the registry for the deploy token to pull, pushed with the registry's own API.
  if (sandbox.registry) {
    const pusher = gitlab.seedDeployToken({
      projectId: project.id,
      name: 'demo-pusher',
      scopes: ['write_registry', 'read_registry'],
    });
    await pushTestImage(sandbox.registry, 'platform/app', 'latest', {
      username: pusher.username,
      password: pusher.token,
    });
  }

  // What the consumers hold today.
  const setVariable = async (key: string, value: string, extra: Record<string, unknown>) => {
    const res = await fetch(`${gitlabUrl}/api/v4/projects/${project.id}/variables`, {
      method: 'POST',
      headers: { 'private-token': ownerToken, 'content-type': 'application/json' },
      body: JSON.stringify({ key, value, ...extra }),
    });
    if (!res.ok) throw new Error(`seeding CI/CD variable ${key} failed with ${res.status}`);
  };
  await setVariable('APP_TOKEN', app.token, { masked: true, protected: true });
  await setVariable(
    'DOCKER_AUTH_CONFIG',
    renderTemplate('{{dockerAuthConfig}}', { token: dep.token, username: dep.username, registry }),
    { variable_type: 'file', protected: true },
  );
  await sealGitHubSecret(endpoints.github.apiUrl, githubToken, 'acme/app', 'APP_TOKEN', app.token);

  const grace = options.gracePeriod ?? '5s';
  const config = `# The demo world in the credrot sandbox (written by npm start).
version: 1
connections:
  gitlab:
    sandbox: { url: ${gitlabUrl}, token: { env: CREDROT_GITLAB_TOKEN } }
  github:
    sandbox: { apiUrl: ${endpoints.github.apiUrl}, token: { env: CREDROT_GITHUB_TOKEN } }
  aws:
    sandbox:
      region: ${endpoints.aws.region}
      endpoint: ${endpoints.aws.endpoint}
      accessKeyId: { env: CREDROT_AWS_ACCESS_KEY_ID }
      secretAccessKey: { env: CREDROT_AWS_SECRET_ACCESS_KEY }
  gcp:
    sandbox: { project: ${project_}, endpoint: ${endpoints.gcp.endpoint} }
credentials:
  - name: app-ci
    kind: gitlab-project-access-token
    description: CI token of platform/app
    source: { project: platform/app }
    policy: { lifetime: 30d, gracePeriod: ${grace}, scopes: [read_api], accessLevel: developer }
    stores:
      - { type: aws-secrets-manager, secretId: credrot/app-ci }
      - { type: gcp-secret-manager, secret: app-ci }
    sinks:
      - { type: gitlab-variable, project: platform/app, key: APP_TOKEN, protected: true }
      - { type: github-secret, repository: acme/app, name: APP_TOKEN }
  - name: platform-ci
    kind: gitlab-group-access-token
    source: { group: platform }
    policy: { lifetime: 90d, gracePeriod: ${grace}, scopes: [read_api], accessLevel: developer }
    stores:
      - { type: aws-secrets-manager, secretId: credrot/platform-ci }
      - { type: gcp-secret-manager, secret: platform-ci }
  - name: app-registry
    kind: gitlab-deploy-token
    registry: ${registry}
    source: { project: platform/app }
    policy: { lifetime: 30d, gracePeriod: ${grace}, scopes: [read_registry] }
    stores:
      - { type: aws-secrets-manager, secretId: credrot/app-registry }
      - { type: gcp-secret-manager, secret: app-registry }
    sinks:
      - type: gitlab-variable
        project: platform/app
        key: DOCKER_AUTH_CONFIG
        variableType: file
        masked: false
        protected: true
        value: '{{dockerAuthConfig}}'
watchers:${options.watchers ?? ' []'}
`;
  return {
    config,
    env: {
      CREDROT_GITLAB_TOKEN: ownerToken,
      CREDROT_GITHUB_TOKEN: githubToken,
      CREDROT_AWS_ACCESS_KEY_ID: endpoints.aws.accessKeyId,
      CREDROT_AWS_SECRET_ACCESS_KEY: endpoints.aws.secretAccessKey,
    },
    projectId: project.id,
    groupId: group.id,
    projectPath: 'platform/app',
    before: { appToken: app.token, groupToken: grp.token, deployToken: dep.token },
    aws,
    gcp,
  };
}

/** Seals a value for a repository secret as any GitHub client does. */
async function sealGitHubSecret(
  apiUrl: string,
  token: string,
  repo: string,
  name: string,
  value: string,
): Promise<void> {
  const sodium = (await import('libsodium-wrappers')).default;
  await sodium.ready;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const key = (await (
    await fetch(`${apiUrl}/repos/${repo}/actions/secrets/public-key`, { headers })
  ).json()) as { key: string; key_id: string };
  const sealed = sodium.crypto_box_seal(
    sodium.from_string(value),
    sodium.from_base64(key.key, sodium.base64_variants.ORIGINAL),
  );
  const res = await fetch(`${apiUrl}/repos/${repo}/actions/secrets/${name}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({
      encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL),
      key_id: key.key_id,
    }),
  });
  if (!res.ok) throw new Error(`seeding GitHub secret ${name} failed with ${res.status}`);
}
