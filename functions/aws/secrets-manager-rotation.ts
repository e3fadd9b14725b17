/**
 * Secrets Manager rotation event `{SecretId, ClientRequestToken, Step}` → one step of the
 * four-step contract for the credential whose store is that secret. Throws on failure:
 * Secrets Manager records the failed step and retries the rotation.
 */
import { ConfigError } from '../../shared/errors.js';
import { credentialForAwsSecret } from '../../shared/jobs/secret-lookup.js';
import {
  runRotationStep,
  type SecretsManagerRotationEvent,
  type StepResult,
} from '../../shared/jobs/secrets-manager-rotation.js';
import { assembleTarget } from '../../shared/rotation/assemble.js';
import { runtime } from '../lib/runtime.js';

export async function handler(
  event: SecretsManagerRotationEvent,
): Promise<{ step: string; result: StepResult }> {
  const rt = await runtime('aws', 'secretsManagerRotation');
  const match = await credentialForAwsSecret(rt.config, rt.connections, event.SecretId);
  if (!match)
    throw new ConfigError(
      `secret ${event.SecretId} is not the store of any configured credential: credrot rotates only the secrets its configuration names`,
    );
  const result = await runRotationStep(event, {
    target: await assembleTarget(match.credential, rt.connections),
    client: match.client,
    holder: rt.holder,
    now: rt.now,
    log: rt.log,
  });
  rt.log.info('rotation step finished', {
    credential: match.credential.name,
    step: event.Step,
    token: event.ClientRequestToken,
    result,
  });
  return { step: event.Step, result };
}
