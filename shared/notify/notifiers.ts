/**
 * The three notifiers: a Slack-compatible incoming webhook (`{"text": ...}`, which Slack,
 * Mattermost, Rocket.Chat and Teams workflows accept), a generic JSON webhook (the notice
 * itself), and a GitLab issue in a named project. Incoming-webhook URLs are credentials
 * (anyone holding one can post), so errors name the notifier's type, never its URL.
 *
 * https://api.slack.com/messaging/webhooks
 * https://docs.gitlab.com/api/issues/#new-issue
 */
import { ProviderError } from '../errors.js';
import type { Fetch } from '../http/policy-fetch.js';
import type { GitLabClient } from '../sources/gitlab/client.js';
import type { Notice, Notifier } from './notice.js';

function headline(n: Notice): string {
  if (n.kind === 'rotation-failed') return `credrot: rotation of ${n.credential} failed`;
  if (n.kind === 'discovery-failed') return `credrot: discovery ${n.credential} failed`;
  return `credrot: ${n.credential} is about to expire and credrot cannot rotate it`;
}

async function post(fetch: Fetch, url: string, body: unknown, label: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok)
    throw new ProviderError(
      `${label} answered ${res.status}; check its URL and that it is enabled`,
      {
        status: res.status,
      },
    );
}

export function slackNotifier(url: string, fetch: Fetch): Notifier {
  return {
    label: 'slack webhook',
    send: (n) =>
      post(fetch, url, { text: `*${headline(n)}*\n${n.summary}\n${n.detail}` }, 'slack webhook'),
  };
}

export function webhookNotifier(url: string, fetch: Fetch): Notifier {
  return {
    label: 'json webhook',
    send: (n) => post(fetch, url, { source: 'credrot', ...n }, 'json webhook'),
  };
}

export function gitlabIssueNotifier(client: GitLabClient, project: string | number): Notifier {
  return {
    label: `gitlab issue in ${project}`,
    async send(n) {
      await client.Issues.create(project, headline(n), {
        description: `${n.summary}\n\n${n.detail}\n\n_Posted by credrot at ${n.at}. credrot sends at most one notice per credential per day._`,
      });
    },
  };
}
