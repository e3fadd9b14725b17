import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as githubWebhook } from '../../functions/aws/github-webhook.js';
import { handler as rotationWorker } from '../../functions/aws/rotation-worker.js';
import { configureRuntime } from '../../functions/lib/runtime.js';
import type { RunningServer } from '../../sandbox/http.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import {
  type FunctionsWorld,
  GITHUB_HOOK_SECRET,
  seedFunctionsWorld,
  serveLambda,
  sqsEvent,
} from '../support/functions-world.js';

let sandbox: Sandbox;
let fw: FunctionsWorld;
let server: RunningServer & { endpoint: string };

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false });
  fw = await seedFunctionsWorld(sandbox);
  server = await serveLambda(githubWebhook, '/webhooks/github');
  sandbox.github.webhooks.add({
    repo: 'acme/app',
    url: server.endpoint,
    secret: GITHUB_HOOK_SECRET,
    events: ['secret_scanning_alert'],
  });
});

afterAll(async () => {
  configureRuntime();
  await server?.close();
  await sandbox?.close();
});

beforeEach(() => {
  fw.queue.take();
});

function post(headers: Record<string, string>, body: string) {
  return fetch(server.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'ping', ...headers },
    body,
  });
}

const sign = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('GitHub webhook (AWS handler behind an HTTP API)', () => {
  it("answers GitHub's signed ping with 200", async () => {
    const [delivery] = await sandbox.github.webhooks.emit('ping', {});
    expect(delivery?.status).toBe(200);
  });

  it('answers 401 to an unsigned delivery and to one signed with another secret', async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    expect((await post({}, body)).status).toBe(401);
    expect((await post({ 'x-hub-signature-256': sign('not-the-secret', body) }, body)).status).toBe(
      401,
    );
    expect((await post({ 'x-hub-signature-256': 'sha256=zz' }, body)).status).toBe(401);
    expect(
      (await post({ 'x-hub-signature-256': sign(GITHUB_HOOK_SECRET, body) }, body)).status,
    ).toBe(200);
  });

  it('ignores an alert about a secret credrot does not manage', async () => {
    const number = sandbox.github.seedSecretScanningAlert({
      repo: 'acme/app',
      secretType: 'github_personal_access_token',
      secret: 'ghp_notcredrotmanaged0000000000000000000',
    });
    const [delivery] = await sandbox.github.webhooks.emitSecretScanningAlert({
      repo: 'acme/app',
      number,
      action: 'created',
    });
    expect(delivery?.status).toBe(202);
    expect(fw.queue.jobs).toEqual([]);
  });

  it('turns a leaked credrot token into a leak rotation that retires the old value at once, once', async () => {
    const leaked = fw.world.before.appToken;
    const number = sandbox.github.seedSecretScanningAlert({
      repo: 'acme/app',
      secretType: 'gitlab_access_token',
      secret: leaked,
    });
    const [delivery] = await sandbox.github.webhooks.emitSecretScanningAlert({
      repo: 'acme/app',
      number,
      action: 'created',
    });
    expect(delivery?.status).toBe(202);
    // The same delivery again (same X-GitHub-Delivery and hook id) acts once.
    expect((await sandbox.github.webhooks.redeliver(delivery!.deliveryId)).status).toBe(202);
    const jobs = fw.queue.take();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ credential: 'app-ci', trigger: 'leak-alert', reason: 'leak' });
    expect(JSON.stringify(jobs)).not.toContain(leaked);

    const out = await rotationWorker(sqsEvent(jobs));
    expect(out.batchItemFailures).toEqual([]);
    expect(sandbox.gitlab.tokenState(leaked)).toBe('revoked');
    const fresh = sandbox.gitlab.variables.read(
      'project',
      fw.world.projectId,
      'APP_TOKEN',
      '*',
    )?.value;
    expect(fresh).not.toBe(leaked);
    expect(sandbox.gitlab.tokenState(fresh!)).toBe('active');
    expect(sandbox.github.secretValue({ repo: 'acme/app' }, 'APP_TOKEN')).toBe(fresh);
    expect(fw.logText()).not.toContain(leaked);
    expect(fw.logText()).not.toContain(fresh);
  });
});
