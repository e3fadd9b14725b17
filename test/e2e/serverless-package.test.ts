/**
 * `serverless package` as CI runs it: no AWS credentials, no network. The generated
 * CloudFormation is the deployed shape, so it is asserted here: every function and its
 * trigger, the queues and their redrive, the IAM statements, and each function's bundle.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runServerless,
  type StagedService,
  serverlessEnv,
  stageService,
} from '../support/serverless.js';
import { readZip } from '../support/zip.js';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string | string[];
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string>>;
}

/** Issue 8's budget for one function's package, and for what it loads at cold start. */
const MAX_ZIP_BYTES = 1_500_000;

const FUNCTIONS = {
  scheduledScan: { file: 'scheduled-scan', role: 'ScanRole' },
  rotationWorker: { file: 'rotation-worker', role: 'WorkerRole' },
  gitlabWebhook: { file: 'gitlab-webhook', role: 'GitlabWebhookRole' },
  githubWebhook: { file: 'github-webhook', role: 'GithubWebhookRole' },
  secretsManagerRotation: { file: 'secrets-manager-rotation', role: 'RotationRole' },
} as const;

let service: StagedService;
let template: Template;
const zipBytes: Record<string, number> = {};

const logicalId = (fn: string) => `${fn[0]!.toUpperCase()}${fn.slice(1)}LambdaFunction`;
const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
const ofType = (type: string) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function statementsOf(roleId: string): Statement[] {
  const role = template.Resources[roleId]!;
  const policies = role.Properties['Policies'] as Array<{
    PolicyDocument: { Statement: Statement[] };
  }>;
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

function allStatements(): Array<Statement & { role: string }> {
  return ofType('AWS::IAM::Role').flatMap(([id]) =>
    statementsOf(id).map((s) => ({ ...s, role: id })),
  );
}

beforeAll(async () => {
  service = await stageService();
  const started = Date.now();
  const run = await runServerless(
    service.dir,
    ['package', '--stage', 'ci', '--region', 'eu-west-1'],
    serverlessEnv(),
    110_000,
  );
  expect(run.code, run.output).toBe(0);
  // The brief: well under two minutes on CI's two cores.
  expect(Date.now() - started).toBeLessThan(110_000);
  const out = join(service.dir, '.serverless');
  template = JSON.parse(
    await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  for (const fn of Object.keys(FUNCTIONS)) {
    zipBytes[fn] = (await stat(join(out, `${fn}.zip`))).size;
  }
}, 120_000);

afterAll(async () => {
  await service?.remove();
});

describe('serverless package --stage ci with no credentials and no network', () => {
  it('declares every function on Node 20 with its handler, its own role and no secret in its environment', () => {
    const lambdas = ofType('AWS::Lambda::Function').map(([id]) => id);
    expect(lambdas.sort()).toEqual(Object.keys(FUNCTIONS).map(logicalId).sort());
    for (const [fn, { file, role }] of Object.entries(FUNCTIONS)) {
      const props = template.Resources[logicalId(fn)]!.Properties;
      expect(props['Runtime']).toBe('nodejs20.x');
      expect(props['Handler']).toBe(`functions/aws/${file}.handler`);
      expect(props['FunctionName']).toBe(`credrot-ci-${fn}`);
      expect(props['Role']).toEqual(getAtt(role));
      const vars = (props['Environment'] as { Variables: Record<string, unknown> }).Variables;
      expect(vars['CREDROT_CONFIG_SECRET']).toBe('credrot-settings/ci/config');
      // Names and paths only: a token, password or key never travels in the environment.
      for (const [key, value] of Object.entries(vars)) {
        expect(key).not.toMatch(/TOKEN|PASSWORD|SECRET_KEY|PRIVATE/);
        expect(String(value)).not.toMatch(/glpat-|ghp_|github_pat_|AKIA|-----BEGIN/);
      }
    }
  });

  it('runs the scan from EventBridge Scheduler with a retry policy and a dead-letter queue', () => {
    const schedules = ofType('AWS::Scheduler::Schedule');
    expect(schedules).toHaveLength(1);
    const props = schedules[0]![1].Properties;
    expect(props['ScheduleExpression']).toBe('rate(1 hour)');
    expect(props['State']).toBe('ENABLED');
    const target = props['Target'] as Record<string, unknown>;
    expect(target['Arn']).toEqual(getAtt(logicalId('scheduledScan')));
    expect(target['RoleArn']).toEqual(getAtt('SchedulerRole'));
    const retry = target['RetryPolicy'] as Record<string, number>;
    expect(retry['MaximumRetryAttempts']).toBeGreaterThan(0);
    expect(retry['MaximumRetryAttempts']).toBeLessThanOrEqual(185);
    expect(retry['MaximumEventAgeInSeconds']).toBeGreaterThanOrEqual(60);
    expect(target['DeadLetterConfig']).toEqual({ Arn: getAtt('ScanDeadLetterQueue') });
    expect(template.Resources['ScanDeadLetterQueue']!.Type).toBe('AWS::SQS::Queue');

    // The scheduler's role may invoke the scan and feed its dead-letter queue, nothing else.
    const trust = template.Resources['SchedulerRole']!.Properties['AssumeRolePolicyDocument'] as {
      Statement: Array<{ Principal: { Service: string } }>;
    };
    expect(trust.Statement.map((s) => s.Principal.Service)).toEqual(['scheduler.amazonaws.com']);
    const actions = statementsOf('SchedulerRole').flatMap((s) => list(s.Action));
    expect(actions.sort()).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
  });

  it('routes POST /webhooks/gitlab and /webhooks/github of an HTTP API to the webhook functions (payload 2.0)', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties['RouteKey']);
    expect(routes.sort()).toEqual(['POST /webhooks/github', 'POST /webhooks/gitlab']);
    for (const fn of ['gitlabWebhook', 'githubWebhook'] as const) {
      const integration = ofType('AWS::ApiGatewayV2::Integration').find(([, r]) =>
        JSON.stringify(r.Properties['IntegrationUri']).includes(logicalId(fn)),
      );
      expect(integration, fn).toBeDefined();
      expect(integration![1].Properties['PayloadFormatVersion']).toBe('2.0');
    }
    expect(JSON.stringify(template.Outputs['GitlabWebhookUrl']!.Value)).toContain(
      '/webhooks/gitlab',
    );
  });

  it('feeds the worker from a FIFO queue without content-based dedup, with partial batch responses and a bounded redrive to a FIFO dead-letter queue', () => {
    const jobs = template.Resources['JobsQueue']!.Properties;
    expect(jobs['FifoQueue']).toBe(true);
    expect(jobs['ContentBasedDeduplication']).toBe(false);
    expect(String(jobs['QueueName'])).toMatch(/\.fifo$/);
    const redrive = jobs['RedrivePolicy'] as {
      deadLetterTargetArn: unknown;
      maxReceiveCount: number;
    };
    expect(redrive.deadLetterTargetArn).toEqual(getAtt('JobsDeadLetterQueue'));
    expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(2);
    expect(redrive.maxReceiveCount).toBeLessThanOrEqual(10);
    expect(template.Resources['JobsDeadLetterQueue']!.Properties['FifoQueue']).toBe(true);

    const worker = template.Resources[logicalId('rotationWorker')]!.Properties;
    // AWS: at least six times the function timeout, or a slow job is delivered twice.
    expect(jobs['VisibilityTimeout']).toBeGreaterThanOrEqual(6 * Number(worker['Timeout']));

    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties);
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!['EventSourceArn']).toEqual(getAtt('JobsQueue'));
    expect(mappings[0]!['FunctionName']).toEqual(getAtt(logicalId('rotationWorker')));
    expect(mappings[0]!['FunctionResponseTypes']).toEqual(['ReportBatchItemFailures']);
  });

  it('lets Secrets Manager, for this account only, invoke the rotation function', () => {
    const permission = template.Resources['SecretsManagerRotationPermission']!;
    expect(permission.Type).toBe('AWS::Lambda::Permission');
    expect(permission.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'secretsmanager.amazonaws.com',
      FunctionName: getAtt(logicalId('secretsManagerRotation')),
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  it('grants no Secrets Manager action on * and writes only to secrets tagged managed-by=credrot', () => {
    const secretStatements = allStatements().filter((s) =>
      list(s.Action).some((a) => a.startsWith('secretsmanager:') || a === '*'),
    );
    expect(secretStatements.length).toBeGreaterThan(0);
    // The Fn::Sub of serverless.yml: CloudFormation fills in partition, region and account.
    const sub = (name: string) => `\${${name}}`;
    const account = `arn:${sub('AWS::Partition')}:secretsmanager:${sub('AWS::Region')}:${sub('AWS::AccountId')}:secret:`;
    for (const s of secretStatements) {
      const where = `${s.role}/${s.Sid}`;
      expect(list(s.Action), where).not.toContain('*');
      expect(list(s.Action), where).not.toContain('secretsmanager:*');
      for (const resource of list(s.Resource)) {
        expect(resource, where).not.toBe('*');
        const arn = (resource as { 'Fn::Sub': string })['Fn::Sub'];
        expect([`${account}credrot/*`, `${account}credrot-settings/ci/*`], where).toContain(arn);
      }
      const writes = list(s.Action).filter((a) => !/:(Get|Describe)/.test(a));
      if (writes.length > 0) {
        expect(arnOf(s), where).toBe(`${account}credrot/*`);
        const tag = s.Condition?.['StringEquals'];
        expect(
          tag?.['aws:ResourceTag/managed-by'] ?? tag?.['aws:RequestTag/managed-by'],
          where,
        ).toBe('credrot');
      }
    }
    // Webhooks and the scan never write a secret.
    for (const role of ['GitlabWebhookRole', 'GithubWebhookRole', 'ScanRole']) {
      const actions = statementsOf(role).flatMap((s) => list(s.Action));
      expect(actions.filter((a) => /secretsmanager:(Put|Update|Create|Tag)/.test(a))).toEqual([]);
    }
  });

  it('grants no action on * anywhere, and SQS actions only on credrot queues', () => {
    for (const s of allStatements()) {
      expect(list(s.Resource), `${s.role}/${s.Sid}`).not.toContain('*');
      if (list(s.Action).some((a) => a.startsWith('sqs:'))) {
        for (const r of list(s.Resource)) {
          expect([
            getAtt('JobsQueue'),
            getAtt('JobsDeadLetterQueue'),
            getAtt('ScanDeadLetterQueue'),
          ]).toContainEqual(r);
        }
      }
    }
    const consume = statementsOf('WorkerRole').find((s) =>
      list(s.Action).includes('sqs:ReceiveMessage'),
    );
    expect(consume?.Resource).toEqual(getAtt('JobsQueue'));
    for (const role of ['GitlabWebhookRole', 'GithubWebhookRole', 'ScanRole']) {
      const send = statementsOf(role).find((s) => list(s.Action).includes('sqs:SendMessage'));
      expect(send?.Resource, role).toEqual(getAtt('JobsQueue'));
    }
  });

  it('packages each function as its own split ESM bundle: an entry, only its own chunks, a zip under 1.5 MB, and under 1.5 MB loaded at cold start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'credrot-bundles-'));
    try {
      const bundles: string[] = [];
      const cold: Record<string, number> = {};
      for (const [fn, { file }] of Object.entries(FUNCTIONS)) {
        const entries = await readZip(join(service.dir, '.serverless', `${fn}.zip`));
        const entryName = `functions/aws/${file}.mjs`;
        // The entry, and chunks under functions/aws/<file>.chunks/ only: never another
        // function's chunks (scripts/esbuild-chunks.cjs).
        for (const e of entries)
          expect(
            e.name === entryName || e.name.startsWith(`functions/aws/${file}.chunks/`),
            e.name,
          ).toBe(true);
        expect(entries.map((e) => e.name)).toContain(entryName);
        const fnDir = join(dir, fn);
        for (const e of entries) {
          await mkdir(dirname(join(fnDir, e.name)), { recursive: true });
          await writeFile(join(fnDir, e.name), e.data());
        }
        bundles.push(pathToFileURL(join(fnDir, entryName)).href);
        cold[fn] = staticClosureBytes(
          entryName,
          new Map(entries.map((e) => [e.name, e.data().toString('utf8')])),
        );
      }
      // Plain Node, as the Lambda runtime loads them (not through the test runner's loader).
      const loaded = await loadHandlers(bundles);
      expect(loaded).toEqual(bundles.map(() => 'function'));
      console.info(
        `loaded at cold start (entry + static imports, bytes): ${Object.entries(cold)
          .map(([fn, bytes]) => `${fn} ${bytes}`)
          .join(', ')}`,
      );
      for (const [fn, bytes] of Object.entries(cold)) {
        expect(bytes, fn).toBeLessThan(MAX_ZIP_BYTES);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    console.info(
      `function packages (zip bytes): ${Object.entries(zipBytes)
        .map(([fn, bytes]) => `${fn} ${bytes}`)
        .join(', ')}`,
    );
    for (const [fn, bytes] of Object.entries(zipBytes)) {
      expect(bytes, fn).toBeLessThan(MAX_ZIP_BYTES);
    }
  });
});

/**
 * Bytes of `entry` and every file it imports statically (`import ... from "./x.mjs"`,
 * `import "./x.mjs"`), transitively: what Node loads before the handler runs. Dynamic
 * `import("./x.mjs")` chunks load only when reached.
 */
function staticClosureBytes(entry: string, files: Map<string, string>): number {
  const seen = new Set<string>();
  const stack = [entry];
  let bytes = 0;
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const text = files.get(name);
    if (text === undefined) throw new Error(`${name} is imported but not in the package`);
    bytes += Buffer.byteLength(text);
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+)["']/g))
      stack.push(posix.join(posix.dirname(name), m[1]!));
  }
  return bytes;
}

/** `typeof handler` of each bundle, imported by a separate Node process. */
function loadHandlers(urls: string[]): Promise<string[]> {
  const script = `const out = []; for (const u of ${JSON.stringify(urls)}) out.push(typeof (await import(u)).handler); process.stdout.write(JSON.stringify(out));`;
  return new Promise((resolveTypes, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { env: serverlessEnv(), timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`a bundle failed to load: ${stderr || err.message}`));
        else resolveTypes(JSON.parse(stdout) as string[]);
      },
    );
  });
}

function arnOf(s: Statement): string | undefined {
  const [first] = list(s.Resource) as Array<{ 'Fn::Sub'?: string }>;
  return first?.['Fn::Sub'];
}
