import type { IncomingHttpHeaders } from 'node:http';
import {
  GitbeakerRequestError,
  GroupHooks,
  IssueNotes,
  Issues,
  MergeRequestNotes,
  MergeRequests,
  ProjectHooks,
} from '@gitbeaker/rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccessLevel, type GitLabGroup, type GitLabProject } from '../../sandbox/gitlab/context.js';
import { createGitLabEmulator, type GitLabEmulator } from '../../sandbox/gitlab/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A loopback webhook receiver that records requests and answers as told. */
async function startReceiver() {
  const got: Received[] = [];
  let answer = { status: 200, delayMs: 0 };
  const server = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      setTimeout(() => {
        res.statusCode = answer.status;
        res.end('ok');
      }, answer.delayMs);
    });
  });
  return {
    url: `${server.url}/hook`,
    got,
    answer(status: number, delayMs = 0) {
      answer = { status, delayMs };
    },
    close: () => server.close(),
  };
}

async function failure(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GitbeakerRequestError) {
      const cause = err.cause as { response: globalThis.Response; description: string };
      return { status: cause.response.status, message: cause.description };
    }
    throw err;
  }
  throw new Error('expected the request to fail');
}

let gl: GitLabEmulator;
let server: RunningServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let acme: GitLabGroup;
let platform: GitLabGroup;
let project: GitLabProject;
let projectCount = 0;
const tokens = { maintainer: '', developer: '', reporter: '', guest: '', owner: '' };

const hooksApi = (token = tokens.maintainer) => new ProjectHooks({ host: server.url, token });

/** Flags @gitbeaker 43's types do not list yet (`resource_access_token_events`, ...). */
function hookOptions(o: Record<string, string | boolean>): { showExpanded?: false } {
  return o;
}

beforeAll(async () => {
  gl = createGitLabEmulator({
    hooks: { instanceUrl: 'https://gitlab.example.test', version: '18.2.1' },
  });
  server = await listen(gl.router.listener);
  receiver = await startReceiver();
  acme = gl.createGroup({ path: 'acme' });
  platform = gl.createGroup({ path: 'platform' });
  const seed = (username: string, groupId: number, level: number) => {
    const user = gl.createUser({ username });
    gl.addMember({ groupId }, user.id, level);
    return gl.seedToken({
      userId: user.id,
      name: username,
      scopes: ['api'],
      expiresAt: '2099-01-01',
    }).token;
  };
  tokens.maintainer = seed('maintainer', acme.id, AccessLevel.maintainer);
  tokens.developer = seed('developer', acme.id, AccessLevel.developer);
  tokens.reporter = seed('reporter', acme.id, AccessLevel.reporter);
  tokens.guest = seed('guest', acme.id, AccessLevel.guest);
  tokens.owner = seed('owner', platform.id, AccessLevel.owner);
});

afterAll(async () => {
  await receiver.close();
  await server.close();
});

beforeEach(() => {
  // A fresh project per test, so hooks of one test never receive another's events.
  projectCount += 1;
  project = gl.createProject({ path: `app-${projectCount}`, namespaceId: acme.id });
  receiver.got.length = 0;
  receiver.answer(200);
  gl.hooks.timeoutMs = 10_000;
  gl.faults.clear();
});

const expiringToken = {
  id: 77,
  name: 'ci-token',
  user_id: 501,
  created_at: '2025-01-02T03:04:05Z',
  expires_at: '2025-02-01',
};

describe('project hooks API', () => {
  it('creates a hook whose secret token is never returned', async () => {
    const created = await hooksApi().add(
      project.id,
      receiver.url,
      hookOptions({
        token: 'hook-secret-value',
        resourceAccessTokenEvents: true,
        noteEvents: true,
      }),
    );
    expect(created).toMatchObject({
      url: receiver.url,
      project_id: project.id,
      push_events: true,
      note_events: true,
      resource_access_token_events: true,
      issues_events: false,
      alert_status: 'executable',
      disabled_until: null,
    });
    expect(created).not.toHaveProperty('token');
    const shown = await hooksApi().show(project.id, created.id);
    expect(shown).toEqual(created);
    expect(JSON.stringify(await hooksApi().all(project.id))).not.toContain('hook-secret-value');
  });

  it('forbids a Developer and rejects URLs that are not http(s)', async () => {
    expect((await failure(hooksApi(tokens.developer).add(project.id, receiver.url))).status).toBe(
      403,
    );
    expect(await failure(hooksApi().add(project.id, 'ftp://example.test/hook'))).toEqual({
      status: 422,
      message: 'Invalid url given',
    });
  });

  it('deletes a hook, after which it is not found', async () => {
    const hook = await hooksApi().add(project.id, receiver.url);
    await hooksApi().remove(project.id, hook.id);
    expect(await failure(hooksApi().show(project.id, hook.id))).toEqual({
      status: 404,
      message: '404 Project Hook Not Found',
    });
  });

  it('answers an injected 503 without creating the hook', async () => {
    gl.faults.addRule({
      operation: 'gitlab.createProjectHook',
      times: 1,
      action: { type: 'status', status: 503 },
    });
    expect((await failure(hooksApi().add(project.id, receiver.url))).status).toBe(503);
    expect(await hooksApi().all(project.id)).toEqual([]);
  });
});

describe('delivery', () => {
  it("posts an expiring access token event with GitLab's headers and payload", async () => {
    const hook = await hooksApi().add(
      project.id,
      receiver.url,
      hookOptions({
        token: 'hook-secret-value',
        resourceAccessTokenEvents: true,
      }),
    );
    await hooksApi().add(project.id, `${receiver.url}?unsubscribed`, { noteEvents: true });

    const [result, ...rest] = await gl.hooks.emitResourceAccessTokenEvent(
      { project },
      expiringToken,
    );
    expect(rest).toEqual([]);
    expect(result).toMatchObject({ hookId: hook.id, status: 200, ok: true, attempt: 1 });
    expect(result?.durationMs).toBeGreaterThanOrEqual(0);

    expect(receiver.got).toHaveLength(1);
    const { headers, body } = receiver.got[0]!;
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'GitLab/18.2.1',
      'x-gitlab-event': 'Resource Access Token Hook',
      'x-gitlab-token': 'hook-secret-value',
      'x-gitlab-instance': 'https://gitlab.example.test',
      'idempotency-key': result?.idempotencyKey,
      'x-gitlab-event-uuid': result?.eventUuid,
    });
    expect(headers['x-gitlab-webhook-uuid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toMatchObject({
      object_kind: 'access_token',
      event_name: 'expiring_access_token',
      project_id: project.id,
      project: { id: project.id, path_with_namespace: project.path_with_namespace },
      object_attributes: {
        id: 77,
        name: 'ci-token',
        user_id: 501,
        created_at: '2025-01-02 03:04:05 UTC',
        expires_at: '2025-02-01',
      },
    });
  });

  it('sends group access token and deploy token events to group hooks', async () => {
    const groupHooks = new GroupHooks({ host: server.url, token: tokens.owner });
    await groupHooks.add(
      platform.id,
      receiver.url,
      hookOptions({
        resourceAccessTokenEvents: true,
        resourceDeployTokenEvents: true,
      }) as Record<string, boolean>,
    );
    await gl.hooks.emitResourceAccessTokenEvent({ group: platform }, expiringToken);
    await gl.hooks.emitDeployTokenEvent(
      { group: platform },
      {
        id: 9,
        name: 'pull',
        username: 'gitlab+deploy-token-9',
        created_at: new Date(),
        expires_at: '2025-03-01',
      },
    );
    expect(receiver.got.map((r) => r.headers['x-gitlab-event'])).toEqual([
      'Resource Access Token Hook',
      'Resource Deploy Token Hook',
    ]);
    expect(receiver.got[0]?.body).toMatchObject({
      object_kind: 'access_token',
      group_id: platform.id,
      group: { group_id: platform.id, group_path: 'platform', full_path: 'platform' },
    });
    expect(receiver.got[1]?.body).toMatchObject({
      object_kind: 'deploy_token',
      event_name: 'expiring_deploy_token',
      object_attributes: { id: 9, name: 'pull', expires_at: '2025-03-01' },
    });
  });

  it('gives up on a receiver that does not answer within the delivery timeout', async () => {
    await hooksApi().add(
      project.id,
      receiver.url,
      hookOptions({ resourceAccessTokenEvents: true }),
    );
    gl.hooks.timeoutMs = 150;
    receiver.answer(200, 1_000);
    const [result] = await gl.hooks.emitResourceAccessTokenEvent({ project }, expiringToken);
    expect(result).toMatchObject({ ok: false, error: 'timeout' });
    expect(result?.status).toBeUndefined();
    expect(result?.durationMs).toBeLessThan(900);
  });

  it('redelivers with the same Idempotency-Key, event UUID and body', async () => {
    await hooksApi().add(
      project.id,
      receiver.url,
      hookOptions({ resourceAccessTokenEvents: true }),
    );
    const [first] = await gl.hooks.emitResourceAccessTokenEvent({ project }, expiringToken);
    const again = await gl.hooks.redeliver(first!.deliveryId);
    expect(again).toMatchObject({ attempt: 2, ok: true, idempotencyKey: first?.idempotencyKey });
    const [a, b] = receiver.got;
    expect(b?.headers['idempotency-key']).toBe(a?.headers['idempotency-key']);
    expect(b?.headers['x-gitlab-event-uuid']).toBe(a?.headers['x-gitlab-event-uuid']);
    expect(b?.body).toEqual(a?.body);
  });

  it('temporarily disables a hook after four consecutive failures, backing off 1 then 2 minutes', async () => {
    const hook = await hooksApi().add(
      project.id,
      receiver.url,
      hookOptions({
        resourceAccessTokenEvents: true,
      }),
    );
    receiver.answer(500);
    for (let i = 0; i < 4; i++) {
      const [r] = await gl.hooks.emitResourceAccessTokenEvent({ project }, expiringToken);
      expect(r).toMatchObject({ ok: false, status: 500 });
    }
    const t0 = gl.now().getTime();
    const disabled = await hooksApi().show(project.id, hook.id);
    expect(disabled.alert_status).toBe('temporarily_disabled');
    const until = Date.parse(String(disabled.disabled_until));
    expect(until - t0).toBeGreaterThan(55_000);
    expect(until - t0).toBeLessThanOrEqual(60_000);

    expect(await gl.hooks.emitResourceAccessTokenEvent({ project }, expiringToken)).toEqual([]);
    expect(receiver.got).toHaveLength(4);

    gl.setNow(new Date(until + 1_000));
    expect((await hooksApi().show(project.id, hook.id)).alert_status).toBe('executable');
    await gl.hooks.emitResourceAccessTokenEvent({ project }, expiringToken);
    const again = await hooksApi().show(project.id, hook.id);
    const backoff = Date.parse(String(again.disabled_until)) - gl.now().getTime();
    expect(backoff).toBeGreaterThan(115_000);
    expect(backoff).toBeLessThanOrEqual(120_000);

    receiver.answer(200);
    gl.setNow(new Date(Date.parse(String(again.disabled_until)) + 1_000));
    const [ok] = await gl.hooks.emitResourceAccessTokenEvent({ project }, expiringToken);
    expect(ok?.ok).toBe(true);
    expect(await hooksApi().show(project.id, hook.id)).toMatchObject({
      alert_status: 'executable',
      disabled_until: null,
    });
  });
});

describe('permanent disabling', () => {
  it('disables a hook for good after 40 consecutive failures, until it is edited', async () => {
    const hook = await hooksApi().add(
      project.id,
      receiver.url,
      hookOptions({
        resourceAccessTokenEvents: true,
      }),
    );
    receiver.answer(500);
    for (let i = 0; i < 40; i++) {
      // Step past any backoff window (at most 24 h) so every attempt is really sent.
      gl.setNow(new Date(gl.now().getTime() + 25 * 3_600_000));
      await gl.hooks.emitResourceAccessTokenEvent({ project }, expiringToken);
    }
    expect(receiver.got).toHaveLength(40);
    gl.setNow(new Date(gl.now().getTime() + 25 * 3_600_000));
    expect(await hooksApi().show(project.id, hook.id)).toMatchObject({
      alert_status: 'disabled',
      disabled_until: null,
    });
    expect(await gl.hooks.emitResourceAccessTokenEvent({ project }, expiringToken)).toEqual([]);

    const edited = await hooksApi().edit(project.id, hook.id, receiver.url);
    expect(edited.alert_status).toBe('executable');
  });
});

describe('issues, merge requests and notes', () => {
  it('emits Issue Hook and Note Hook, also to hooks of the parent group', async () => {
    await hooksApi().add(project.id, receiver.url, { issuesEvents: true, noteEvents: true });
    const owner = gl.createUser({ username: `acme-owner-${project.id}` });
    gl.addMember({ groupId: acme.id }, owner.id, AccessLevel.owner);
    const ownerToken = gl.seedToken({
      userId: owner.id,
      name: 'o',
      scopes: ['api'],
      expiresAt: '2099-01-01',
    }).token;
    const groupHook = await new GroupHooks({ host: server.url, token: ownerToken }).add(
      acme.id,
      `${receiver.url}?group`,
      { noteEvents: true },
    );

    const issue = await new Issues({ host: server.url, token: tokens.guest }).create(
      project.id,
      'Token expires soon',
    );
    expect(issue).toMatchObject({ iid: 1, state: 'opened', title: 'Token expires soon' });
    const note = await new IssueNotes({ host: server.url, token: tokens.guest }).create(
      project.id,
      issue.iid,
      'Rotated by credrot',
    );
    expect(note).toMatchObject({
      body: 'Rotated by credrot',
      noteable_type: 'Issue',
      noteable_iid: 1,
    });
    await gl.hooks.idle();

    const events = receiver.got.map((r) => `${r.headers['x-gitlab-event']}`);
    expect(events.sort()).toEqual(['Issue Hook', 'Note Hook', 'Note Hook']);
    const noteHook = receiver.got.find((r) => r.headers['x-gitlab-event'] === 'Note Hook');
    expect(noteHook?.body).toMatchObject({
      object_kind: 'note',
      event_type: 'note',
      project_id: project.id,
      object_attributes: { note: 'Rotated by credrot', noteable_type: 'Issue', action: 'create' },
      issue: { iid: 1, title: 'Token expires soon' },
      user: { username: 'guest', email: '[REDACTED]' },
    });
    expect(groupHook.group_id).toBe(acme.id);
    await gl.hooks.emitResourceAccessTokenEvent({ project }, expiringToken); // no subscriber: no-op
    expect(receiver.got).toHaveLength(3);
  });

  it('lets a Guest comment on issues but requires Reporter for merge requests', async () => {
    const mr = await new MergeRequests({ host: server.url, token: tokens.developer }).create(
      project.id,
      'rotate-token',
      'main',
      'Rotate the deploy token',
    );
    expect(mr).toMatchObject({ iid: 1, source_branch: 'rotate-token', target_branch: 'main' });
    const asGuest = new MergeRequestNotes({ host: server.url, token: tokens.guest });
    expect((await failure(asGuest.create(project.id, mr.iid, 'hi'))).status).toBe(403);
    const asReporter = new MergeRequestNotes({ host: server.url, token: tokens.reporter });
    await asReporter.create(project.id, mr.iid, 'first');
    await asReporter.create(project.id, mr.iid, 'second');
    const notes = await asReporter.all(project.id, mr.iid);
    expect(notes.map((n) => n.body)).toEqual(['second', 'first']);
    expect(await failure(asReporter.all(project.id, 99))).toEqual({
      status: 404,
      message: '404 Merge Request Not Found',
    });
  });
});
