/**
 * One credential of any kind seeded into a started sandbox as an earlier credrot run would
 * have left it: its current value at GitLab, current in every store, held by every
 * consumer; plus the credrot.config.yaml and environment that describe it, and a fresh
 * RotationTarget built the way the CLI builds it (Connections + assembleTarget, so every
 * call goes through the real SDKs). Each world gets its own group, project, GitHub
 * organization and secrets, so many worlds share one sandbox without seeing each other.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxSecretManager, sandboxSecretsManager } from '../../sandbox/clients.js';
import type { World } from '../../sandbox/gitlab/identity.js';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../sandbox/index.js';
import { createRegistryAuthority, registryTokenHandler } from '../../sandbox/registry/index.js';
import { Connections } from '../../shared/config/connections.js';
import { loadConfig } from '../../shared/config/load.js';
import type { CredentialKind } from '../../shared/config/schema.js';
import { assembleTarget } from '../../shared/rotation/assemble.js';
import { type RotationTarget, renderContext } from '../../shared/rotation/engine.js';
import type { StoredCredential } from '../../shared/rotation/types.js';
import { expiryInstant } from '../../shared/sources/gitlab/access-token.js';
import { marker } from '../../shared/sources/gitlab/marker.js';
import { AwsSecretsManagerStore } from '../../shared/stores/aws-secrets-manager/store.js';
import { GcpSecretManagerStore } from '../../shared/stores/gcp-secret-manager/store.js';
import type { ConsumerRef, CredentialUnderTest, StoreUnderTest } from './invariants.js';

const DAY = 86_400_000;

/** A sandbox without the registry process, but with GitLab's `/jwt/auth` mounted. */
export async function startRotationSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = await startSandbox({ ...options, registry: false });
  const authority = await createRegistryAuthority();
  sandbox.gitlab.mountRegistryAuth(
    registryTokenHandler(authority, (u, p, repo, actions) =>
      sandbox.gitlab.registryAccess(u, p, repo, actions),
    ),
  );
  return sandbox;
}

export interface WorldSpec {
  kind: CredentialKind;
  strategy?: 'recreate' | 'rotate';
  /** The first is the primary store (it holds the lease). Default both, AWS first. */
  stores?: Array<'aws' | 'gcp'>;
  /** Default both. */
  sinks?: Array<'gitlab' | 'github'>;
  /** Config duration; default 1h. */
  gracePeriod?: string;
  /** The seeded current value: valid with 5 of 30 days left (due), expired or revoked. */
  current?: 'active' | 'expired' | 'revoked';
  /** Scopes of the credential (default read_api; api for personal tokens). */
  scopes?: string[];
  /** Personal tokens: mint and clean up through an administrator connection. */
  admin?: boolean;
}

export interface RotationWorld {
  name: string;
  spec: WorldSpec;
  config: string;
  env: Record<string, string>;
  projectId: number;
  groupId: number;
  /** The value seeded as current. */
  seeded: StoredCredential;
  credential: CredentialUnderTest;
  /** A fresh target on fresh Connections (own SDK clients), as a separate process would build. */
  target(): Promise<RotationTarget>;
}

let worlds = 0;

function date(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Seeds one credential of `spec.kind`; see the module comment. */
export async function seedWorld(sandbox: Sandbox, spec: WorldSpec): Promise<RotationWorld> {
  const n = ++worlds;
  const name = `cred-${n}`;
  const { gitlab, github, endpoints } = sandbox;
  const world = gitlab.ctx as World;
  const now = gitlab.now().getTime();
  const owner = gitlab.createUser({ username: `owner-${n}` });
  const group = gitlab.createGroup({ path: `g${n}` });
  const project = gitlab.createProject({ path: 'app', namespaceId: group.id });
  gitlab.addMember({ groupId: group.id }, owner.id, 50);
  const ownerToken = gitlab.seedToken({
    userId: owner.id,
    name: 'credrot-connection',
    scopes: ['api'],
    expiresAt: date(now + 300 * DAY),
  }).token;
  const org = `org${n}`;
  github.seedOrg(org);
  github.seedRepo(org, 'app');
  const githubToken = github.seedToken({ repos: [`${org}/app`] });

  const state = spec.current ?? 'active';
  const expiresOn = date(now + (state === 'expired' ? -1 : 5) * DAY);
  const seedRotation = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const description = `${marker(name, seedRotation)} seeded`;
  const kind = spec.kind;
  const scopes =
    spec.scopes ??
    (kind === 'gitlab-deploy-token'
      ? ['read_registry']
      : kind === 'gitlab-personal-access-token'
        ? ['api']
        : ['read_api']);
  const base = {
    kind,
    credential: name,
    gitlabUrl: endpoints.gitlab.url,
    rotationId: seedRotation,
    mintedAt: new Date(now - 25 * DAY).toISOString(),
  };
  let seeded: StoredCredential;
  if (kind === 'gitlab-deploy-token') {
    const expiresAt = new Date(`${expiresOn}T00:00:00Z`).toISOString();
    const dep = gitlab.seedDeployToken({
      projectId: project.id,
      name: `${name} ${marker(name, seedRotation)}`,
      scopes,
      expiresAt,
    });
    seeded = {
      ...base,
      token: dep.token,
      username: dep.username,
      sourceId: dep.id,
      projectId: project.id,
      expiresAt,
    };
  } else {
    const personal = kind === 'gitlab-personal-access-token';
    const user = personal ? gitlab.createUser({ username: `ci-${n}` }) : undefined;
    const seededToken = gitlab.seedToken({
      ...(user ? { userId: user.id } : {}),
      ...(kind === 'gitlab-project-access-token' ? { projectId: project.id } : {}),
      ...(kind === 'gitlab-group-access-token' ? { groupId: group.id } : {}),
      name,
      scopes,
      expiresAt: expiresOn,
      accessLevel: 30,
      description,
    });
    seeded = {
      ...base,
      token: seededToken.token,
      sourceId: seededToken.id,
      userId: seededToken.userId,
      expiresAt: expiryInstant(expiresOn),
      ...(kind === 'gitlab-project-access-token' ? { projectId: project.id } : {}),
      ...(kind === 'gitlab-group-access-token' ? { groupId: group.id } : {}),
    };
  }
  if (state === 'revoked') {
    const record = world.tokens.get(seeded.sourceId);
    if (record) world.tokens.revoke(record);
  }

  const aws = sandboxSecretsManager(endpoints);
  const gcp = sandboxSecretManager(endpoints);
  const storeKinds = spec.stores ?? ['aws', 'gcp'];
  const stores: StoreUnderTest[] = storeKinds.map((s) =>
    s === 'aws'
      ? {
          store: new AwsSecretsManagerStore({ secretId: `credrot/${name}`, client: aws }),
          ref: { type: 'aws-secrets-manager', secretId: `credrot/${name}`, client: aws },
        }
      : {
          store: new GcpSecretManagerStore({
            project: endpoints.gcp.project,
            secret: name,
            client: gcp,
          }),
          ref: {
            type: 'gcp-secret-manager',
            name: `projects/${endpoints.gcp.project}/secrets/${name}`,
            client: gcp,
          },
        },
  );
  for (const { store } of stores) {
    await store.stage(seeded);
    await store.promote(seeded.rotationId, new Date(seeded.mintedAt));
  }

  const deploy = kind === 'gitlab-deploy-token';
  const sinkKinds = spec.sinks ?? ['gitlab', 'github'];
  const consumers: ConsumerRef[] = sinkKinds.map((s) =>
    s === 'gitlab'
      ? {
          type: 'gitlab-variable',
          level: 'project',
          ownerId: project.id,
          key: deploy ? 'REGISTRY_AUTH' : 'APP_TOKEN',
          ...(deploy ? { extract: (v: string) => v.slice(v.indexOf(':') + 1) } : {}),
        }
      : { type: 'github-secret', scope: { repo: `${org}/app` }, name: 'APP_TOKEN' },
  );
  const sinkYaml = sinkKinds.map((s) =>
    s === 'gitlab'
      ? deploy
        ? `      - { type: gitlab-variable, project: g${n}/app, connection: sandbox, key: REGISTRY_AUTH, variableType: file, masked: false, value: '{{username}}:{{token}}' }`
        : `      - { type: gitlab-variable, connection: sandbox, project: g${n}/app, key: APP_TOKEN }`
      : `      - { type: github-secret, repository: ${org}/app, name: APP_TOKEN }`,
  );
  const storeYaml = storeKinds.map((s) =>
    s === 'aws'
      ? `      - { type: aws-secrets-manager, secretId: credrot/${name} }`
      : `      - { type: gcp-secret-manager, connection: sandbox, secret: ${name} }`,
  );
  const source =
    kind === 'gitlab-group-access-token'
      ? `{ connection: sandbox, group: g${n} }`
      : kind === 'gitlab-personal-access-token'
        ? spec.admin
          ? '{ connection: admin }'
          : '{ connection: personal }'
        : `{ connection: sandbox, project: g${n}/app }`;
  const policy = [
    'lifetime: 30d',
    `gracePeriod: ${spec.gracePeriod ?? '1h'}`,
    `scopes: [${scopes.join(', ')}]`,
    ...(kind === 'gitlab-project-access-token' || kind === 'gitlab-group-access-token'
      ? ['accessLevel: developer', `strategy: ${spec.strategy ?? 'recreate'}`]
      : []),
  ];
  const config = `version: 1
connections:
  gitlab:
    sandbox: { url: ${endpoints.gitlab.url}, token: { env: CREDROT_GITLAB_TOKEN } }
    personal: { url: ${endpoints.gitlab.url}, token: { env: CREDROT_PERSONAL_TOKEN } }
    admin: { url: ${endpoints.gitlab.url}, token: { env: CREDROT_ADMIN_TOKEN } }
  github:
    sandbox: { apiUrl: ${endpoints.github.apiUrl}, token: { env: CREDROT_GITHUB_TOKEN } }
  aws:
    sandbox:
      region: ${endpoints.aws.region}
      endpoint: ${endpoints.aws.endpoint}
      accessKeyId: { env: CREDROT_AWS_ACCESS_KEY_ID }
      secretAccessKey: { env: CREDROT_AWS_SECRET_ACCESS_KEY }
  gcp:
    sandbox: { project: ${endpoints.gcp.project}, endpoint: ${endpoints.gcp.endpoint} }
credentials:
  - name: ${name}
    kind: ${kind}
    source: ${source}
    policy: { ${policy.join(', ')} }
    stores:
${storeYaml.join('\n')}
    sinks:
${sinkYaml.join('\n')}
`;
  const dir = join(tmpdir(), `credrot-world-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, config);
  const env = {
    CREDROT_GITLAB_TOKEN: ownerToken,
    // The connection a personal token's first self-rotation would use: the token itself.
    CREDROT_PERSONAL_TOKEN: kind === 'gitlab-personal-access-token' ? seeded.token : ownerToken,
    CREDROT_ADMIN_TOKEN: endpoints.gitlab.adminToken,
    CREDROT_GITHUB_TOKEN: githubToken,
    CREDROT_AWS_ACCESS_KEY_ID: endpoints.aws.accessKeyId,
    CREDROT_AWS_SECRET_ACCESS_KEY: endpoints.aws.secretAccessKey,
  };
  const loaded = await loadConfig(file);
  const resolved = loaded.credentials[0]!;
  const target = () => assembleTarget(resolved, new Connections(loaded, { env }));

  // What the consumers hold today, written through credrot's own sinks.
  const seedTarget = await target();
  for (const sink of seedTarget.sinks) {
    await sink.push(sink.render(renderContext(seeded, seedTarget.registry)));
  }

  return {
    name,
    spec,
    config: file,
    env,
    projectId: project.id,
    groupId: group.id,
    seeded,
    credential: { name, stores, consumers },
    target,
  };
}
