/**
 * The GitLab webhook: authenticate, bound, parse, de-duplicate, authorize, enqueue, answer
 * 202, all well inside GitLab's 10-second timeout (GitLab disables a hook after four
 * consecutive failures). The only GitLab API calls in this path are the comment command's
 * role lookup and its note.
 *
 * - 413 above the configured body size (checked before parsing), 401 for a missing or
 *   wrong `X-Gitlab-Token` (the previous secret is accepted while the hook's secret is
 *   rotated), 400 for a body that is not a JSON object.
 * - `Resource Access Token Hook` / `expiring_access_token` and `Resource Deploy Token Hook`
 *   / `expiring_deploy_token`: a job per matching configured credential.
 * - `Note Hook` (and an issue or MR opened with the command as its description): the
 *   `/credrot rotate <name>` command (gitlab-command.ts).
 * - Anything else: 202 with nothing enqueued.
 * - A delivery whose `Idempotency-Key` or `X-Gitlab-Event-UUID` was seen: 202, nothing more.
 *
 * https://docs.gitlab.com/user/project/integrations/webhooks/
 * https://docs.gitlab.com/user/project/integrations/webhook_events/
 */
import type { Config } from '../config/load.js';
import { dedupeKey, type JobQueue, makeJob } from '../jobs/job.js';
import type { Log } from '../metrics/log.js';
import { safeMessage } from '../rotation/engine.js';
import type { GitLabClient } from '../sources/gitlab/client.js';
import type { DedupeStore } from './dedupe.js';
import { credentialsForTokenEvent } from './gitlab-authorize.js';
import { commandFrom, runCommand } from './gitlab-command.js';
import {
  answer,
  parseObject,
  tooLarge,
  type WebhookRequest,
  type WebhookResponse,
} from './http.js';
import { sharedSecretMatches } from './shared-secret.js';

/** How long a delivery id is remembered: GitLab retries and resends within hours. */
const DELIVERY_TTL_MS = 24 * 3_600_000;

export interface GitLabWebhookDeps {
  config: Config;
  /** The hook's secret token, and the previous one while it is being rotated. */
  secrets: readonly string[];
  maxBodyBytes: number;
  queue: JobQueue;
  dedupe: DedupeStore;
  now: () => Date;
  log: Log;
  gitlab(connection: string): Promise<GitLabClient>;
}

const TOKEN_EVENTS: Record<string, { eventName: string; kind: 'access-token' | 'deploy-token' }> = {
  'Resource Access Token Hook': { eventName: 'expiring_access_token', kind: 'access-token' },
  'Resource Deploy Token Hook': { eventName: 'expiring_deploy_token', kind: 'deploy-token' },
};

/** Handles one GitLab webhook delivery. Never throws. */
export async function handleGitLabWebhook(
  req: WebhookRequest,
  deps: GitLabWebhookDeps,
): Promise<WebhookResponse> {
  const big = tooLarge(req, deps.maxBodyBytes);
  if (big) return big;
  if (!sharedSecretMatches(req.headers['x-gitlab-token'], deps.secrets))
    return answer(401, 'missing or wrong X-Gitlab-Token');
  const payload = parseObject(req.body);
  if (!payload) return answer(400, 'the body is not a JSON object');
  const event = req.headers['x-gitlab-event'] ?? '';
  const eventUuid = req.headers['x-gitlab-event-uuid'];
  const idempotencyKey = req.headers['idempotency-key'];
  const fields = { event, eventUuid, idempotencyKey };

  const tokenEvent = TOKEN_EVENTS[event];
  const command = tokenEvent ? undefined : commandFrom(event, payload);
  if (!tokenEvent && !command) {
    deps.log.info('gitlab event ignored', fields);
    return answer(202, 'ignored: not an event credrot acts on');
  }
  if (tokenEvent && payload['event_name'] !== tokenEvent.eventName) {
    deps.log.info('gitlab token event ignored', { ...fields, eventName: payload['event_name'] });
    return answer(202, 'ignored: not an expiring-token event');
  }

  const keys = [
    ...(idempotencyKey ? [`gitlab-delivery:${idempotencyKey}`] : []),
    ...(eventUuid ? [`gitlab-event:${eventUuid}`] : []),
  ];
  if (keys.length > 0 && !(await deps.dedupe.claim(keys, DELIVERY_TTL_MS, deps.now()))) {
    deps.log.info('gitlab delivery already handled', fields);
    return answer(202, 'duplicate delivery', { duplicate: true });
  }

  try {
    if (command) {
      const res = await runCommand(command, deps);
      if (res.status >= 500) await deps.dedupe.release(keys);
      return res;
    }
    const matched = credentialsForTokenEvent(deps.config.credentials, tokenEvent!.kind, payload);
    if (matched.length === 0) {
      deps.log.warn('gitlab token event for no configured credential', fields);
      return answer(202, 'ignored: the token is not a credential credrot manages here');
    }
    const now = deps.now();
    const origin = eventUuid ?? idempotencyKey ?? req.body;
    await deps.queue.enqueue(
      matched.map((c) =>
        makeJob({
          credential: c.name,
          trigger: 'webhook',
          reason: 'expiry',
          dedupeKey: dedupeKey('gitlab', origin, c.name),
          now,
        }),
      ),
    );
    const queued = matched.map((c) => c.name);
    deps.log.info('gitlab token event queued rotations', { ...fields, queued });
    return answer(202, 'queued', { queued });
  } catch (err) {
    await deps.dedupe.release(keys);
    deps.log.error('gitlab delivery failed', { ...fields, error: safeMessage(err) });
    return answer(503, 'could not queue the rotation; GitLab will retry the delivery');
  }
}
