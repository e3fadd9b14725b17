/**
 * The incident this prevents: one registry credential that lost its permission failed,
 * and everything after it failed in a cascade. Ten deploy tokens are rotated in one run,
 * each verified against the real registry; the one whose new token cannot pull is rolled
 * back, and the other nine finish.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DemoWorld, seedDemoWorld } from '../../sandbox/demo-world.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { dockerLogin } from '../../sandbox/registry/index.js';
import type { RotationOutcome } from '../../shared/rotation/engine.js';
import { credrot } from '../support/cli.js';

let sandbox: Sandbox;
let world: DemoWorld;
let config: string;
const BROKEN = 'reg-6';

beforeAll(async () => {
  sandbox = await startSandbox();
  const registry = sandbox.requireRegistry();
  world = await seedDemoWorld(sandbox);
  const header = world.config.slice(0, world.config.indexOf('credentials:'));
  const credentials = Array.from({ length: 10 }, (_, i) => {
    const name = `reg-${i}`;
    // reg-6's tokens may read the repository but not the registry: the registry refuses them.
    const scopes = name === BROKEN ? 'read_repository' : 'read_registry';
    return `  - name: ${name}
    kind: gitlab-deploy-token
    registry: ${registry.host}
    verify: { repository: platform/app }
    source: { project: platform/app }
    policy: { lifetime: 30d, gracePeriod: 1h, scopes: [${scopes}] }
    stores: [{ type: aws-secrets-manager, secretId: credrot/${name} }]
    sinks:
      - { type: gitlab-variable, project: platform/app, key: DOCKER_AUTH_${i}, variableType: file, masked: false, protected: true, value: '{{dockerAuthConfig}}' }
`;
  });
  config = join(await mkdtemp(join(tmpdir(), 'credrot-cascade-')), 'credrot.config.yaml');
  await writeFile(config, `${header}credentials:\n${credentials.join('')}`);
});

afterAll(async () => {
  await sandbox?.close();
});

it('rotates the nine good registry credentials when the tenth is refused by the registry, and reports each', async () => {
  const { code, stdout } = await credrot(
    ['rotate', '--all-due', '--json', '--config', config],
    world.env,
  );
  expect(code).toBe(1);
  const outcomes = (JSON.parse(stdout) as { outcomes: RotationOutcome[] }).outcomes;
  expect(outcomes).toHaveLength(10);
  const byName = new Map(outcomes.map((o) => [o.credential, o]));
  expect(byName.get(BROKEN)).toMatchObject({
    result: 'rolled-back',
    errorName: 'VerificationError',
  });
  expect(byName.get(BROKEN)?.error).toContain('insufficient_scope');
  expect(sandbox.gitlab.variables.read('project', world.projectId, 'DOCKER_AUTH_6', '*')).toBe(
    undefined,
  );

  for (const o of outcomes.filter((x) => x.credential !== BROKEN)) {
    expect(o.result, `${o.credential}: ${o.error}`).toBe('rotated');
    const i = o.credential.slice(4);
    const value = sandbox.gitlab.variables.read(
      'project',
      world.projectId,
      `DOCKER_AUTH_${i}`,
      '*',
    )?.value;
    const [entry] = Object.values(
      (JSON.parse(value ?? '{}') as { auths: Record<string, { auth: string }> }).auths,
    );
    const [username, password] = Buffer.from(entry!.auth, 'base64').toString().split(':');
    const login = await dockerLogin(
      sandbox.registry!,
      { username: username!, password: password! },
      { repository: 'platform/app' },
    );
    expect(login.ok, o.credential).toBe(true);
  }
});
