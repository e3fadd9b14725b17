/**
 * The demo world plus what the deployed functions need: webhook secrets, a notifier, the
 * configuration written to a file, the function runtime pointed at it (with a memory log
 * to inspect, a memory queue unless a real one is given), and loopback servers that serve
 * a Lambda handler the way API Gateway's HTTP API (payload v2.0) would.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  SQSEvent,
} from 'aws-lambda';
import { configureRuntime } from '../../functions/lib/runtime.js';
import { type DemoWorld, seedDemoWorld } from '../../sandbox/demo-world.js';
import { listen, type RunningServer } from '../../sandbox/http.js';
import type { Sandbox } from '../../sandbox/index.js';
import { encodeJob, type JobQueue, type RotationJob } from '../../shared/jobs/job.js';
import { MemoryJobQueue } from '../../shared/jobs/memory-queue.js';
import { memoryLog } from '../../shared/metrics/log.js';
import { memoryMetrics } from '../../shared/metrics/metrics.js';

export const HOOK_SECRET = 'gitlab-hook-secret-current';
export const HOOK_SECRET_OLD = 'gitlab-hook-secret-previous';
export const GITHUB_HOOK_SECRET = 'github-hook-secret-current';

export interface FunctionsWorld {
  world: DemoWorld;
  configFile: string;
  env: Record<string, string>;
  queue: MemoryJobQueue;
  log: ReturnType<typeof memoryLog>;
  metrics: ReturnType<typeof memoryMetrics>;
  /** Every line any function logged, joined: for "no secret in the logs" assertions. */
  logText(): string;
}

export interface FunctionsWorldOptions {
  gracePeriod?: string;
  /** YAML appended to the configuration (top-level sections). */
  extraConfig?: string;
  /** Env added to the world's (for references in extraConfig). */
  extraEnv?: Record<string, string>;
  /** A queue instead of the memory one; 'config' uses the configuration's own queue. */
  queue?: JobQueue | 'config';
  now?: () => Date;
}

export async function seedFunctionsWorld(
  sandbox: Sandbox,
  options: FunctionsWorldOptions = {},
): Promise<FunctionsWorld> {
  const world = await seedDemoWorld(sandbox, { gracePeriod: options.gracePeriod ?? '1h' });
  const dir = await mkdtemp(join(tmpdir(), 'credrot-functions-'));
  const configFile = join(dir, 'credrot.config.yaml');
  const config = `${world.config}webhooks:
  gitlab:
    secret: { env: HOOK_SECRET }
    previousSecret: { env: HOOK_SECRET_OLD }
    maxBodySize: 64KiB
  github:
    secret: { env: GITHUB_HOOK_SECRET }
${options.extraConfig ?? ''}`;
  await writeFile(configFile, config);
  const env = {
    ...world.env,
    HOOK_SECRET,
    HOOK_SECRET_OLD,
    GITHUB_HOOK_SECRET,
    ...options.extraEnv,
    CREDROT_CONFIG: configFile,
  };
  const queue = new MemoryJobQueue();
  const log = memoryLog();
  const metrics = memoryMetrics();
  configureRuntime({
    env,
    log,
    metrics,
    ...(options.queue === 'config' ? {} : { queue: options.queue ?? queue }),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    world,
    configFile,
    env,
    queue,
    log,
    metrics,
    logText: () => JSON.stringify(log.entries),
  };
}

type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Serves a Lambda HTTP handler on loopback as API Gateway's HTTP API would invoke it. */
export async function serveLambda(
  handler: ApiHandler,
  path: string,
): Promise<RunningServer & { endpoint: string }> {
  const server = await listen((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
      const event: APIGatewayProxyEventV2 = {
        version: '2.0',
        routeKey: `POST ${path}`,
        rawPath: path,
        rawQueryString: '',
        headers,
        requestContext: {
          accountId: '000000000000',
          apiId: 'local',
          domainName: headers['host'] ?? 'localhost',
          domainPrefix: 'local',
          http: {
            method: req.method ?? 'POST',
            path,
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          requestId: `req-${Date.now()}`,
          routeKey: `POST ${path}`,
          stage: '$default',
          time: new Date().toUTCString(),
          timeEpoch: Date.now(),
        },
        body,
        isBase64Encoded: false,
      };
      const out = await handler(event);
      res.statusCode = out.statusCode ?? 200;
      for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, String(v));
      res.end(out.body ?? '');
    })().catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  return Object.assign(server, { endpoint: `${server.url}${path}` });
}

/** An SQS batch event (as Lambda's event source mapping delivers it) carrying `jobs`. */
export function sqsEvent(jobs: Array<RotationJob | string>): SQSEvent {
  return {
    Records: jobs.map((job, i) => ({
      messageId: `msg-${i + 1}`,
      receiptHandle: `receipt-${i + 1}`,
      body: typeof job === 'string' ? job : encodeJob(job),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AIDASANDBOX',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
        ...(typeof job === 'string'
          ? {}
          : { MessageGroupId: job.credential, MessageDeduplicationId: job.dedupeKey }),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:credrot-test-jobs.fifo',
      awsRegion: 'us-east-1',
    })),
  };
}

/** A loopback receiver of notices (Slack-compatible or JSON webhook). */
export async function startNoticeReceiver(): Promise<
  RunningServer & { endpoint: string; received: Array<Record<string, unknown>> }
> {
  const received: Array<Record<string, unknown>> = [];
  const server = await listen((req, res) => {
    void readBody(req).then((body) => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.statusCode = 200;
      res.end('ok');
    });
  });
  return Object.assign(server, { endpoint: `${server.url}/notices`, received });
}
