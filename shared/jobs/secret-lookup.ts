/**
 * Which configured credential a cloud secret belongs to, for the native rotation triggers:
 * Secrets Manager names the secret by ARN, GCP's SECRET_ROTATE names it
 * `projects/<project>/secrets/<id>`. Only a secret that is one of a credential's configured
 * stores maps to a credential; any other secret is refused.
 */
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Connections } from '../config/connections.js';
import type { Config, ResolvedCredential } from '../config/load.js';

export interface AwsSecretMatch {
  credential: ResolvedCredential;
  /** The SDK client of the store's connection. */
  client: SecretsManagerClient;
}

/**
 * The credential with an aws-secrets-manager store that is `secretId` (a name or an ARN).
 * The secret is described once per AWS connection, so a configuration naming the secret
 * by name matches an event naming it by ARN.
 */
export async function credentialForAwsSecret(
  config: Config,
  connections: Connections,
  secretId: string,
): Promise<AwsSecretMatch | undefined> {
  const described = new Map<string, Promise<Set<string>>>();
  const namesVia = (connection: string) => {
    let hit = described.get(connection);
    if (!hit) {
      hit = (async () => {
        const client = await connections.aws(connection);
        const out = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
        return new Set([out.ARN, out.Name, secretId].filter((x): x is string => !!x));
      })().catch(() => new Set([secretId]));
      described.set(connection, hit);
    }
    return hit;
  };
  for (const credential of config.credentials) {
    for (const store of credential.stores) {
      if (store.type !== 'aws-secrets-manager') continue;
      if (store.secretId === secretId || (await namesVia(store.connection)).has(store.secretId))
        return { credential, client: await connections.aws(store.connection) };
    }
  }
  return undefined;
}

/**
 * The credential with a gcp-secret-manager store named by `resource`
 * (`projects/<id or number>/secrets/<secret>`). A project number cannot be turned into an
 * id without another API, so a numbered name matches on the secret id alone, and only
 * when exactly one configured store has that id.
 */
export function credentialForGcpSecret(
  config: Config,
  resource: string,
): ResolvedCredential | undefined {
  const m = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(resource);
  if (!m) return undefined;
  const [, project, secret] = m as unknown as [string, string, string];
  const candidates = config.credentials.filter((c) =>
    c.stores.some((s) => {
      if (s.type !== 'gcp-secret-manager' || s.secret !== secret) return false;
      const configured = config.connections.gcp[s.connection]?.project;
      return /^\d+$/.test(project) || configured === project;
    }),
  );
  return candidates.length === 1 ? candidates[0] : undefined;
}
