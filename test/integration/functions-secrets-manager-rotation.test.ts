import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as rotationFunction } from '../../functions/aws/secrets-manager-rotation.js';
import { configureRuntime } from '../../functions/lib/runtime.js';
import type { RotationEvent, RotationStep } from '../../sandbox/aws/index.js';
import type { FaultRule } from '../../sandbox/faults.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { type FunctionsWorld, seedFunctionsWorld } from '../support/functions-world.js';

const LAMBDA = 'arn:aws:lambda:us-east-1:000000000000:function:credrot-test-secretsManagerRotation';
const STEPS: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

let sandbox: Sandbox;
let fw: FunctionsWorld;

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false });
  // Grace period 0: finishSecret retires the replaced token at once, so every round can
  // check that exactly one app-ci token is valid afterwards.
  fw = await seedFunctionsWorld(sandbox, { gracePeriod: '0s' });
  sandbox.aws.setRotationHandler(async (event: RotationEvent) => {
    await rotationFunction(event);
  });
});

afterAll(async () => {
  configureRuntime();
  await sandbox?.close();
});

const appToken = () =>
  sandbox.gitlab.variables.read('project', fw.world.projectId, 'APP_TOKEN', '*')?.value;

async function current(): Promise<{ versionId: string; token: string }> {
  const out = await fw.world.aws.send(new GetSecretValueCommand({ SecretId: 'credrot/app-ci' }));
  return {
    versionId: out.VersionId!,
    token: (JSON.parse(out.SecretString!) as { token: string }).token,
  };
}

async function stages(): Promise<Record<string, string[]>> {
  const out = await fw.world.aws.send(new DescribeSecretCommand({ SecretId: 'credrot/app-ci' }));
  return out.VersionIdsToStages ?? {};
}

const mints = () =>
  sandbox.gitlab.router.calls.filter(
    (c) => c.operation === 'gitlab.createProjectToken' && c.status === 201,
  ).length;

/** RotateSecret as `aws secretsmanager rotate-secret` sends it; resolves when its steps ran. */
async function rotateSecret(token: string) {
  await fw.world.aws.send(
    new RotateSecretCommand({
      SecretId: 'credrot/app-ci',
      ClientRequestToken: token,
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 20 },
    }),
  );
  await sandbox.aws.settled();
  return sandbox.aws.rotations().at(-1)!;
}

/** Expects a finished rotation to `token`: current everywhere, old value revoked, no AWSPENDING. */
async function expectRotatedTo(token: string, old: string) {
  const now = await current();
  expect(now.versionId).toBe(token);
  expect(now.token).not.toBe(old);
  expect(appToken()).toBe(now.token);
  expect(sandbox.github.secretValue({ repo: 'acme/app' }, 'APP_TOKEN')).toBe(now.token);
  expect(sandbox.gitlab.tokenState(now.token)).toBe('active');
  expect(sandbox.gitlab.tokenState(old)).toBe('revoked');
  expect(Object.values(await stages()).flat()).not.toContain('AWSPENDING');
  const [gcp] = await fw.world.gcp.accessSecretVersion({
    name: `projects/${sandbox.endpoints.gcp.project}/secrets/app-ci/versions/current`,
  });
  expect(JSON.parse(Buffer.from(gcp.payload!.data!).toString()).token).toBe(now.token);
}

describe('the Secrets Manager rotation function driven by RotateSecret', () => {
  it('rotates the GitLab token through the four steps', async () => {
    const old = (await current()).token;
    const token = randomUUID();
    const record = await rotateSecret(token);
    expect(record.status, JSON.stringify(record.steps)).toBe('succeeded');
    expect(record.steps.map((s) => s.step)).toEqual(STEPS);
    await expectRotatedTo(token, old);
    expect(fw.logText()).not.toContain((await current()).token);
  });

  it('answers a repeated step as already done', async () => {
    const { versionId } = await current();
    const arn = sandbox.aws.rotations().at(-1)!.secretArn;
    for (const Step of STEPS)
      await expect(
        rotationFunction({ SecretId: arn, ClientRequestToken: versionId, Step }),
      ).resolves.toEqual({ step: Step, result: 'already-done' });
  });

  const failures: Array<[RotationStep, FaultRule]> = [
    [
      'createSecret',
      { operation: 'gitlab.createProjectToken', action: { type: 'status', status: 500 } },
    ],
    [
      'setSecret',
      { operation: 'gitlab.updateProjectVariable', action: { type: 'status', status: 500 } },
    ],
    // The new value is verified in setSecret (before any consumer has it) and again here.
    [
      'testSecret',
      { operation: 'gitlab.getSelfPersonalToken', nth: 2, action: { type: 'status', status: 500 } },
    ],
    ['finishSecret', { operation: 'aws.TagResource', action: { type: 'status', status: 400 } }],
  ];

  for (const [step, rule] of failures) {
    it(`recovers from a failure in ${step} when Secrets Manager retries the rotation`, async () => {
      const old = (await current()).token;
      const mintedBefore = mints();
      const token = randomUUID();
      const faults = rule.operation?.startsWith('aws.')
        ? sandbox.aws.router.faults
        : sandbox.gitlab.faults;
      faults.addRule(rule);
      const record = await rotateSecret(token);
      faults.clear();
      expect(record.status).toBe('failed');
      expect(record.steps.at(-1)).toMatchObject({ step, ok: false });
      // Every consumer still holds a working value while the rotation is unfinished.
      expect(sandbox.gitlab.tokenState(appToken()!)).toBe('active');
      // Secrets Manager retries the rotation: the same token, every step again.
      for (const Step of STEPS)
        await rotationFunction({ SecretId: record.secretArn, ClientRequestToken: token, Step });
      await expectRotatedTo(token, old);
      // Nothing was minted twice: a retry reuses the staged value.
      expect(mints() - mintedBefore).toBe(1);
    });
  }

  it('refuses a secret that is not the store of a configured credential', async () => {
    await expect(
      rotationFunction({
        SecretId: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:someone-else-AbCdEf',
        ClientRequestToken: randomUUID(),
        Step: 'createSecret',
      }),
    ).rejects.toThrow(/not the store of any configured credential/);
  });
});
