/**
 * The deployed configuration, read once per cold start: `CREDROT_CONFIG` names a file
 * bundled with (or mounted into) the function; otherwise `CREDROT_CONFIG_SECRET` names a
 * secret holding the YAML: an AWS Secrets Manager id on AWS, a GCP Secret Manager secret
 * (`projects/p/secrets/s[/versions/v]`, or a bare id in `GOOGLE_CLOUD_PROJECT`) on GCP.
 * This is the edge: the only place the environment is read. Each cloud's SDK is loaded
 * only on the platform that reads from it (and not at all for a bundled file).
 */
import { type Config, loadConfig, parseConfig } from '../../shared/config/load.js';
import { ConfigError } from '../../shared/errors.js';
import { cjsExports } from '../../shared/util/cjs.js';

export type Platform = 'aws' | 'gcp';
export type Env = Readonly<Record<string, string | undefined>>;

export async function loadDeployedConfig(platform: Platform, env: Env): Promise<Config> {
  const file = env['CREDROT_CONFIG'];
  if (file) return loadConfig(file);
  const secret = env['CREDROT_CONFIG_SECRET'];
  if (!secret)
    throw new ConfigError(
      'no configuration: set CREDROT_CONFIG to a bundled credrot.config.yaml or CREDROT_CONFIG_SECRET to the secret holding it',
    );
  const text = platform === 'aws' ? await fromAws(secret) : await fromGcp(secret, env);
  // Relative watcher paths are taken from the function's working directory.
  return parseConfig(text, `${process.cwd()}/credrot.config.yaml`);
}

async function fromAws(secretId: string): Promise<string> {
  // The default credential chain and region of the Lambda; AWS_ENDPOINT_URL_SECRETS_MANAGER
  // points it elsewhere (serverless-offline against the sandbox).
  const { GetSecretValueCommand, SecretsManagerClient } = await import(
    '@aws-sdk/client-secrets-manager'
  );
  const out = await new SecretsManagerClient({}).send(
    new GetSecretValueCommand({ SecretId: secretId }),
  );
  if (!out.SecretString)
    throw new ConfigError(`configuration secret ${secretId} has no SecretString (YAML expected)`);
  return out.SecretString;
}

async function fromGcp(secret: string, env: Env): Promise<string> {
  let name = secret;
  if (!secret.startsWith('projects/')) {
    const project = env['GOOGLE_CLOUD_PROJECT'] ?? env['GCP_PROJECT'];
    if (!project)
      throw new ConfigError(
        `CREDROT_CONFIG_SECRET=${secret} is a bare secret id: set GOOGLE_CLOUD_PROJECT or give projects/<p>/secrets/<s>`,
      );
    name = `projects/${project}/secrets/${secret}`;
  }
  if (!/\/versions\/[^/]+$/.test(name)) name = `${name}/versions/latest`;
  const { SecretManagerServiceClient } = cjsExports(await import('@google-cloud/secret-manager'));
  const [version] = await new SecretManagerServiceClient().accessSecretVersion({ name });
  return Buffer.from(version.payload?.data ?? '').toString('utf8');
}
