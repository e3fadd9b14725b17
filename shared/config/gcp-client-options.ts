/**
 * Client options for GCP Secret Manager, apart from connections.ts: it needs google-gax's
 * `grpc` at once, and connections.ts loads no SDK until a client is built.
 */
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { grpc } from 'google-gax';

type GcpClientOptions = ConstructorParameters<typeof SecretManagerServiceClient>[0];

/**
 * Client options for GCP Secret Manager. With an endpoint (a sandbox), the connection is
 * plaintext and `universeDomain` is fixed so the client never looks for Google credentials.
 */
export function gcpClientOptions(endpoint: string | undefined): GcpClientOptions {
  if (!endpoint) return {};
  const [host, port] = endpoint.split(':');
  return {
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  };
}
