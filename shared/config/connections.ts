/**
 * Clients for the configured connections, built once at the edge. A connection's own
 * credential is resolved from its reference (an environment variable, or a secret in AWS
 * or GCP) the first time it is needed; the environment is a parameter, never read here
 * from `process.env` (STYLE.md habit 5).
 *
 * Every SDK is loaded on demand (`import()` where its client is first built), never at
 * module load: a function that only verifies a webhook and enqueues a job must not pay
 * at cold start for gitbeaker, Octokit, google-gax or a client it never builds. In a
 * split bundle each of them is a chunk loaded the first time it is needed (issue 8).
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import type {
  SecretsManagerClient,
  SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import type { Octokit } from '@octokit/rest';
import { ConfigError } from '../errors.js';
import { createPolicyFetch, type Fetch } from '../http/policy-fetch.js';
import type { GitLabClient } from '../sources/gitlab/client.js';
import { cjsExports } from '../util/cjs.js';
import type { Config } from './load.js';
import type { SecretRef } from './schema.js';

export interface ConnectionOptions {
  /** The environment secret references of the form { env: NAME } are read from. */
  env: Record<string, string | undefined>;
  fetch?: Fetch;
  /**
   * Per AWS request (connect, then answer), ms. The SDK's default is none, so a hung
   * endpoint hangs the caller; `credrot check` sets it.
   */
  awsRequestTimeoutMs?: number;
}

export class Connections {
  private readonly cache = new Map<string, Promise<unknown>>();
  readonly fetch: Fetch;

  constructor(
    readonly config: Config,
    private readonly options: ConnectionOptions,
  ) {
    this.fetch = options.fetch ?? createPolicyFetch();
  }

  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let hit = this.cache.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = make();
      this.cache.set(key, hit);
      hit.catch(() => this.cache.delete(key));
    }
    return hit;
  }

  private spec<K extends keyof Config['connections']>(
    type: K,
    name: string,
  ): Config['connections'][K][string] {
    const found = this.config.connections[type][name];
    if (!found)
      throw new ConfigError(`connections.${type}.${name} is not defined`, [
        `connections.${type}.${name}: is not defined`,
      ]);
    return found as Config['connections'][K][string];
  }

  /** Resolves a secret reference to its value. The value is never logged or shown. */
  async resolve(ref: SecretRef, where: string): Promise<string> {
    if ('env' in ref) {
      const value = this.options.env[ref.env];
      if (!value)
        throw new ConfigError(`${where}: environment variable ${ref.env} is not set`, [
          `${where}: environment variable ${ref.env} is not set; export it or change the reference`,
        ]);
      return value;
    }
    let raw: string;
    if ('aws' in ref) {
      const name = ref.aws.connection ?? Object.keys(this.config.connections.aws)[0];
      if (!name)
        throw new ConfigError(`${where}: needs an aws connection`, [
          `${where}: refers to AWS Secrets Manager but connections.aws is empty`,
        ]);
      const [client, { GetSecretValueCommand }] = await Promise.all([
        this.aws(name),
        import('@aws-sdk/client-secrets-manager'),
      ]);
      const out = await client.send(new GetSecretValueCommand({ SecretId: ref.aws.secretId }));
      raw = out.SecretString ?? '';
      return pickField(raw, ref.aws.field, where);
    }
    const name = ref.gcp.connection ?? Object.keys(this.config.connections.gcp)[0];
    if (!name)
      throw new ConfigError(`${where}: needs a gcp connection`, [
        `${where}: refers to GCP Secret Manager but connections.gcp is empty`,
      ]);
    const { client, project } = await this.gcp(name);
    const [version] = await client.accessSecretVersion({
      name: `projects/${project}/secrets/${ref.gcp.secret}/versions/${ref.gcp.version}`,
    });
    raw = Buffer.from(version.payload?.data ?? '').toString('utf8');
    return pickField(raw, ref.gcp.field, where);
  }

  gitlab(name: string): Promise<{ url: string; client: GitLabClient }> {
    return this.once(`gitlab:${name}`, async () => {
      const spec = this.spec('gitlab', name);
      const [token, { createGitLabClient }] = await Promise.all([
        this.resolve(spec.token, `connections.gitlab.${name}.token`),
        import('../sources/gitlab/client.js'),
      ]);
      return {
        url: spec.url.replace(/\/$/, ''),
        client: createGitLabClient({ url: spec.url, token, fetch: this.fetch }),
      };
    });
  }

  /**
   * A GitLab client for an arbitrary token on a connection's instance (self-rotation).
   * Async since gitbeaker is loaded on demand; the function it answers builds at once.
   */
  async gitlabClientFor(url: string): Promise<(token: string) => GitLabClient> {
    const { createGitLabClient } = await import('../sources/gitlab/client.js');
    return (token) => createGitLabClient({ url, token, fetch: this.fetch });
  }

  github(name: string): Promise<Octokit> {
    return this.once(`github:${name}`, async () => {
      const spec = this.spec('github', name);
      const [token, { Octokit }] = await Promise.all([
        this.resolve(spec.token, `connections.github.${name}.token`),
        import('@octokit/rest'),
      ]);
      return new Octokit({
        auth: token,
        baseUrl: spec.apiUrl.replace(/\/$/, ''),
        request: { fetch: this.fetch },
      });
    });
  }

  /** An ECR client on the same AWS connection (region, endpoint and credentials). */
  ecr(name: string): Promise<ECRClient> {
    return this.once(`ecr:${name}`, async () => {
      const [config, { ECRClient }] = await Promise.all([
        this.awsConfig(name),
        import('@aws-sdk/client-ecr'),
      ]);
      return new ECRClient(config);
    });
  }

  aws(name: string): Promise<SecretsManagerClient> {
    return this.once(`aws:${name}`, async () => {
      const [config, { SecretsManagerClient }] = await Promise.all([
        this.awsConfig(name),
        import('@aws-sdk/client-secrets-manager'),
      ]);
      return new SecretsManagerClient(config);
    });
  }

  /** Client settings of an AWS connection; every AWS SDK client takes the same. */
  private async awsConfig(name: string): Promise<SecretsManagerClientConfig> {
    const spec = this.spec('aws', name);
    const config: SecretsManagerClientConfig = { region: spec.region };
    if (spec.endpoint) config.endpoint = spec.endpoint;
    const timeout = this.options.awsRequestTimeoutMs;
    if (timeout !== undefined) {
      // Without throwOnRequestTimeout the SDK only logs a warning and keeps waiting.
      config.requestHandler = {
        connectionTimeout: timeout,
        requestTimeout: timeout,
        throwOnRequestTimeout: true,
      };
    }
    if (spec.accessKeyId && spec.secretAccessKey) {
      config.credentials = {
        accessKeyId: await this.resolve(spec.accessKeyId, `connections.aws.${name}.accessKeyId`),
        secretAccessKey: await this.resolve(
          spec.secretAccessKey,
          `connections.aws.${name}.secretAccessKey`,
        ),
      };
    }
    return config;
  }

  gcp(name: string): Promise<{ client: SecretManagerServiceClient; project: string }> {
    return this.once(`gcp:${name}`, async () => {
      const spec = this.spec('gcp', name);
      const [sdk, { gcpClientOptions }] = await Promise.all([
        import('@google-cloud/secret-manager'),
        import('./gcp-client-options.js'),
      ]);
      const { SecretManagerServiceClient } = cjsExports(sdk);
      return {
        client: new SecretManagerServiceClient(gcpClientOptions(spec.endpoint)),
        project: spec.project,
      };
    });
  }
}

function pickField(raw: string, field: string | undefined, where: string): string {
  if (field === undefined) return raw;
  try {
    const value = (JSON.parse(raw) as Record<string, unknown>)[field];
    if (typeof value === 'string' && value) return value;
  } catch {
    // fall through to the error below, which never quotes the secret
  }
  throw new ConfigError(`${where}: the referenced secret has no string field "${field}"`, [
    `${where}: the referenced secret has no string field "${field}"`,
  ]);
}
