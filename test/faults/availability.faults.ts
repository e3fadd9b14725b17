/**
 * Webhook availability: GitLab gives a receiver 10 s and disables a hook after four
 * consecutive failures (https://docs.gitlab.com/user/project/integrations/webhooks/#auto-disabled-webhooks).
 * A burst of 500 deliveries per second for 10 s (autocannon, on loopback) against the AWS
 * GitLab webhook entry point served as API Gateway's HTTP API would invoke it: a realistic
 * mix of events credrot ignores and expiring-token events it queues. Every delivery must
 * be answered 2xx well within the timeout, and every token event queued.
 */
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { handler as gitlabWebhook } from '../../functions/aws/gitlab-webhook.js';
import { configureRuntime } from '../../functions/lib/runtime.js';
import type { RunningServer } from '../../sandbox/http.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import {
  type FunctionsWorld,
  HOOK_SECRET,
  seedFunctionsWorld,
  serveLambda,
} from '../support/functions-world.js';
import { watchSandbox } from '../support/invariants.js';
import { faultFile } from './fault-file.js';
import type { AvailabilityFigures } from './figures.js';

const RATE = 500;
const SECONDS = 10;
const GITLAB_TIMEOUT_MS = 10_000;

const file = faultFile('availability');
const figures: Partial<AvailabilityFigures> = {};
let sandbox: Sandbox;
let fw: FunctionsWorld;
let server: RunningServer & { endpoint: string };
let watch: ReturnType<typeof watchSandbox>;

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false });
  watch = watchSandbox(sandbox);
  fw = await seedFunctionsWorld(sandbox);
  server = await serveLambda(gitlabWebhook, '/webhooks/gitlab');
});

afterAll(async () => {
  file.capture.add(fw?.logText());
  file.minted(watch?.issued().map((t) => t.value) ?? []);
  file.finish({ availability: figures });
  watch?.stop();
  configureRuntime();
  await server?.close();
  await sandbox?.close();
});

/** What GitLab sends most (pushes, comments), and now and then an expiring token. */
function delivery(n: number, projectId: number): { event: string; body: string } {
  const project = { id: projectId, path_with_namespace: 'platform/app' };
  if (n % 10 === 0)
    return {
      event: 'Resource Access Token Hook',
      body: JSON.stringify({
        object_kind: 'access_token',
        project_id: projectId,
        project,
        object_attributes: { id: 1, name: 'app-ci', expires_at: '2030-01-01' },
        event_name: 'expiring_access_token',
      }),
    };
  if (n % 10 === 1)
    return {
      event: 'Note Hook',
      body: JSON.stringify({
        object_kind: 'note',
        project_id: projectId,
        project,
        user: { id: 1, username: 'dev' },
        object_attributes: { note: 'LGTM', noteable_type: 'Issue' },
        issue: { id: 1, iid: 1 },
      }),
    };
  return {
    event: 'Push Hook',
    body: JSON.stringify({ object_kind: 'push', project_id: projectId, project, commits: [] }),
  };
}

describe('the GitLab webhook under a burst of deliveries', () => {
  it(`answers ${RATE} deliveries per second for ${SECONDS} s with 2xx, each within GitLab's timeout`, async ({
    expect,
  }) => {
    let n = 0;
    let tokenEvents = 0;
    const result = await autocannon({
      url: server.endpoint,
      method: 'POST',
      connections: 50,
      overallRate: RATE,
      duration: SECONDS,
      timeout: GITLAB_TIMEOUT_MS / 1000,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            const d = delivery(n++, fw.world.projectId);
            if (d.event === 'Resource Access Token Hook') tokenEvents += 1;
            return {
              ...request,
              body: d.body,
              headers: {
                'content-type': 'application/json',
                'x-gitlab-token': HOOK_SECRET,
                'x-gitlab-event': d.event,
                'x-gitlab-event-uuid': randomUUID(),
                'user-agent': 'GitLab/18.0.0',
              },
            };
          },
        },
      ],
    });
    Object.assign(figures, {
      deliveries: result.requests.total,
      ratePerSecond: RATE,
      seconds: SECONDS,
      ok: result['2xx'],
      failed: result.non2xx + result.errors + result.timeouts,
      maxMs: Math.round(result.latency.max),
      p99Ms: Math.round(result.latency.p99),
    });
    expect(result.requests.total).toBeGreaterThanOrEqual(RATE * SECONDS * 0.95);
    expect(result.non2xx + result.errors + result.timeouts).toBe(0);
    expect(result['2xx']).toBe(result.requests.total);
    expect(result.latency.max).toBeLessThan(GITLAB_TIMEOUT_MS);
    // Every token event was queued (each has its own event UUID), even at this rate.
    expect(fw.queue.jobs.length).toBeGreaterThan(0);
    expect(fw.queue.jobs.length).toBeLessThanOrEqual(tokenEvents);
    expect(fw.queue.jobs.length).toBeGreaterThanOrEqual(Math.floor(result['2xx'] / 10));
  });

  it('printed, logged and answered no secret value minted in the run', ({ expect }) => {
    file.capture.add(fw.logText());
    file.minted(watch.issued().map((t) => t.value));
    const scan = file.scan();
    expect(scan.values).toBeGreaterThan(0);
    expect(scan.hits).toEqual([]);
  });
});
