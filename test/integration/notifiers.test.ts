import type { IncomingMessage, ServerResponse } from 'node:http';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoWorld } from '../../sandbox/demo-world.js';
import { listen, type RunningServer } from '../../sandbox/http.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { gcpClientOptions } from '../../shared/config/gcp-client-options.js';
import { ProviderError } from '../../shared/errors.js';
import { createPolicyFetch } from '../../shared/http/policy-fetch.js';
import { memoryLog } from '../../shared/metrics/log.js';
import { type Notice, notify } from '../../shared/notify/notice.js';
import { GcpAnnotationNoticeLog } from '../../shared/notify/notice-log.js';
import { gitlabIssueNotifier, slackNotifier } from '../../shared/notify/notifiers.js';
import { createGitLabClient } from '../../shared/sources/gitlab/client.js';

let sandbox: Sandbox;
let receiver: RunningServer;
const received: Array<{ path: string; body: string }> = [];
let answer = 200;
let ownerToken: string;

/** A Slack-style incoming webhook: the path is the credential, as Slack's URLs are. */
const SLACK_PATH = '/services/T000/B000/s3cr3tpathtoken';

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false });
  const world = await seedDemoWorld(sandbox);
  ownerToken = world.env['CREDROT_GITLAB_TOKEN']!;
  receiver = await listen((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.statusCode = answer;
      res.end(answer === 200 ? 'ok' : 'no_service');
    });
  });
});

afterAll(async () => {
  await receiver?.close();
  await sandbox?.close();
});

const notice = (credential: string): Notice => ({
  credential,
  kind: 'rotation-failed',
  summary: `rotation of ${credential} failed at distribute`,
  detail:
    'GitLab answered 403 to PUT /projects/1/variables/APP_TOKEN: the connection user needs the Maintainer role',
  at: '2026-11-22T09:00:00.000Z',
});

describe('notifiers', () => {
  it('posts a Slack-compatible message with the headline and the fix', async () => {
    answer = 200;
    await slackNotifier(`${receiver.url}${SLACK_PATH}`, createPolicyFetch()).send(notice('app-ci'));
    const last = received.at(-1)!;
    expect(last.path).toBe(SLACK_PATH);
    const text = (JSON.parse(last.body) as { text: string }).text;
    expect(text).toContain('rotation of app-ci failed');
    expect(text).toContain('needs the Maintainer role');
  });

  it('names a failing Slack webhook by its type, never by its URL (the URL is a credential)', async () => {
    answer = 404;
    const sent = slackNotifier(`${receiver.url}${SLACK_PATH}`, createPolicyFetch()).send(
      notice('app-ci'),
    );
    await expect(sent).rejects.toBeInstanceOf(ProviderError);
    await sent.catch((err: Error) => {
      expect(err.message).toMatch(/slack webhook answered 404/);
      expect(err.message).not.toContain('s3cr3tpathtoken');
    });
    answer = 200;
  });

  it('opens a GitLab issue in the named project', async () => {
    const client = createGitLabClient({ url: sandbox.endpoints.gitlab.url, token: ownerToken });
    await gitlabIssueNotifier(client, 'platform/app').send(notice('platform-ci'));
    const res = await fetch(
      `${sandbox.endpoints.gitlab.url}/api/v4/projects/platform%2Fapp/issues`,
      {
        headers: { 'private-token': ownerToken },
      },
    );
    const issues = (await res.json()) as Array<{ title: string; description: string }>;
    const issue = issues.find((i) => i.title === 'credrot: rotation of platform-ci failed');
    expect(issue?.description).toContain('at most one notice per credential per day');
  });

  it('sends one notice per credential per day, remembered on the GCP secret across processes', async () => {
    const gcp = new SecretManagerServiceClient(gcpClientOptions(sandbox.endpoints.gcp.endpoint));
    const before = received.length;
    const deps = () => ({
      notifiers: [slackNotifier(`${receiver.url}${SLACK_PATH}`, createPolicyFetch())],
      // A fresh log object each time: what is remembered lives on the secret, not in memory.
      noticeLog: async () =>
        new GcpAnnotationNoticeLog(gcp, sandbox.endpoints.gcp.project, 'app-ci'),
      log: memoryLog(),
    });
    expect(await notify(notice('app-ci'), deps())).toBe('sent');
    expect(await notify(notice('app-ci'), deps())).toBe('already-noticed-today');
    expect(await notify({ ...notice('app-ci'), at: '2026-11-23T09:00:00.000Z' }, deps())).toBe(
      'sent',
    );
    expect(received.length - before).toBe(2);
    await gcp.close();
  });
});
