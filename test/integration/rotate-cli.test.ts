import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoWorld, seedDemoWorld } from '../../sandbox/demo-world.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { credrot } from '../support/cli.js';

let sandbox: Sandbox;
let world: DemoWorld;
let config: string;
const printed: string[] = [];

async function cli(...argv: string[]) {
  const result = await credrot([...argv, '--config', config], world.env);
  printed.push(result.stdout, result.stderr);
  return result;
}

function variable(key: string): string | undefined {
  return sandbox.gitlab.variables.read('project', world.projectId, key, '*')?.value;
}

beforeAll(async () => {
  sandbox = await startSandbox();
  world = await seedDemoWorld(sandbox, { gracePeriod: '2s' });
  const dir = await mkdtemp(join(tmpdir(), 'credrot-rotate-'));
  config = join(dir, 'credrot.config.yaml');
  await writeFile(config, world.config);
});

afterAll(async () => {
  await sandbox?.close();
});

describe('credrot rotate against the sandbox', () => {
  it('plans the two due credentials and leaves the one that is not due alone', async () => {
    const { code, stdout } = await cli('plan');
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/app-ci \(gitlab-project-access-token\): ROTATE/);
    expect(stdout).toMatch(/app-registry \(gitlab-deploy-token\): ROTATE/);
    expect(stdout).toMatch(/platform-ci \(gitlab-group-access-token\): NOTHING/);
    expect(stdout).toContain('Nothing was changed.');
    expect(variable('APP_TOKEN')).toBe(world.before.appToken);
  });

  it('rotates every due credential into both stores and every consumer, keeping the old value through the grace period', async () => {
    const { code, stdout, stderr } = await cli('rotate', '--all-due');
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/app-ci\s+rotated/);
    expect(stdout).toMatch(/app-registry\s+rotated/);
    expect(stdout).toMatch(/platform-ci\s+not due/);

    const appToken = variable('APP_TOKEN')!;
    expect(appToken).not.toBe(world.before.appToken);
    expect(sandbox.gitlab.tokenState(appToken)).toBe('active');
    expect(sandbox.gitlab.tokenState(world.before.appToken)).toBe('active');
    expect(sandbox.github.secretValue({ repo: 'acme/app' }, 'APP_TOKEN')).toBe(appToken);

    const aws = await world.aws.send(new GetSecretValueCommand({ SecretId: 'credrot/app-ci' }));
    expect(JSON.parse(aws.SecretString!).token).toBe(appToken);
    const [gcp] = await world.gcp.accessSecretVersion({
      name: `projects/${sandbox.endpoints.gcp.project}/secrets/app-ci/versions/current`,
    });
    expect(JSON.parse(Buffer.from(gcp.payload!.data!).toString()).token).toBe(appToken);

    const auth = JSON.parse(variable('DOCKER_AUTH_CONFIG')!) as {
      auths: Record<string, { auth: string }>;
    };
    const [entry] = Object.values(auth.auths);
    const [, deployToken] = Buffer.from(entry!.auth, 'base64').toString().split(':');
    expect(deployToken).not.toBe(world.before.deployToken);
    expect(sandbox.gitlab.tokenState(deployToken!)).toBe('active');
  });

  it('a pipeline using the CI variable authenticates with the new token', async () => {
    const res = await fetch(
      `${sandbox.endpoints.gitlab.url}/api/v4/projects/${encodeURIComponent(world.projectPath)}`,
      {
        headers: { 'private-token': variable('APP_TOKEN')! },
      },
    );
    expect(res.status).toBe(200);
  });

  it('retires the replaced values on the first run after the grace period: the old token gets 401', async () => {
    await new Promise((r) => setTimeout(r, 2_100));
    const { code, stdout } = await cli('rotate', '--all-due');
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/app-ci\s+retired the replaced value/);
    expect(sandbox.gitlab.tokenState(world.before.appToken)).toBe('revoked');
    expect(sandbox.gitlab.tokenState(world.before.deployToken)).not.toBe('active');
    const res = await fetch(
      `${sandbox.endpoints.gitlab.url}/api/v4/projects/${encodeURIComponent(world.projectPath)}`,
      {
        headers: { 'private-token': world.before.appToken },
      },
    );
    expect(res.status).toBe(401);
  });

  it('status shows every store and sink on the current value', async () => {
    const { code, stdout } = await cli('status', 'app-ci');
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/sink gitlab variable APP_TOKEN.*: current/);
    expect(stdout).toMatch(/lease\s+free/);
  });

  it('never printed a secret value', () => {
    const values = [
      world.before.appToken,
      world.before.deployToken,
      world.before.groupToken,
      variable('APP_TOKEN')!,
      ...Object.values(world.env),
    ];
    const all = printed.join('\n');
    for (const v of values) expect(all.includes(v), 'a secret value was printed').toBe(false);
  });
});
