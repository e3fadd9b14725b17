import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as gitlabWebhook } from '../../functions/aws/gitlab-webhook.js';
import { handler as rotationWorker } from '../../functions/aws/rotation-worker.js';
import { configureRuntime } from '../../functions/lib/runtime.js';
import type { RunningServer } from '../../sandbox/http.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import {
  type FunctionsWorld,
  HOOK_SECRET,
  HOOK_SECRET_OLD,
  seedFunctionsWorld,
  serveLambda,
  sqsEvent,
} from '../support/functions-world.js';

let sandbox: Sandbox;
let fw: FunctionsWorld;
let server: RunningServer & { endpoint: string };
let gitlabUrl: string;

async function api(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${gitlabUrl}/api/v4${path}`, {
    method,
    headers: { 'private-token': token, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

async function addHook(projectId: number, token: string, secret = HOOK_SECRET) {
  await api(token, 'POST', `/projects/${projectId}/hooks`, {
    url: server.endpoint,
    token: secret,
    push_events: false,
    resource_access_token_events: true,
    resource_deploy_token_events: true,
    note_events: true,
    issues_events: true,
  });
}

function post(headers: Record<string, string>, body: string) {
  return fetch(server.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

const tokenEvent = (project: { id: number; path: string }, name: string) =>
  JSON.stringify({
    object_kind: 'access_token',
    project_id: project.id,
    project: { id: project.id, path_with_namespace: project.path },
    object_attributes: { id: 999, name, user_id: 1, expires_at: '2030-01-01' },
    event_name: 'expiring_access_token',
  });

let ownerToken: string;
let projectId: number;

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false });
  gitlabUrl = sandbox.endpoints.gitlab.url;
  fw = await seedFunctionsWorld(sandbox);
  server = await serveLambda(gitlabWebhook, '/webhooks/gitlab');
  ownerToken = fw.env['CREDROT_GITLAB_TOKEN']!;
  projectId = fw.world.projectId;
  await addHook(projectId, ownerToken);
});

afterAll(async () => {
  configureRuntime();
  await server?.close();
  await sandbox?.close();
});

beforeEach(() => {
  fw.queue.take();
});

describe('GitLab webhook (AWS handler behind an HTTP API)', () => {
  it("queues one job per expiring configured token from GitLab's own deliveries, answering 202 fast", async () => {
    const deliveries = await sandbox.gitlab.runExpiryWorker();
    const ours = deliveries.filter((d) => d.url === server.endpoint);
    expect(ours.map((d) => d.event).sort()).toEqual([
      'Resource Access Token Hook',
      'Resource Deploy Token Hook',
    ]);
    for (const d of ours) {
      expect(d.status).toBe(202);
      // GitLab gives a receiver 10 s; this one answers after enqueueing, without API calls.
      expect(d.durationMs).toBeLessThan(1_000);
    }
    const jobs = fw.queue.take();
    expect(jobs.map((j) => j.credential).sort()).toEqual(['app-ci', 'app-registry']);
    expect(jobs.every((j) => j.trigger === 'webhook' && j.reason === 'expiry')).toBe(true);

    // A redelivery (same Idempotency-Key and event UUID) acts once.
    const again = await sandbox.gitlab.hooks.redeliver(ours[0]!.deliveryId);
    expect(again.status).toBe(202);
    expect(fw.queue.take()).toEqual([]);
  });

  it('answers 401 to a missing or wrong X-Gitlab-Token and accepts the previous secret during rotation', async () => {
    const body = tokenEvent({ id: projectId, path: 'platform/app' }, 'app-ci');
    const event = { 'x-gitlab-event': 'Resource Access Token Hook' };
    expect((await post(event, body)).status).toBe(401);
    expect((await post({ ...event, 'x-gitlab-token': 'guessed' }, body)).status).toBe(401);
    expect(fw.queue.jobs).toEqual([]);
    const res = await post({ ...event, 'x-gitlab-token': HOOK_SECRET_OLD }, body);
    expect(res.status).toBe(202);
    expect(fw.queue.take().map((j) => j.credential)).toEqual(['app-ci']);
  });

  it('answers 400 to a body that is not JSON and 413 above the configured size, before parsing', async () => {
    const headers = { 'x-gitlab-token': HOOK_SECRET, 'x-gitlab-event': 'Note Hook' };
    expect((await post(headers, '{"object_kind": ')).status).toBe(400);
    const big = JSON.stringify({ object_kind: 'note', padding: 'x'.repeat(70 * 1024) });
    const res = await post(headers, big);
    expect(res.status).toBe(413);
    // Oversize is refused even without the right token: nothing is read past the size check.
    expect((await post({ 'x-gitlab-event': 'Note Hook' }, big)).status).toBe(413);
    expect(fw.queue.jobs).toEqual([]);
  });

  it('answers 202 to events it does not act on and enqueues nothing', async () => {
    const res = await post(
      { 'x-gitlab-token': HOOK_SECRET, 'x-gitlab-event': 'Push Hook' },
      JSON.stringify({ object_kind: 'push', project_id: projectId }),
    );
    expect(res.status).toBe(202);
    expect(fw.queue.jobs).toEqual([]);
  });

  it('never acts for a project the configuration does not name, whatever the payload claims', async () => {
    // A hook with the right secret on another project, whose token has a configured name.
    const group = sandbox.gitlab.createGroup({ path: 'elsewhere' });
    const other = sandbox.gitlab.createProject({ path: 'app', namespaceId: group.id });
    const owner = sandbox.gitlab.createUser({ username: 'elsewhere-owner' });
    sandbox.gitlab.addMember({ groupId: group.id }, owner.id, 50);
    const token = sandbox.gitlab.seedToken({
      userId: owner.id,
      name: 'owner',
      scopes: ['api'],
      expiresAt: '2099-01-01',
    }).token;
    await addHook(other.id, token);
    const expiresAt = new Date(sandbox.gitlab.now().getTime() + 2 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    sandbox.gitlab.seedToken({ projectId: other.id, name: 'app-ci', scopes: ['api'], expiresAt });
    const deliveries = await sandbox.gitlab.runExpiryWorker();
    expect(deliveries.filter((d) => d.url === server.endpoint).map((d) => d.status)).toEqual([202]);
    // Same token name, configured project's id, but another path: still not ours.
    const forged = tokenEvent({ id: other.id, path: 'elsewhere/app' }, 'app-ci');
    const res = await post(
      { 'x-gitlab-token': HOOK_SECRET, 'x-gitlab-event': 'Resource Access Token Hook' },
      forged,
    );
    expect(res.status).toBe(202);
    expect(fw.queue.jobs).toEqual([]);
  });
});

describe('the /credrot rotate comment command', () => {
  let issueIid: number;
  let developerToken: string;

  beforeAll(async () => {
    const dev = sandbox.gitlab.createUser({ username: 'dev-dana' });
    sandbox.gitlab.addMember({ groupId: fw.world.groupId }, dev.id, 30);
    developerToken = sandbox.gitlab.seedToken({
      userId: dev.id,
      name: 'dana',
      scopes: ['api'],
      expiresAt: '2099-01-01',
    }).token;
    const issue = await api(ownerToken, 'POST', `/projects/${projectId}/issues`, {
      title: 'Rotate the CI token',
    });
    issueIid = issue['iid'] as number;
    await sandbox.gitlab.hooks.idle();
    fw.queue.take();
  });

  const notes = async () =>
    (
      (await (
        await fetch(`${gitlabUrl}/api/v4/projects/${projectId}/issues/${issueIid}/notes?sort=asc`, {
          headers: { 'private-token': ownerToken },
        })
      ).json()) as Array<{ body: string }>
    ).map((n) => n.body);

  it("refuses a Developer, whose role is looked up through GitLab's members API", async () => {
    const calls = sandbox.gitlab.router.calls.length;
    await api(developerToken, 'POST', `/projects/${projectId}/issues/${issueIid}/notes`, {
      body: '/credrot rotate app-ci',
    });
    await sandbox.gitlab.hooks.idle();
    expect(fw.queue.jobs).toEqual([]);
    const ops = sandbox.gitlab.router.calls.slice(calls).map((c) => c.operation);
    expect(ops).toContain('gitlab.getProjectMember');
    expect((await notes()).at(-1)).toMatch(/@dev-dana credrot did not rotate `app-ci`.*Maintainer/);
  });

  it('lets a Maintainer rotate once, and posts the outcome back as a note', async () => {
    await api(ownerToken, 'POST', `/projects/${projectId}/issues/${issueIid}/notes`, {
      body: '/credrot rotate app-ci',
    });
    await sandbox.gitlab.hooks.idle();
    // The same command again (a second comment) within the window acts once.
    await api(ownerToken, 'POST', `/projects/${projectId}/issues/${issueIid}/notes`, {
      body: '/credrot rotate app-ci',
    });
    await sandbox.gitlab.hooks.idle();
    const jobs = fw.queue.take();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      credential: 'app-ci',
      trigger: 'comment',
      reason: 'manual',
      force: true,
      reply: { projectId, noteable: 'issue', iid: issueIid, requestedBy: 'platform-owner' },
    });
    expect((await notes()).some((n) => /credrot is rotating `app-ci`/.test(n))).toBe(true);

    const before = sandbox.gitlab.variables.read('project', projectId, 'APP_TOKEN', '*')?.value;
    const out = await rotationWorker(sqsEvent(jobs));
    expect(out.batchItemFailures).toEqual([]);
    const after = sandbox.gitlab.variables.read('project', projectId, 'APP_TOKEN', '*')?.value;
    expect(after).not.toBe(before);
    expect(sandbox.gitlab.tokenState(after!)).toBe('active');
    await sandbox.gitlab.hooks.idle();
    expect((await notes()).at(-1)).toMatch(/credrot rotated `app-ci` as @platform-owner asked/);
    expect(fw.logText()).not.toContain(after);
  });

  it('acts once for the same command in an issue description and then in a comment', async () => {
    const issue = await api(ownerToken, 'POST', `/projects/${projectId}/issues`, {
      title: 'Rotate the group token',
      description: '/credrot rotate platform-ci',
    });
    await sandbox.gitlab.hooks.idle();
    await api(ownerToken, 'POST', `/projects/${projectId}/issues/${issue['iid']}/notes`, {
      body: '  /credrot rotate platform-ci\n',
    });
    await sandbox.gitlab.hooks.idle();
    expect(fw.queue.take().map((j) => j.credential)).toEqual(['platform-ci']);
  });

  it('ignores a command for a credential this project is not tied to', async () => {
    const other = sandbox.gitlab.createProject({ path: 'docs', namespaceId: fw.world.groupId });
    await addHook(other.id, ownerToken);
    const issue = await api(ownerToken, 'POST', `/projects/${other.id}/issues`, { title: 'x' });
    await api(ownerToken, 'POST', `/projects/${other.id}/issues/${issue['iid']}/notes`, {
      body: '/credrot rotate app-ci',
    });
    await sandbox.gitlab.hooks.idle();
    expect(fw.queue.jobs).toEqual([]);
  });
});
