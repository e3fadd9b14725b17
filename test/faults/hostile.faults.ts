/**
 * Hostile webhooks: fast-check generates requests to both AWS webhook entry points (API
 * Gateway HTTP API v2 events, as deployed): missing, wrong, duplicated and near-miss
 * tokens and signatures, replayed deliveries, truncated, non-UTF-8, non-object and huge
 * bodies, lying Content-Length, wrong content types, unknown events, and well-formed
 * events naming projects, groups, repositories or alerts the configuration does not
 * authorize. None is a legitimate request, so for each the status is predicted from the
 * documented order of checks (size → authentication → JSON → event), and at the end
 * nothing was enqueued, no token minted, no note posted, and no handler threw.
 */
import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { handler as githubWebhook } from '../../functions/aws/github-webhook.js';
import { handler as gitlabWebhook } from '../../functions/aws/gitlab-webhook.js';
import { configureRuntime } from '../../functions/lib/runtime.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { parseObject } from '../../shared/webhooks/http.js';
import {
  type FunctionsWorld,
  GITHUB_HOOK_SECRET,
  HOOK_SECRET,
  HOOK_SECRET_OLD,
  seedFunctionsWorld,
} from '../support/functions-world.js';
import { watchSandbox } from '../support/invariants.js';
import { faultFile } from './fault-file.js';
import type { HostileFigures } from './figures.js';
import { type HostileRequest, hostileGitHub, hostileGitLab } from './hostile-requests.js';
import { scaleFromEnv, subSeed } from './scale.js';

const scale = scaleFromEnv();
const file = faultFile('hostile');
const figures: HostileFigures = {
  requests: 0,
  gitlab: 0,
  github: 0,
  unexpectedStatus: 0,
  enqueued: 0,
  rotated: 0,
  crashes: 0,
};
const RUNS = 5_000 * scale.size;
const GITLAB_MAX = 64 * 1024;
const GITHUB_MAX = 1024 * 1024;

let sandbox: Sandbox;
let fw: FunctionsWorld;
let alert: number;
let watch: ReturnType<typeof watchSandbox>;

beforeAll(async () => {
  sandbox = await startSandbox({ registry: false });
  watch = watchSandbox(sandbox);
  fw = await seedFunctionsWorld(sandbox);
  // An alert credrot may read, about a value it does not manage.
  alert = sandbox.github.seedSecretScanningAlert({
    repo: 'acme/app',
    secretType: 'gitlab_access_token',
    secret: 'glpat-not-managed-by-credrot-0000',
  });
});

afterAll(async () => {
  file.capture.add(fw?.logText());
  file.minted(watch?.issued().map((t) => t.value) ?? []);
  file.finish({ hostile: figures });
  watch?.stop();
  configureRuntime();
  await sandbox?.close();
});

function event(req: HostileRequest, path: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: req.headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'local',
      http: {
        method: 'POST',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '198.51.100.7',
        userAgent: 'fc',
      },
      requestId: 'fc',
      routeKey: `POST ${path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: req.raw.toString('base64'),
    isBase64Encoded: true,
  };
}

/** The body as the entry point sees it: base64-decoded, read as UTF-8. */
const decoded = (req: HostileRequest) => req.raw.toString('utf8');

function size(req: HostileRequest): number {
  const declared = Number(req.headers['content-length']);
  return Math.max(Number.isFinite(declared) ? declared : 0, Buffer.byteLength(decoded(req)));
}

/** GitLab: 413 by size, 401 by X-Gitlab-Token, 400 unless a JSON object, else 202 (ignored). */
function expectGitLab(req: HostileRequest): number {
  if (size(req) > GITLAB_MAX) return 413;
  const token = req.headers['x-gitlab-token'];
  if (token !== HOOK_SECRET && token !== HOOK_SECRET_OLD) return 401;
  if (!parseObject(decoded(req))) return 400;
  return 202;
}

/** GitHub: 413, 401 unless signed over the bytes the handler verifies, 400, ping 200, alert. */
function expectGitHub(req: HostileRequest): number {
  if (size(req) > GITHUB_MAX) return 413;
  const body = decoded(req);
  const valid = `sha256=${createHmac('sha256', GITHUB_HOOK_SECRET).update(body).digest('hex')}`;
  // @octokit/webhooks-methods refuses an empty payload outright: unverifiable, so 401.
  if (req.headers['x-hub-signature-256'] !== valid || body === '') return 401;
  const payload = parseObject(body);
  if (!payload) return 400;
  const name = req.headers['x-github-event'];
  if (name === 'ping') return 200;
  const action = payload['action'];
  if (name !== 'secret_scanning_alert' || (action !== 'created' && action !== 'reopened'))
    return 202;
  const repo = (payload['repository'] as Record<string, unknown> | undefined)?.['full_name'];
  const number = (payload['alert'] as Record<string, unknown> | undefined)?.['number'];
  if (typeof repo !== 'string' || !repo.includes('/') || typeof number !== 'number') return 400;
  // The alert is read from GitHub: only acme/app's seeded alert exists for this token
  // (202: not a managed value; a replay of it: 202 duplicate); any other answers 404
  // there, and the delivery 503 so that it can be redelivered.
  return repo === 'acme/app' && number === alert ? 202 : 503;
}

/** How often each status was answered, per handler: every branch must be reached. */
const seen: Record<'gitlab' | 'github', Map<number, number>> = {
  gitlab: new Map(),
  github: new Map(),
};

async function invoke(
  handler: (e: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>,
  req: HostileRequest,
  path: string,
): Promise<number> {
  try {
    const out = await handler(event(req, path));
    file.capture.add(out.body);
    return out.statusCode ?? 0;
  } catch (err) {
    figures.crashes += 1;
    file.capture.add(err instanceof Error ? `${err.message}\n${err.stack}` : String(err));
    return -1;
  }
}

function mintsAndNotes(): number {
  return sandbox.gitlab.router.calls.filter((c) =>
    /^gitlab\.(create|rotate).*Token$|Note$|^gitlab\.create.*Note/.test(c.operation),
  ).length;
}

function replay(which: string): string {
  return `FAULTS_SEED=${scale.seed} npx vitest run -c vitest.faults.config.ts test/faults/hostile -t '${which}'`;
}

describe('hostile webhook requests are refused or ignored, and change nothing', () => {
  it('the GitLab webhook', async ({ expect }) => {
    const before = mintsAndNotes();
    await fc
      .assert(
        fc.asyncProperty(hostileGitLab(fw.world.projectId), async (req) => {
          figures.requests += 1;
          figures.gitlab += 1;
          const status = await invoke(gitlabWebhook, req, '/webhooks/gitlab');
          seen.gitlab.set(status, (seen.gitlab.get(status) ?? 0) + 1);
          if (status !== expectGitLab(req)) figures.unexpectedStatus += 1;
          return status === expectGitLab(req) && fw.queue.jobs.length === 0;
        }),
        { numRuns: RUNS, seed: subSeed(scale.seed, 'gitlab'), endOnFailure: true },
      )
      .catch((err: unknown) => {
        console.error(`replay: ${replay('the GitLab webhook')}`);
        throw err;
      });
    figures.enqueued += fw.queue.jobs.length;
    figures.rotated += mintsAndNotes() - before;
    expect(fw.queue.jobs).toEqual([]);
    expect(mintsAndNotes() - before).toBe(0);
    expect([...seen.gitlab.keys()].sort()).toEqual([202, 400, 401, 413]);
  });

  it('the GitHub webhook', async ({ expect }) => {
    const before = mintsAndNotes();
    await fc
      .assert(
        fc.asyncProperty(hostileGitHub(alert), async (req) => {
          figures.requests += 1;
          figures.github += 1;
          const status = await invoke(githubWebhook, req, '/webhooks/github');
          seen.github.set(status, (seen.github.get(status) ?? 0) + 1);
          if (status !== expectGitHub(req)) figures.unexpectedStatus += 1;
          return status === expectGitHub(req) && fw.queue.jobs.length === 0;
        }),
        { numRuns: RUNS, seed: subSeed(scale.seed, 'github'), endOnFailure: true },
      )
      .catch((err: unknown) => {
        console.error(`replay: ${replay('the GitHub webhook')}`);
        throw err;
      });
    figures.enqueued += fw.queue.jobs.length;
    figures.rotated += mintsAndNotes() - before;
    expect(fw.queue.jobs).toEqual([]);
    expect(mintsAndNotes() - before).toBe(0);
    expect([...seen.github.keys()].sort()).toEqual([200, 202, 400, 401, 413, 503]);
  });

  it('printed, logged and answered no secret value minted in the run', ({ expect }) => {
    file.capture.add(fw.logText());
    file.minted(watch.issued().map((t) => t.value));
    const scan = file.scan();
    expect(scan.values).toBeGreaterThan(0);
    expect(scan.hits).toEqual([]);
  });
});
