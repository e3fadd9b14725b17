/**
 * The GCP entry points (Cloud Functions gen2, @google-cloud/functions-framework):
 * `gitlabWebhook` and `githubWebhook` (HTTP), `scheduledScan` and `rotationWorker`
 * (CloudEvents from Pub/Sub: Cloud Scheduler publishes the scan tick, the scan publishes
 * jobs), and `secretRotate` (Secret Manager's SECRET_ROTATE notifications). Each adapts
 * its event to the same core the AWS functions call. A thrown error from a CloudEvent
 * function makes Pub/Sub redeliver the message (retry on failure is set in infra/).
 *
 * https://cloud.google.com/functions/docs/writing/write-event-driven-functions
 *
 * Every deployed function loads this one module, so each target loads its own core with
 * `import()` on its first event: a webhook instance never loads the worker's providers,
 * nor the worker the webhooks' (issue 8: cold start).
 */
import * as ff from '@google-cloud/functions-framework';
import {
  lowerCaseHeaders,
  type WebhookRequest,
  type WebhookResponse,
} from '../../shared/webhooks/http.js';
import { runtime } from '../lib/runtime.js';

/** The `data` of a Pub/Sub CloudEvent (`google.cloud.pubsub.topic.v1.messagePublished`). */
export interface PubSubEventData {
  message?: {
    data?: string;
    attributes?: Record<string, string>;
    messageId?: string;
    publishTime?: string;
  };
  subscription?: string;
}

function toWebhookRequest(req: ff.Request): WebhookRequest {
  const body = req.rawBody ? req.rawBody.toString('utf8') : '';
  return { headers: lowerCaseHeaders(req.headers), body };
}

function send(res: ff.Response, out: WebhookResponse): void {
  res.status(out.status).json(out.body);
}

export async function gitlabWebhook(req: ff.Request, res: ff.Response): Promise<void> {
  const [rt, { handleGitLabWebhook }] = await Promise.all([
    runtime('gcp', 'gitlabWebhook'),
    import('../../shared/webhooks/gitlab.js'),
  ]);
  send(res, await handleGitLabWebhook(toWebhookRequest(req), await rt.gitlabWebhook()));
}

export async function githubWebhook(req: ff.Request, res: ff.Response): Promise<void> {
  const [rt, { handleGitHubWebhook }] = await Promise.all([
    runtime('gcp', 'githubWebhook'),
    import('../../shared/webhooks/github.js'),
  ]);
  send(res, await handleGitHubWebhook(toWebhookRequest(req), await rt.githubWebhook()));
}

export async function scheduledScanEvent(_event: ff.CloudEvent<unknown>): Promise<void> {
  const [rt, { scheduledScan }] = await Promise.all([
    runtime('gcp', 'scheduledScan'),
    import('../../shared/jobs/scheduled.js'),
  ]);
  await scheduledScan(await rt.scheduledScan());
}

export async function rotationWorkerEvent(event: ff.CloudEvent<PubSubEventData>): Promise<void> {
  const [rt, { runJob }] = await Promise.all([
    runtime('gcp', 'rotationWorker'),
    import('../../shared/jobs/worker.js'),
  ]);
  const body = Buffer.from(event.data?.message?.data ?? '', 'base64').toString('utf8');
  const result = await runJob(body, await rt.worker());
  // Throwing makes Pub/Sub redeliver; a dropped or finished job is acknowledged.
  if (result.disposition === 'retry')
    throw new Error(`rotation of ${result.job?.credential} failed; Pub/Sub redelivers the job`);
}

export async function secretRotateEvent(event: ff.CloudEvent<PubSubEventData>): Promise<void> {
  const [rt, { jobForSecretEvent }] = await Promise.all([
    runtime('gcp', 'secretRotate'),
    import('../../shared/jobs/gcp-secret-rotate.js'),
  ]);
  const message = event.data?.message ?? {};
  const decision = jobForSecretEvent(rt.config, message, rt.now());
  if (decision.action === 'ignore') {
    rt.log.info('secret notification ignored', { why: decision.why });
    return;
  }
  await (await rt.queue()).enqueue([decision.job]);
  rt.log.info('secret rotation notification queued a job', {
    credential: decision.job.credential,
    secretId: message.attributes?.['secretId'],
  });
}

ff.http('gitlabWebhook', gitlabWebhook);
ff.http('githubWebhook', githubWebhook);
ff.cloudEvent('scheduledScan', scheduledScanEvent);
ff.cloudEvent('rotationWorker', rotationWorkerEvent);
ff.cloudEvent('secretRotate', secretRotateEvent);
