/**
 * GCP Secret Manager's rotation notification: when a secret's `next_rotation_time`
 * passes, Secret Manager publishes SECRET_ROTATE (attributes `eventType`, `secretId`;
 * data = the Secret as JSON) to the secret's topics. For a secret that is a credrot
 * credential's store, that is a request to rotate it now: one job, de-duplicated on the
 * Pub/Sub message id (Pub/Sub delivers at least once).
 *
 * https://cloud.google.com/secret-manager/docs/secret-rotation
 * https://cloud.google.com/secret-manager/docs/event-notifications
 */
import type { Config } from '../config/load.js';
import { dedupeKey, makeJob, type RotationJob } from './job.js';
import { credentialForGcpSecret } from './secret-lookup.js';

export interface PubSubMessageData {
  attributes?: Record<string, string>;
  messageId?: string;
}

export type SecretRotateDecision =
  | { action: 'enqueue'; job: RotationJob }
  | { action: 'ignore'; why: string };

/** What to do with one Secret Manager notification. */
export function jobForSecretEvent(
  config: Config,
  message: PubSubMessageData,
  now: Date,
): SecretRotateDecision {
  const type = message.attributes?.['eventType'];
  const secretId = message.attributes?.['secretId'];
  if (type !== 'SECRET_ROTATE')
    return { action: 'ignore', why: `event ${type ?? '(none)'} is not SECRET_ROTATE` };
  if (!secretId) return { action: 'ignore', why: 'SECRET_ROTATE without a secretId attribute' };
  const credential = credentialForGcpSecret(config, secretId);
  if (!credential)
    return { action: 'ignore', why: `${secretId} is not the store of a configured credential` };
  return {
    action: 'enqueue',
    job: makeJob({
      credential: credential.name,
      trigger: 'gcp-rotation',
      reason: 'expiry',
      force: true,
      dedupeKey: dedupeKey('gcp-rotate', message.messageId ?? `${secretId}:${now.toISOString()}`),
      now,
    }),
  };
}
