/**
 * The GitHub webhook: `X-Hub-Signature-256` verified with @octokit/webhooks-methods
 * (`verifyWithFallback` accepts the previous secret while the hook's secret is rotated),
 * `ping` answered 200, and `secret_scanning_alert` (`created`, `reopened`) checked against
 * the values credrot manages: the alert's secret is read from the REST API (the payload
 * never carries it), hashed, and compared with the current and previous value of every
 * credential. A match queues an emergency rotation with reason `leak`, which retires the
 * leaked value at once. The secret itself is never logged, queued or answered.
 *
 * https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
 * https://docs.github.com/webhooks/webhook-events-and-payloads#secret_scanning_alert
 * https://docs.github.com/rest/secret-scanning/secret-scanning#get-a-secret-scanning-alert
 */

import type { Octokit } from '@octokit/rest';
import { verifyWithFallback } from '@octokit/webhooks-methods';
import type { Config } from '../config/load.js';
import { dedupeKey, type JobQueue, makeJob } from '../jobs/job.js';
import type { Log } from '../metrics/log.js';
import { safeMessage } from '../rotation/engine.js';
import { fingerprint } from '../util/fingerprint.js';
import type { DedupeStore } from './dedupe.js';
import {
  answer,
  parseObject,
  tooLarge,
  type WebhookRequest,
  type WebhookResponse,
} from './http.js';
import { type ManagedValue, matchLeak, sha256Hex } from './managed-values.js';

const DELIVERY_TTL_MS = 24 * 3_600_000;

export interface GitHubWebhookDeps {
  config: Config;
  /** The hook's secret first, then the previous one while it is being rotated. */
  secrets: readonly string[];
  maxBodyBytes: number;
  queue: JobQueue;
  dedupe: DedupeStore;
  now: () => Date;
  log: Log;
  /** The client that may read the repository's secret-scanning alerts. */
  github(): Promise<Octokit>;
  /** Hashes of the values credrot manages now (read from the stores). */
  managedValues(): Promise<ManagedValue[]>;
}

async function signatureValid(req: WebhookRequest, secrets: readonly string[]): Promise<boolean> {
  const signature = req.headers['x-hub-signature-256'];
  const [secret, ...previous] = secrets.filter((s) => s.length > 0);
  if (!signature || !secret) return false;
  try {
    return (await verifyWithFallback(secret, req.body, signature, previous)) === true;
  } catch {
    // A malformed signature header is a TypeError in webhooks-methods: still just "not valid".
    return false;
  }
}

/** Handles one GitHub webhook delivery. Never throws. */
export async function handleGitHubWebhook(
  req: WebhookRequest,
  deps: GitHubWebhookDeps,
): Promise<WebhookResponse> {
  const big = tooLarge(req, deps.maxBodyBytes);
  if (big) return big;
  if (!(await signatureValid(req, deps.secrets)))
    return answer(401, 'missing or wrong X-Hub-Signature-256');
  const payload = parseObject(req.body);
  if (!payload) return answer(400, 'the body is not a JSON object');
  const event = req.headers['x-github-event'] ?? '';
  const delivery = req.headers['x-github-delivery'];
  const hookId = req.headers['x-github-hook-id'];
  const fields = { event, delivery, hookId };
  if (event === 'ping') return answer(200, 'pong', { zen: payload['zen'] });
  const action = payload['action'];
  if (event !== 'secret_scanning_alert' || (action !== 'created' && action !== 'reopened')) {
    deps.log.info('github event ignored', { ...fields, action });
    return answer(202, 'ignored: not an event credrot acts on');
  }
  const repository = (payload['repository'] as Record<string, unknown> | undefined)?.['full_name'];
  const alertNumber = (payload['alert'] as Record<string, unknown> | undefined)?.['number'];
  if (
    typeof repository !== 'string' ||
    !repository.includes('/') ||
    typeof alertNumber !== 'number'
  )
    return answer(400, 'secret_scanning_alert without repository.full_name or alert.number');

  const keys = delivery ? [`github:${delivery}:${hookId ?? ''}`] : [];
  if (keys.length > 0 && !(await deps.dedupe.claim(keys, DELIVERY_TTL_MS, deps.now()))) {
    deps.log.info('github delivery already handled', fields);
    return answer(202, 'duplicate delivery', { duplicate: true });
  }
  try {
    const [owner, repo] = repository.split('/') as [string, string];
    const octokit = await deps.github();
    const { data } = await octokit.request(
      'GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}',
      { owner, repo, alert_number: alertNumber },
    );
    const secret = (data as { secret?: unknown }).secret;
    if (typeof secret !== 'string' || secret.length === 0) {
      deps.log.warn('secret-scanning alert without a readable secret', { ...fields, repository });
      return answer(202, 'ignored: the alert carries no secret this token may read');
    }
    const leaked = sha256Hex(secret);
    const matches = matchLeak(await deps.managedValues(), leaked);
    const alertFields = {
      ...fields,
      repository,
      alert: alertNumber,
      fingerprint: fingerprint(secret),
    };
    if (matches.length === 0) {
      deps.log.info('secret-scanning alert is not about a credrot-managed value', alertFields);
      return answer(202, 'ignored: not a credrot-managed value');
    }
    const now = deps.now();
    const credentials = [...new Set(matches.map((m) => m.credential))];
    await deps.queue.enqueue(
      credentials.map((credential) =>
        makeJob({
          credential,
          trigger: 'leak-alert',
          reason: 'leak',
          force: true,
          dedupeKey: dedupeKey('leak', repository, alertNumber, leaked, credential),
          leakedSha256: leaked,
          now,
        }),
      ),
    );
    deps.log.warn('leaked credrot-managed value: emergency rotation queued', {
      ...alertFields,
      queued: credentials,
      which: matches.map((m) => `${m.credential}:${m.which}`),
    });
    return answer(202, 'queued', { queued: credentials });
  } catch (err) {
    await deps.dedupe.release(keys);
    deps.log.error('github delivery failed', { ...fields, error: safeMessage(err) });
    return answer(503, 'could not handle the alert now; redeliver it');
  }
}
