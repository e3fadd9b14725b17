/**
 * What every function builds once per cold start: the configuration, the connections,
 * the logger and metrics of its platform, the in-memory delivery de-duplication, and the
 * dependencies of each core handler. Entry points stay thin: parse the event, take these
 * dependencies, call the core, map the result.
 */
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Connections } from '../../shared/config/connections.js';
import type { Config } from '../../shared/config/load.js';
import { ConfigError } from '../../shared/errors.js';
import type { JobQueue } from '../../shared/jobs/job.js';
import type { WorkerDeps } from '../../shared/jobs/worker.js';
import { emfMetrics } from '../../shared/metrics/emf.js';
import { jsonLineLog, type Log, type LogFields } from '../../shared/metrics/log.js';
import { logMetrics } from '../../shared/metrics/log-metrics.js';
import type { MetricSink } from '../../shared/metrics/metrics.js';
import { buildNotifiers, noticeLogFor } from '../../shared/notify/build.js';
import type { NotifyDeps } from '../../shared/notify/notice.js';
import { MemoryNoticeLog } from '../../shared/notify/notice-log.js';
import { assembleTarget } from '../../shared/rotation/assemble.js';
import { MemoryDedupeStore } from '../../shared/webhooks/dedupe.js';
import type { GitHubWebhookDeps } from '../../shared/webhooks/github.js';
import type { GitLabWebhookDeps } from '../../shared/webhooks/gitlab.js';
import { postNote } from '../../shared/webhooks/gitlab-command.js';
import { readManagedValues } from '../../shared/webhooks/managed-values.js';
import { type Env, loadDeployedConfig, type Platform } from './deployed-config.js';
import { buildQueue } from './queue.js';

export interface Runtime {
  platform: Platform;
  config: Config;
  connections: Connections;
  log: Log;
  metrics: MetricSink;
  /** Lease holder of this instance: `<function>@<instance>`. */
  holder: string;
  now: () => Date;
  queue(): Promise<JobQueue>;
  notify(): Promise<NotifyDeps>;
  worker(): Promise<WorkerDeps>;
  gitlabWebhook(): Promise<GitLabWebhookDeps>;
  githubWebhook(): Promise<GitHubWebhookDeps>;
}

/** Replacements for tests and `credrot invoke`: a log to inspect, a fixed clock, a queue. */
export interface RuntimeOverrides {
  env?: Env;
  log?: Log;
  metrics?: MetricSink;
  now?: () => Date;
  queue?: JobQueue;
}

let overrides: RuntimeOverrides = {};
const cache = new Map<string, Promise<Runtime>>();

/** Sets overrides and forgets every cached runtime (the next call is a "cold start"). */
export function configureRuntime(next: RuntimeOverrides = {}): void {
  overrides = next;
  cache.clear();
}

/** The runtime of function `name` on `platform`, built on the first call. */
export function runtime(platform: Platform, name: string): Promise<Runtime> {
  const key = `${platform}:${name}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = build(platform, name);
    cache.set(key, hit);
    // A failed cold start is retried by the next invocation, not cached.
    hit.catch(() => cache.delete(key));
  }
  return hit;
}

function platformLog(platform: Platform, name: string): Log {
  if (platform === 'gcp')
    return jsonLineLog((line) => process.stdout.write(line), { function: name });
  const logger = new Logger({ serviceName: 'credrot', persistentKeys: { function: name } });
  return {
    info: (m: string, f?: LogFields) => logger.info(m, f ?? {}),
    warn: (m: string, f?: LogFields) => logger.warn(m, f ?? {}),
    error: (m: string, f?: LogFields) => logger.error(m, f ?? {}),
  };
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let hit: Promise<T> | undefined;
  return () => {
    hit ??= make();
    hit.catch(() => {
      hit = undefined;
    });
    return hit;
  };
}

async function build(platform: Platform, name: string): Promise<Runtime> {
  const env = overrides.env ?? process.env;
  const config = await loadDeployedConfig(platform, env);
  const connections = new Connections(config, { env });
  const log = overrides.log ?? platformLog(platform, name);
  const metrics =
    overrides.metrics ??
    (platform === 'aws'
      ? emfMetrics(new Metrics({ namespace: 'credrot', serviceName: 'credrot' }))
      : logMetrics(log));
  const now = overrides.now ?? (() => new Date());
  const holder = `${name}@${randomBytes(4).toString('hex')}`;
  const dedupe = new MemoryDedupeStore();
  const watcherNotices = new MemoryNoticeLog();

  const queue = once(async () => overrides.queue ?? buildQueue(config, connections));
  const notify = once(
    async (): Promise<NotifyDeps> => ({
      notifiers: await buildNotifiers(config, connections),
      noticeLog: (credential) => noticeLogFor(credential, config, connections, watcherNotices),
      log,
      metrics,
    }),
  );
  const gitlab = async (connection: string) => (await connections.gitlab(connection)).client;

  const secretsOf = async (
    which: 'gitlab' | 'github',
  ): Promise<{ secrets: string[]; maxBodyBytes: number }> => {
    const spec = config.webhooks[which];
    if (!spec)
      throw new ConfigError(
        `the configuration has no webhooks.${which} section: add webhooks.${which}.secret (a secret reference)`,
      );
    const secrets = [await connections.resolve(spec.secret, `webhooks.${which}.secret`)];
    if (spec.previousSecret)
      secrets.push(
        await connections.resolve(spec.previousSecret, `webhooks.${which}.previousSecret`),
      );
    return { secrets, maxBodyBytes: spec.maxBodySize };
  };

  return {
    platform,
    config,
    connections,
    log,
    metrics,
    holder,
    now,
    queue,
    notify,
    worker: once(async () => ({
      config,
      target: (c) => assembleTarget(c, connections),
      holder,
      now,
      log,
      metrics,
      notify: await notify(),
      reply: async (job, text) => {
        if (!job.reply) return;
        await postNote(await gitlab(job.reply.connection), job.reply, text);
      },
    })),
    gitlabWebhook: once(async () => ({
      config,
      ...(await secretsOf('gitlab')),
      queue: await queue(),
      dedupe,
      now,
      log,
      gitlab,
    })),
    githubWebhook: once(async () => ({
      config,
      ...(await secretsOf('github')),
      queue: await queue(),
      dedupe,
      now,
      log,
      github: () => connections.github(config.webhooks.github?.connection ?? ''),
      managedValues: async () => {
        const { values, unreadable } = await readManagedValues(config, connections);
        if (unreadable.length > 0)
          log.warn('some stores could not be read while matching a leak', { unreadable });
        return values;
      },
    })),
  };
}
