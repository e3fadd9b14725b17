/**
 * What every function builds once per cold start: the configuration, the connections,
 * the logger and metrics of its platform, the in-memory delivery de-duplication, and the
 * dependencies of each core handler. Entry points stay thin: parse the event, take these
 * dependencies, call the core, map the result.
 *
 * Everything a handler may not need is loaded with `import()` where it is first used (the
 * queue's SDK, the notifiers, the rotation providers, Powertools): in the split bundles a
 * webhook that verifies, matches and enqueues never loads gitbeaker, Octokit, google-gax
 * or the other cloud's clients (issue 8: cold start).
 */
import { randomBytes } from 'node:crypto';
import { Connections } from '../../shared/config/connections.js';
import type { Config } from '../../shared/config/load.js';
import { ConfigError } from '../../shared/errors.js';
import type { JobQueue } from '../../shared/jobs/job.js';
import type { ScheduledScanDeps } from '../../shared/jobs/scheduled.js';
import type { WorkerDeps } from '../../shared/jobs/worker.js';
import { jsonLineLog, type Log, type LogFields } from '../../shared/metrics/log.js';
import { logMetrics } from '../../shared/metrics/log-metrics.js';
import type { MetricSink } from '../../shared/metrics/metrics.js';
import type { NoticeLog, NotifyDeps } from '../../shared/notify/notice.js';
import { MemoryDedupeStore } from '../../shared/webhooks/dedupe.js';
import type { GitHubWebhookDeps } from '../../shared/webhooks/github.js';
import type { GitLabWebhookDeps } from '../../shared/webhooks/gitlab.js';
import { type Env, loadDeployedConfig, type Platform } from './deployed-config.js';

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
  scheduledScan(): Promise<ScheduledScanDeps>;
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

async function platformLog(platform: Platform, name: string): Promise<Log> {
  if (platform === 'gcp')
    return jsonLineLog((line) => process.stdout.write(line), { function: name });
  const { Logger } = await import('@aws-lambda-powertools/logger');
  const logger = new Logger({ serviceName: 'credrot', persistentKeys: { function: name } });
  return {
    info: (m: string, f?: LogFields) => logger.info(m, f ?? {}),
    warn: (m: string, f?: LogFields) => logger.warn(m, f ?? {}),
    error: (m: string, f?: LogFields) => logger.error(m, f ?? {}),
  };
}

async function platformMetrics(platform: Platform, log: Log): Promise<MetricSink> {
  if (platform === 'gcp') return logMetrics(log);
  const [{ Metrics }, { emfMetrics }] = await Promise.all([
    import('@aws-lambda-powertools/metrics'),
    import('../../shared/metrics/emf.js'),
  ]);
  return emfMetrics(new Metrics({ namespace: 'credrot', serviceName: 'credrot' }));
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
  const log = overrides.log ?? (await platformLog(platform, name));
  const metrics = overrides.metrics ?? (await platformMetrics(platform, log));
  const now = overrides.now ?? (() => new Date());
  const holder = `${name}@${randomBytes(4).toString('hex')}`;
  const dedupe = new MemoryDedupeStore();

  const queue = once(
    async () => overrides.queue ?? (await import('./queue.js')).buildQueue(config, connections),
  );
  const notify = once(async (): Promise<NotifyDeps> => {
    const [{ buildNotifiers, noticeLogFor }, { MemoryNoticeLog }] = await Promise.all([
      import('../../shared/notify/build.js'),
      import('../../shared/notify/notice-log.js'),
    ]);
    const watcherNotices: NoticeLog = new MemoryNoticeLog();
    return {
      notifiers: await buildNotifiers(config, connections),
      noticeLog: (credential) => noticeLogFor(credential, config, connections, watcherNotices),
      log,
      metrics,
    };
  });
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
      target: async (c) =>
        (await import('../../shared/rotation/assemble.js')).assembleTarget(c, connections),
      holder,
      now,
      log,
      metrics,
      notify: await notify(),
      reply: async (job, text) => {
        if (!job.reply) return;
        const { postNote } = await import('../../shared/webhooks/gitlab-command.js');
        await postNote(await gitlab(job.reply.connection), job.reply, text);
      },
    })),
    scheduledScan: once(async () => ({
      config,
      connections,
      queue: await queue(),
      now,
      log,
      metrics,
      notify: await notify(),
      findings: async (at) =>
        (await import('../../shared/check/scan.js')).scan(config, { now: at }),
      discovered: async (at) => {
        if (config.discovery.length === 0) return [];
        const { checkDiscovery } = await import('../../shared/check/discovery.js');
        return checkDiscovery(config, connections, { now: at });
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
        const { readManagedValues } = await import('../../shared/webhooks/managed-values.js');
        const { values, unreadable } = await readManagedValues(config, connections);
        if (unreadable.length > 0)
          log.warn('some stores could not be read while matching a leak', { unreadable });
        return values;
      },
    })),
  };
}
