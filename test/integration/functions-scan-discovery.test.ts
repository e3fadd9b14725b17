/**
 * The scheduled scan (the AWS handler and the GCP function, as deployed) with a
 * `discovery` entry: a token of
 * the instance that no credential rotates and that is in its critical window gets one
 * notice a day; a warning one gets none; a token a credential rotates gets none; and a
 * discovery that fails (the token is no administrator's) says so, once a day.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as scheduledScan } from '../../functions/aws/scheduled-scan.js';
import { scheduledScanEvent } from '../../functions/gcp/index.js';
import { configureRuntime } from '../../functions/lib/runtime.js';
import type { RunningServer } from '../../sandbox/http.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import {
  type FunctionsWorld,
  seedFunctionsWorld,
  startNoticeReceiver,
} from '../support/functions-world.js';

const DAY = 86_400_000;

let sandbox: Sandbox;
let receiver: RunningServer & { endpoint: string; received: Array<Record<string, unknown>> };
let adminToken: string;
const seeded: Record<string, { id: number; token: string }> = {};

const EXTRA = `discovery:
  - { name: instance, kind: gitlab-instance }
notifications:
  notifiers:
    - { type: webhook, url: { env: NOTICE_URL } }
`;

let fw: FunctionsWorld;

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false });
  receiver = await startNoticeReceiver();
  const { gitlab } = sandbox;
  const now = gitlab.now().getTime();
  const day = (offset: number) => new Date(now + offset * DAY).toISOString().slice(0, 10);
  const root = gitlab.createUser({ username: 'scan-admin', admin: true });
  adminToken = gitlab.seedToken({
    userId: root.id,
    name: 'credrot',
    scopes: ['api'],
    expiresAt: day(300),
  }).token;
  const group = gitlab.createGroup({ path: 'legacy' });
  const project = gitlab.createProject({ path: 'billing', namespaceId: group.id });
  seeded['critical'] = gitlab.seedToken({
    projectId: project.id,
    name: 'billing-deploy',
    scopes: ['read_repository'],
    expiresAt: day(2),
  });
  seeded['warning'] = gitlab.seedToken({
    groupId: group.id,
    name: 'legacy-ci',
    scopes: ['read_api'],
    expiresAt: day(20),
  });
  fw = await seedFunctionsWorld(sandbox, {
    extraConfig: EXTRA,
    // The demo world's single GitLab connection, with an administrator's token.
    extraEnv: { NOTICE_URL: receiver.endpoint, CREDROT_GITLAB_TOKEN: adminToken },
  });
});

afterAll(async () => {
  configureRuntime();
  await receiver?.close();
  await sandbox?.close();
});

describe('the scheduled scan with discovery', () => {
  it('notices a critical token nobody rotates, once a day, and nothing else', async () => {
    await scheduledScan({});
    const notices = receiver.received.filter((n) => n['kind'] === 'critical-unrotatable');
    const billing = notices.filter((n) =>
      String(n['credential']).includes(`billing-deploy (id ${seeded['critical']!.id})`),
    );
    expect(billing).toHaveLength(1);
    expect(String(billing[0]!['summary'])).toMatch(
      /gitlab-project-access-token billing-deploy .* is critical.*no credential of the configuration rotates it/,
    );
    expect(String(billing[0]!['detail'])).toMatch(/Renew it in GitLab/);
    // The warning token, and app-ci (critical, but rotated by its credential), get none.
    expect(notices.some((n) => String(n['credential']).includes('legacy-ci'))).toBe(false);
    expect(notices.some((n) => String(n['credential']).startsWith('instance: app-ci'))).toBe(false);

    // The next run the same day: the scan still finds it, the notice is not repeated.
    await scheduledScan({});
    expect(
      receiver.received.filter((n) =>
        String(n['credential']).includes(`billing-deploy (id ${seeded['critical']!.id})`),
      ),
    ).toHaveLength(1);

    const text = `${JSON.stringify(receiver.received)}\n${fw.logText()}`;
    for (const value of [adminToken, seeded['critical']!.token, seeded['warning']!.token])
      expect(text).not.toContain(value);
  });

  it('does the same in the GCP scheduled scan', async () => {
    const billing = () =>
      receiver.received.filter((n) =>
        String(n['credential']).includes(`billing-deploy (id ${seeded['critical']!.id})`),
      ).length;
    const before = billing();
    await scheduledScanEvent({
      specversion: '1.0',
      id: '1',
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      source: '//pubsub.googleapis.com/projects/credrot-sandbox/topics/credrot-scan',
    });
    // Another function instance: its own memory of what it noticed today.
    expect(billing()).toBe(before + 1);
  });

  it('says when discovery fails because the token is not an administrator’s', async () => {
    const before = receiver.received.length;
    // The same function, cold-started again with the project owner's token instead.
    configureRuntime({
      env: { ...fw.env, CREDROT_GITLAB_TOKEN: fw.world.env['CREDROT_GITLAB_TOKEN']! },
      queue: fw.queue,
      log: fw.log,
      metrics: fw.metrics,
    });
    await scheduledScan({});
    const failed = receiver.received.slice(before).filter((n) => n['kind'] === 'discovery-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ credential: 'instance' });
    expect(String(failed[0]!['detail'])).toMatch(/needs an administrator token/);
  });
});
