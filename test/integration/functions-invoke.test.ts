import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureRuntime } from '../../functions/lib/runtime.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { credrot } from '../support/cli.js';
import { type FunctionsWorld, seedFunctionsWorld } from '../support/functions-world.js';

let sandbox: Sandbox;
let fw: FunctionsWorld;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false });
  fw = await seedFunctionsWorld(sandbox, {
    extraEnv: {
      // The secrets the sample events in events/ are signed with.
      HOOK_SECRET: 'sample-gitlab-webhook-secret',
      GITHUB_HOOK_SECRET: 'sample-github-webhook-secret',
    },
  });
  env = fw.env;
  dir = await mkdtemp(join(tmpdir(), 'credrot-invoke-'));
});

afterAll(async () => {
  configureRuntime();
  await sandbox?.close();
});

async function invoke(fn: string, event: string) {
  const result = await credrot(['invoke', fn, '--event', event, '--config', fw.configFile], env);
  const parsed = result.code === 0 ? (JSON.parse(result.stdout) as Record<string, unknown>) : {};
  return {
    ...result,
    out: parsed as { result: Record<string, unknown>; enqueued?: Array<{ credential: string }> },
  };
}

const credentials = (jobs: Array<{ credential: string }> | undefined) =>
  (jobs ?? []).map((j) => j.credential).sort();

describe('credrot invoke with the sample events', () => {
  it('scheduledScan enqueues the due credentials', async () => {
    const { code, out, stderr } = await invoke('scheduledScan', 'events/scheduled-scan.json');
    expect(code, stderr).toBe(0);
    expect(credentials(out.enqueued)).toEqual(['app-ci', 'app-registry']);
    expect(out.result['enqueued']).toEqual(expect.arrayContaining(['app-ci', 'app-registry']));
  });

  it('gitlabWebhook answers 202 and queues the expiring app-ci token', async () => {
    const { code, out } = await invoke('gitlabWebhook', 'events/gitlab-webhook.json');
    expect(code).toBe(0);
    expect(out.result['statusCode']).toBe(202);
    expect(credentials(out.enqueued)).toEqual(['app-ci']);
  });

  it('rotationWorker rotates the job of the SQS sample and reports no failure', async () => {
    const before = fw.world.before.appToken;
    const { code, out, stderr } = await invoke('rotationWorker', 'events/rotation-worker.json');
    expect(code, stderr).toBe(0);
    expect(out.result).toEqual({ batchItemFailures: [] });
    const now = sandbox.gitlab.variables.read(
      'project',
      fw.world.projectId,
      'APP_TOKEN',
      '*',
    )?.value;
    expect(now).not.toBe(before);
    expect(stderr).toContain('"message":"rotation finished"');
    expect(stderr).not.toContain(now);
  });

  it('githubWebhook answers the signed ping with 200 and queues a leak rotation for the alert', async () => {
    const ping = await invoke('githubWebhook', 'events/github-webhook-ping.json');
    expect(ping.out.result['statusCode']).toBe(200);
    const current = sandbox.gitlab.variables.read(
      'project',
      fw.world.projectId,
      'APP_TOKEN',
      '*',
    )!.value;
    const number = sandbox.github.seedSecretScanningAlert({
      repo: 'acme/app',
      secretType: 'gitlab_access_token',
      secret: current,
    });
    expect(number).toBe(1);
    const { code, out, stdout } = await invoke('githubWebhook', 'events/github-webhook.json');
    expect(code).toBe(0);
    expect(out.result['statusCode']).toBe(202);
    expect(out.enqueued).toMatchObject([{ credential: 'app-ci', reason: 'leak' }]);
    expect(stdout).not.toContain(current);
  });

  it('secretsManagerRotation runs each step of a rotation RotateSecret started', async () => {
    // Secrets Manager starts the rotation (AWSPENDING on an empty version); the steps are
    // then invoked from the sample event, with this secret's ARN and token.
    sandbox.aws.setRotationHandler(async () => {});
    const token = randomUUID();
    const started = await fw.world.aws.send(
      new RotateSecretCommand({
        SecretId: 'credrot/app-ci',
        ClientRequestToken: token,
        RotationLambdaARN: 'arn:aws:lambda:us-east-1:000000000000:function:rotation',
      }),
    );
    await sandbox.aws.settled();
    const sample = JSON.parse(await readFile('events/secrets-manager-rotation.json', 'utf8'));
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      const file = join(dir, `${Step}.json`);
      await writeFile(
        file,
        JSON.stringify({ ...sample, SecretId: started.ARN, ClientRequestToken: token, Step }),
      );
      const { code, out, stderr } = await invoke('secretsManagerRotation', file);
      expect(code, stderr).toBe(0);
      expect(out.result).toEqual({ step: Step, result: 'done' });
    }
    const current = await fw.world.aws.send(
      new GetSecretValueCommand({ SecretId: 'credrot/app-ci' }),
    );
    expect(current.VersionId).toBe(token);
  });

  it('secretsManagerRotation exits 1 for a secret credrot does not manage', async () => {
    const { code, stderr } = await invoke(
      'secretsManagerRotation',
      'events/secrets-manager-rotation.json',
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/not the store of any configured credential/);
  });

  it('the GCP entry points run their CloudEvent samples', async () => {
    const scan = await invoke('gcp:scheduledScan', 'events/gcp-scheduled-scan.json');
    expect(scan.code, scan.stderr).toBe(0);
    const worker = await invoke('gcp:rotationWorker', 'events/gcp-rotation-worker.json');
    expect(worker.code, worker.stderr).toBe(0);
    const rotate = await invoke('gcp:secretRotate', 'events/gcp-secret-rotate.json');
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(credentials(rotate.out.enqueued)).toEqual(['platform-ci']);
  });

  it('refuses an unknown function and a missing event file with exit 2', async () => {
    expect((await credrot(['invoke', 'nope', '--event', 'x.json'], env)).code).toBe(2);
    const missing = await credrot(['invoke', 'scheduledScan', '--event', 'no-such.json'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
  });
});
