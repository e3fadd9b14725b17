import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { AwsSecretsManagerStore } from '../../shared/stores/aws-secrets-manager/store.js';
import { credrot } from '../support/cli.js';

const DAY = 86_400_000;
let sandbox: Sandbox;
let config: string;
let env: Record<string, string>;
let original: { id: number; token: string; userId: number };

function date(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false });
  const user = sandbox.gitlab.createUser({ username: 'release-bot' });
  const now = sandbox.gitlab.now().getTime();
  original = sandbox.gitlab.seedToken({
    userId: user.id,
    name: 'release',
    scopes: ['api'],
    expiresAt: date(now + 3 * DAY),
  });
  const { aws } = sandbox.endpoints;
  env = { GITLAB_TOKEN: original.token, AWS_KEY: aws.accessKeyId, AWS_SECRET: aws.secretAccessKey };
  const dir = await mkdtemp(join(tmpdir(), 'credrot-pat-'));
  config = join(dir, 'credrot.config.yaml');
  await writeFile(
    config,
    `version: 1
connections:
  gitlab:
    main: { url: ${sandbox.endpoints.gitlab.url}, token: { env: GITLAB_TOKEN } }
  aws:
    main: { region: ${aws.region}, endpoint: ${aws.endpoint}, accessKeyId: { env: AWS_KEY }, secretAccessKey: { env: AWS_SECRET } }
credentials:
  - name: release-pat
    kind: gitlab-personal-access-token
    policy: { lifetime: 30d, gracePeriod: 0s, scopes: [api] }
    stores: [{ type: aws-secrets-manager, secretId: credrot/release-pat }]
`,
  );
});

afterAll(async () => {
  await sandbox?.close();
});

describe('personal access token self-rotation', () => {
  it('rotates the connection token on the first run and stores the new value', async () => {
    const { code, stdout, stderr } = await credrot(
      ['rotate', 'release-pat', '--config', config],
      env,
    );
    expect(code, stdout + stderr).toBe(0);
    expect(sandbox.gitlab.tokenState(original.token)).toBe('revoked');
    const store = new AwsSecretsManagerStore({
      secretId: 'credrot/release-pat',
      client: new SecretsManagerClient({
        region: sandbox.endpoints.aws.region,
        endpoint: sandbox.endpoints.aws.endpoint,
        credentials: { accessKeyId: env['AWS_KEY']!, secretAccessKey: env['AWS_SECRET']! },
      }),
    });
    const current = (await store.read()).current?.value.token;
    expect(current && sandbox.gitlab.tokenState(current)).toBe('active');
  });

  it('never authenticates a rotate with a dead token when a self-rotation answer was lost, so the family survives', async () => {
    // A run rotated the stored token, then died before storing the answer: the stored
    // value is now revoked and the live token is known only to GitLab.
    sandbox.gitlab.router.faults.addRule({
      operation: 'gitlab.rotateSelfPersonalToken',
      nth: 1,
      action: { type: 'crash-after-commit' },
    });
    const lost = await credrot(['rotate', 'release-pat', '--force', '--config', config], env);
    expect(lost.code).toBe(1);
    const live = [...sandbox.gitlab.router.calls]
      .reverse()
      .find((c) => c.operation === 'gitlab.rotateSelfPersonalToken');
    expect(live?.status).toBe(200);

    const next = await credrot(['rotate', 'release-pat', '--force', '--config', config], env);
    expect(next.code).toBe(1);
    expect(next.stdout + next.stderr).toMatch(/is revoked|not active|cannot rotate/);
    // Reuse detection would have revoked the live token too: it is still active.
    const res = await fetch(
      `${sandbox.endpoints.gitlab.url}/api/v4/personal_access_tokens?user_id=${original.userId}&state=active`,
      {
        headers: { 'private-token': sandbox.endpoints.gitlab.adminToken },
      },
    );
    const active = (await res.json()) as Array<{ id: number }>;
    expect(active).toHaveLength(1);
    const rotates = sandbox.gitlab.router.calls.filter(
      (c) => c.operation === 'gitlab.rotateSelfPersonalToken',
    );
    expect(rotates).toHaveLength(2);
  });
});

describe('the first self-rotation', () => {
  it('refuses a connection token that is already dead instead of presenting it to rotate', async () => {
    const user = sandbox.gitlab.createUser({ username: 'dead-bot' });
    const seeded = sandbox.gitlab.seedToken({
      userId: user.id,
      name: 'dead',
      scopes: ['api'],
      expiresAt: date(sandbox.gitlab.now().getTime() + 3 * DAY),
    });
    await fetch(`${sandbox.endpoints.gitlab.url}/api/v4/personal_access_tokens/self`, {
      method: 'DELETE',
      headers: { 'private-token': seeded.token },
    });
    const dir = await mkdtemp(join(tmpdir(), 'credrot-pat-dead-'));
    const file = join(dir, 'credrot.config.yaml');
    const { aws } = sandbox.endpoints;
    await writeFile(
      file,
      `version: 1
connections:
  gitlab:
    main: { url: ${sandbox.endpoints.gitlab.url}, token: { env: GITLAB_TOKEN } }
  aws:
    main: { region: ${aws.region}, endpoint: ${aws.endpoint}, accessKeyId: { env: AWS_KEY }, secretAccessKey: { env: AWS_SECRET } }
credentials:
  - name: dead-pat
    kind: gitlab-personal-access-token
    policy: { lifetime: 30d, scopes: [api] }
    stores: [{ type: aws-secrets-manager, secretId: credrot/dead-pat }]
`,
    );
    const before = sandbox.gitlab.router.calls.filter(
      (c) => c.operation === 'gitlab.rotateSelfPersonalToken',
    ).length;
    const out = await credrot(['rotate', 'dead-pat', '--config', file], {
      ...env,
      GITLAB_TOKEN: seeded.token,
    });
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/connection's token is not active/);
    const after = sandbox.gitlab.router.calls.filter(
      (c) => c.operation === 'gitlab.rotateSelfPersonalToken',
    ).length;
    expect(after).toBe(before);
  });
});
