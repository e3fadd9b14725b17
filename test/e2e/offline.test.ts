/**
 * The AWS deployment run locally by serverless-offline: the handlers bundled by
 * serverless-esbuild exactly as for `serverless deploy`, real HTTP deliveries from the
 * sandbox's GitLab and GitHub (their own webhook senders, so headers and payloads are
 * real-shaped), the jobs landing in the sandbox's SQS, and the worker, invoked through
 * serverless-offline's Lambda endpoint with those messages, rotating the token in the
 * sandbox's GitLab.
 */

import type { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type DemoWorld, seedDemoWorld } from '../../sandbox/demo-world.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import {
  freePort,
  type StagedService,
  serverlessEnv,
  stageService,
  startServerless,
  stopProcessGroup,
} from '../support/serverless.js';

const REGION = 'eu-west-1';
const QUEUE = 'credrot-ci-jobs.fifo';
/** The configured webhook body limit (64 KiB), well below API Gateway's 10 MB. */
const MAX_BODY = 64 * 1024;

let sandbox: Sandbox;
let world: DemoWorld;
let service: StagedService;
let child: ChildProcess | undefined;
let output = '';
let configDir: string;
let httpUrl: string;
let lambdaUrl: string;
let sqs: SQSClient;
let queueUrl: string;
let queueArn: string;
const webhookSecrets = {
  gitlab: randomBytes(24).toString('hex'),
  github: randomBytes(24).toString('hex'),
};
let killOnExit: (() => void) | undefined;

function jobs(): Array<{ credential: string; reason: string; trigger: string }> {
  return sandbox.sqs.messages(QUEUE).map((m) => JSON.parse(m.body));
}

function variable(key: string): string | undefined {
  return sandbox.gitlab.variables.read('project', world.projectId, key, '*')?.value;
}

async function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(output)) {
    if (child?.exitCode !== null) throw new Error(`serverless offline exited:\n${output}`);
    if (Date.now() > deadline)
      throw new Error(`serverless offline did not print ${pattern} in ${timeoutMs} ms:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The configuration the offline functions read: the demo world, wired for deployment. */
function deployedConfig(): string {
  const doc = parse(world.config) as Record<string, Record<string, Record<string, unknown>>>;
  const connections = doc['connections']!;
  const aws = connections['aws']!['sandbox'] as Record<string, unknown>;
  // The functions' own credentials (here: serverless-offline's AWS_* environment), no keys.
  delete aws['accessKeyId'];
  delete aws['secretAccessKey'];
  const settings = (name: string) => ({ aws: { secretId: `credrot-settings/ci/${name}` } });
  (connections['gitlab']!['sandbox'] as Record<string, unknown>)['token'] =
    settings('gitlab-token');
  (connections['github']!['sandbox'] as Record<string, unknown>)['token'] =
    settings('github-token');
  const out = {
    ...doc,
    queue: { type: 'sqs', url: queueUrl, connection: 'sandbox' },
    webhooks: {
      gitlab: { secret: settings('gitlab-webhook-secret'), maxBodySize: MAX_BODY },
      github: {
        secret: settings('github-webhook-secret'),
        connection: 'sandbox',
        maxBodySize: MAX_BODY,
      },
    },
  };
  return stringify(out);
}

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false, aws: { region: REGION } });
  world = await seedDemoWorld(sandbox, { gracePeriod: '1h' });
  const { aws: awsEndpoint, sqs: sqsEndpoint } = sandbox.endpoints;
  const credentials = {
    accessKeyId: awsEndpoint.accessKeyId,
    secretAccessKey: awsEndpoint.secretAccessKey,
  };

  // The settings a deployment keeps in Secrets Manager.
  const settings: Record<string, string> = {
    'gitlab-token': world.env['CREDROT_GITLAB_TOKEN']!,
    'github-token': world.env['CREDROT_GITHUB_TOKEN']!,
    'gitlab-webhook-secret': webhookSecrets.gitlab,
    'github-webhook-secret': webhookSecrets.github,
  };
  for (const [name, value] of Object.entries(settings)) {
    await world.aws.send(
      new CreateSecretCommand({ Name: `credrot-settings/ci/${name}`, SecretString: value }),
    );
  }

  // The jobs queue as serverless.yml declares it: FIFO, content-based dedup off.
  sqs = new SQSClient({ region: REGION, endpoint: sqsEndpoint.endpoint, credentials });
  queueUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: QUEUE,
        Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false' },
      }),
    )
  ).QueueUrl!;
  queueArn = (
    await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    )
  ).Attributes!['QueueArn']!;

  configDir = await mkdtemp(join(tmpdir(), 'credrot-offline-'));
  const configFile = join(configDir, 'credrot.config.yaml');
  await writeFile(configFile, deployedConfig());

  service = await stageService();
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  httpUrl = `http://127.0.0.1:${httpPort}`;
  lambdaUrl = `http://127.0.0.1:${lambdaPort}`;
  child = startServerless(
    service.dir,
    [
      'offline',
      'start',
      '--stage',
      'ci',
      '--region',
      REGION,
      '--host',
      '127.0.0.1',
      '--httpPort',
      String(httpPort),
      '--lambdaPort',
      String(lambdaPort),
      '--param=scanEnabled=false',
      '--noSponsor',
    ],
    serverlessEnv({
      CREDROT_CONFIG: configFile,
      // What Lambda gives a function; serverless-offline passes every AWS_* variable on.
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    }),
  );
  const pid = child.pid;
  // Even if this worker dies without running afterAll, the offline server goes with it.
  killOnExit = () => {
    try {
      if (pid !== undefined) process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  await waitForOutput(/Server ready/, 90_000);
}, 120_000);

afterAll(async () => {
  if (child) await stopProcessGroup(child);
  if (killOnExit) process.removeListener('exit', killOnExit);
  await service?.remove();
  if (configDir) await rm(configDir, { recursive: true, force: true });
  await sandbox?.close();
});

/** A GitLab `Resource Access Token Hook` body as GitLab sends it (for the hand-made requests). */
function gitlabTokenEvent(): string {
  return JSON.stringify({
    object_kind: 'access_token',
    project_id: world.projectId,
    project: { id: world.projectId, path_with_namespace: world.projectPath },
    object_attributes: { id: 1, name: 'app-ci', expires_at: '2030-01-01' },
    event_name: 'expiring_access_token',
  });
}

async function postGitLab(body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${httpUrl}/webhooks/gitlab`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': 'Resource Access Token Hook',
      ...headers,
    },
    body,
  });
}

describe('serverless offline: the webhooks over HTTP', () => {
  let gitlabDelivery: string;

  it("answers GitLab's own expiring-token delivery with 202 and enqueues one job for that credential", async () => {
    const hook = await fetch(
      `${sandbox.endpoints.gitlab.url}/api/v4/projects/${world.projectId}/hooks`,
      {
        method: 'POST',
        headers: {
          'private-token': world.env['CREDROT_GITLAB_TOKEN']!,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          url: `${httpUrl}/webhooks/gitlab`,
          token: webhookSecrets.gitlab,
          push_events: false,
          resource_access_token_events: true,
        }),
      },
    );
    expect(hook.status).toBe(201);

    const deliveries = await sandbox.gitlab.runExpiryWorker();
    expect(deliveries, output).toHaveLength(1);
    expect(deliveries[0]!.event).toBe('Resource Access Token Hook');
    expect(deliveries[0]!.status, output).toBe(202);
    gitlabDelivery = deliveries[0]!.deliveryId;
    expect(jobs()).toEqual([expect.objectContaining({ credential: 'app-ci', trigger: 'webhook' })]);
  });

  it('answers a redelivery of the same GitLab event 202 and enqueues nothing more', async () => {
    const again = await sandbox.gitlab.hooks.redeliver(gitlabDelivery);
    expect(again.status).toBe(202);
    expect(jobs()).toHaveLength(1);
  });

  it('refuses a GitLab delivery without X-Gitlab-Token, or with a wrong one, with 401', async () => {
    expect((await postGitLab(gitlabTokenEvent(), {})).status).toBe(401);
    const wrong = await postGitLab(gitlabTokenEvent(), { 'x-gitlab-token': 'not-the-secret' });
    expect(wrong.status).toBe(401);
    expect(jobs()).toHaveLength(1);
  });

  it('answers a malformed GitLab body 400 and one above the configured size 413', async () => {
    const token = { 'x-gitlab-token': webhookSecrets.gitlab };
    expect((await postGitLab('{"object_kind": "access_token",', token)).status).toBe(400);
    const padded = JSON.stringify({ ...JSON.parse(gitlabTokenEvent()), pad: 'x'.repeat(MAX_BODY) });
    expect((await postGitLab(padded, token)).status).toBe(413);
    expect(jobs()).toHaveLength(1);
  });

  it("answers GitHub's signed ping 200 and refuses unsigned or wrongly signed deliveries with 401", async () => {
    sandbox.github.webhooks.add({
      url: `${httpUrl}/webhooks/github`,
      secret: webhookSecrets.github,
      events: ['*'],
      repo: 'acme/app',
    });
    const [ping] = await sandbox.github.webhooks.emit('ping', { zen: 'Design for failure.' });
    expect(ping?.status, output).toBe(200);

    const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 1 });
    const unsigned = await fetch(`${httpUrl}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'ping' },
      body,
    });
    expect(unsigned.status).toBe(401);
    const forged = await fetch(`${httpUrl}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body,
    });
    expect(forged.status).toBe(401);
  });

  it('answers a correctly signed but malformed GitHub body 400 and an oversize one 413', async () => {
    const signed = (body: string) =>
      fetch(`${httpUrl}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'secret_scanning_alert',
          'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecrets.github).update(body).digest('hex')}`,
        },
        body,
      });
    expect((await signed('{"action": "created",')).status).toBe(400);
    expect(
      (await signed(JSON.stringify({ action: 'created', pad: 'x'.repeat(MAX_BODY) }))).status,
    ).toBe(413);
    expect(jobs()).toHaveLength(1);
  });

  it('queues an emergency rotation when GitHub reports a leaked credrot-managed token, once per delivery', async () => {
    const alert = sandbox.github.seedSecretScanningAlert({
      repo: 'acme/app',
      secretType: 'gitlab_personal_access_token',
      secret: world.before.appToken,
    });
    const [created] = await sandbox.github.webhooks.emitSecretScanningAlert({
      repo: 'acme/app',
      number: alert,
      action: 'created',
    });
    expect(created?.status, output).toBe(202);
    expect(jobs().map((j) => [j.credential, j.reason])).toEqual([
      ['app-ci', 'expiry'],
      ['app-ci', 'leak'],
    ]);
    const again = await sandbox.github.webhooks.redeliver(created!.deliveryId);
    expect(again.status).toBe(202);
    expect(jobs()).toHaveLength(2);
  });
});

describe('serverless offline: the worker over the queued jobs', () => {
  it('rotates the token, retires the leaked value at once and reports no failed message', async () => {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    expect(messages).toHaveLength(2);

    const res = await fetch(
      `${lambdaUrl}/2015-03-31/functions/credrot-ci-rotationWorker/invocations`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Records: messages.map(sqsRecord) }),
      },
    );
    expect(res.status, output).toBe(200);
    expect(await res.json(), output).toEqual({ batchItemFailures: [] });

    const appToken = variable('APP_TOKEN')!;
    expect(appToken).not.toBe(world.before.appToken);
    expect(sandbox.gitlab.tokenState(appToken)).toBe('active');
    expect(sandbox.github.secretValue({ repo: 'acme/app' }, 'APP_TOKEN')).toBe(appToken);
    // The leak job retired the old value without waiting for the one-hour grace period.
    expect(sandbox.gitlab.tokenState(world.before.appToken)).toBe('revoked');
  });

  it('never printed a secret value', () => {
    const values = [
      world.before.appToken,
      variable('APP_TOKEN')!,
      webhookSecrets.gitlab,
      webhookSecrets.github,
      ...Object.values(world.env),
    ];
    for (const v of values) expect(output.includes(v), 'a secret value was printed').toBe(false);
  });
});

/** An SQS message as the Lambda event source mapping hands it to the function. */
function sqsRecord(m: Message) {
  return {
    messageId: m.MessageId,
    receiptHandle: m.ReceiptHandle,
    body: m.Body,
    attributes: m.Attributes ?? {},
    messageAttributes: {},
    md5OfBody: m.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: REGION,
  };
}
