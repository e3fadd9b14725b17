/**
 * Builds the configured notifiers and the notice log for a credential, on the shared
 * connections (URLs are resolved from their secret references once and cached there).
 */
import type { Connections } from '../config/connections.js';
import type { Config } from '../config/load.js';
import type { NoticeLog, Notifier } from './notice.js';
import { AwsTagNoticeLog, GcpAnnotationNoticeLog, MemoryNoticeLog } from './notice-log.js';
import { gitlabIssueNotifier, slackNotifier, webhookNotifier } from './notifiers.js';

/** The notifiers `config.notifications` names, in order. */
export async function buildNotifiers(
  config: Config,
  connections: Connections,
): Promise<Notifier[]> {
  return Promise.all(
    config.notifications.notifiers.map(async (spec, i): Promise<Notifier> => {
      const where = `notifications.notifiers[${i}]`;
      if (spec.type === 'slack')
        return slackNotifier(
          await connections.resolve(spec.url, `${where}.url`),
          connections.fetch,
        );
      if (spec.type === 'webhook')
        return webhookNotifier(
          await connections.resolve(spec.url, `${where}.url`),
          connections.fetch,
        );
      const { client } = await connections.gitlab(spec.connection ?? '');
      return gitlabIssueNotifier(client, spec.project);
    }),
  );
}

/**
 * The notice log of a configured credential: on its primary store. A name that is not a
 * credential (a watcher) gets `fallback`, which remembers per function instance.
 */
export async function noticeLogFor(
  name: string,
  config: Config,
  connections: Connections,
  fallback: NoticeLog = new MemoryNoticeLog(),
): Promise<NoticeLog> {
  const credential = config.credentials.find((c) => c.name === name);
  const store = credential?.stores[0];
  if (!store) return fallback;
  if (store.type === 'aws-secrets-manager')
    return new AwsTagNoticeLog(await connections.aws(store.connection), store.secretId);
  const { client, project } = await connections.gcp(store.connection);
  return new GcpAnnotationNoticeLog(client, project, store.secret);
}
