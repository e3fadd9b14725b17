/**
 * The production SDK clients pointed at a running sandbox: what tests, the demo world and
 * a person's own scripts use to look at the stores the way credrot does.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { gcpClientOptions } from '../shared/config/gcp-client-options.js';
import type { SandboxEndpoints } from './index.js';

/** The sandbox's AWS region and fake static credentials, for any AWS SDK client. */
export function awsClientConfig(endpoints: Pick<SandboxEndpoints, 'aws'>) {
  return {
    region: endpoints.aws.region,
    credentials: {
      accessKeyId: endpoints.aws.accessKeyId,
      secretAccessKey: endpoints.aws.secretAccessKey,
    },
  };
}

export function sandboxSecretsManager(
  endpoints: Pick<SandboxEndpoints, 'aws'>,
): SecretsManagerClient {
  return new SecretsManagerClient({
    ...awsClientConfig(endpoints),
    endpoint: endpoints.aws.endpoint,
  });
}

export function sandboxSecretManager(
  endpoints: Pick<SandboxEndpoints, 'gcp'>,
): SecretManagerServiceClient {
  return new SecretManagerServiceClient(gcpClientOptions(endpoints.gcp.endpoint));
}
