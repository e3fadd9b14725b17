/**
 * A store's own metadata for `credrot check`: what the service itself schedules for the
 * secret, independent of credrot's labels. Read-only; errors become credrot's own.
 *
 * - AWS: `DescribeSecret` (RotationEnabled, RotationRules, NextRotationDate, ...)
 *   https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
 * - GCP: `GetSecret` (expire_time, rotation.next_rotation_time, rotation.rotation_period)
 *   https://cloud.google.com/secret-manager/docs/reference/rpc/google.cloud.secretmanager.v1#getsecretrequest
 */
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { Connections } from '../config/connections.js';
import { isAwsError, translateAwsError } from '../stores/aws-secrets-manager/errors.js';
import { hasCode, Status, translateGcpError } from '../stores/gcp-secret-manager/errors.js';
import type { StoreSpec } from './credentials.js';

/**
 * Reads a store's metadata through the configured connections; undefined when the
 * secret does not exist.
 *
 * @param timeoutMs per GCP call (AWS calls are bounded by the SDK's own retry strategy)
 */
export function storeMetadataReader(
  connections: Connections,
  timeoutMs: number,
): (store: StoreSpec) => Promise<unknown> {
  return async (store) => {
    if (store.type === 'aws-secrets-manager') {
      const client = await connections.aws(store.connection);
      try {
        return await client.send(new DescribeSecretCommand({ SecretId: store.secretId }));
      } catch (error) {
        if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
        throw translateAwsError(error, 'DescribeSecret', store.secretId);
      }
    }
    const { client, project } = await connections.gcp(store.connection);
    const name = `projects/${project}/secrets/${store.secret}`;
    try {
      const [secret] = await client.getSecret({ name }, { timeout: timeoutMs });
      return secret;
    } catch (error) {
      if (hasCode(error, Status.NOT_FOUND)) return undefined;
      throw translateGcpError(error, 'GetSecret', name);
    }
  };
}
