/**
 * The sandbox: every service credrot talks to, on loopback, started in-process from a
 * test (`await startSandbox()`) or as a process (`npm run sandbox`). Credrot's own code
 * reaches it through its production SDKs with only the endpoint changed.
 */
import { createSqsEmulator, type SqsEmulator } from './aws/sqs/index.js';
import { type AwsEmulatorHandle, startAws } from './aws/start.js';
import type { FaultPlan } from './faults.js';
import { type SecretManagerEmulator, startSecretManagerEmulator } from './gcp/index.js';
import { type PubSubEmulator, startPubSubEmulator } from './gcp/pubsub/index.js';
import {
  createGitHubEmulator,
  type GitHubEmulator,
  type GitHubEmulatorOptions,
} from './github/index.js';
import {
  createGitLabEmulator,
  type GitLabEmulator,
  type GitLabEmulatorOptions,
} from './gitlab/index.js';
import { listen, type RunningServer } from './http.js';
import { type CloudServices, startCloudServices } from './registry/cloud.js';
import {
  createRegistryAuthority,
  RegistryUnavailableError,
  type RunningRegistry,
  registryTokenHandler,
  startRegistry,
} from './registry/index.js';

export interface SandboxOptions {
  /** Start Debian's docker-registry with token auth (default true). */
  registry?: boolean;
  gitlab?: GitLabEmulatorOptions;
  github?: GitHubEmulatorOptions;
  aws?: { region?: string; faults?: FaultPlan };
  gcp?: { faults?: FaultPlan };
  sqs?: { faults?: FaultPlan };
  pubsub?: { faults?: FaultPlan };
  now?: () => Date;
  /**
   * Also start the ECR and IAM emulators and a second registry that accepts their
   * credentials (sandbox/registry/cloud.ts); default false, it costs ≈0.3 s.
   */
  cloud?: boolean;
}

export interface SandboxEndpoints {
  gitlab: { url: string; adminToken: string };
  github: { apiUrl: string; adminToken: string };
  aws: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  gcp: { endpoint: string; project: string };
  /** Amazon SQS (AWS JSON 1.0); same region and credentials as `aws`. */
  sqs: { endpoint: string };
  /** Google Cloud Pub/Sub (gRPC, plaintext). */
  pubsub: { endpoint: string };
  registry: { url: string; host: string } | { unavailable: string };
}

export interface Sandbox {
  endpoints: SandboxEndpoints;
  gitlab: GitLabEmulator;
  github: GitHubEmulator;
  aws: AwsEmulatorHandle['emulator'];
  gcp: SecretManagerEmulator;
  sqs: SqsEmulator;
  /** Secret Manager's notifications are published here, to topics that exist. */
  pubsub: PubSubEmulator;
  registry: RunningRegistry | undefined;
  /** ECR, IAM and the cloud registry, when started with `cloud: true`. */
  cloud: CloudServices | undefined;
  /** Why the registry is not running, with the command that fixes it. */
  registryUnavailable: string | undefined;
  /** Throws the registry's install hint when a test needs the registry and it is missing. */
  requireRegistry(): RunningRegistry;
  close(): Promise<void>;
}

/** Fixed, obviously fake AWS credentials: the emulator checks their shape, not their value. */
const AWS_KEY = { accessKeyId: 'SANDBOXACCESSKEY', secretAccessKey: 'sandbox-secret-access-key' };
export const SANDBOX_GCP_PROJECT = 'credrot-sandbox';

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now;
  const gitlab = createGitLabEmulator({ ...(now ? { now } : {}), ...options.gitlab });
  const github = createGitHubEmulator({ ...(now ? { now } : {}), ...options.github });
  const servers: RunningServer[] = [];
  const gitlabServer = await listen(gitlab.router.listener);
  servers.push(gitlabServer);
  const githubServer = await listen(github.router.listener);
  servers.push(githubServer);
  github.baseUrl = githubServer.url;
  const region = options.aws?.region ?? 'us-east-1';
  const aws = await startAws({
    region,
    ...(now ? { now } : {}),
    ...(options.aws?.faults ? { faults: options.aws.faults } : {}),
  });
  servers.push(aws.server);
  const sqs = createSqsEmulator({
    region,
    ...(now ? { now } : {}),
    ...(options.sqs?.faults ? { faults: options.sqs.faults } : {}),
  });
  const sqsServer = await listen(sqs.router.listener);
  servers.push(sqsServer);
  const pubsub = await startPubSubEmulator({
    ...(now ? { now } : {}),
    ...(options.pubsub?.faults ? { faults: options.pubsub.faults } : {}),
  });
  const gcp = await startSecretManagerEmulator({
    ...(now ? { now } : {}),
    ...(options.gcp?.faults ? { faults: options.gcp.faults } : {}),
    // As on GCP, a secret's event notifications reach its topics' subscribers; a
    // notification for a topic that does not exist is dropped (publish answers NOT_FOUND).
    onNotification: (msg) => {
      pubsub.publish(msg.topic, {
        data: Buffer.from(msg.data, 'base64'),
        attributes: msg.attributes,
      });
    },
  });

  const admin = gitlab.createUser({ username: 'root', admin: true });
  const gitlabAdminToken = gitlab.seedToken({
    userId: admin.id,
    name: 'sandbox-admin',
    scopes: ['api', 'sudo'],
    expiresAt: farFuture(gitlab.now()),
  }).token;
  const githubAdminToken = github.seedToken({ admin: true });

  let registry: RunningRegistry | undefined;
  let registryUnavailable: string | undefined;
  if (options.registry !== false) {
    const authority = await createRegistryAuthority();
    gitlab.mountRegistryAuth(
      registryTokenHandler(authority, (u, p, repo, actions) =>
        gitlab.registryAccess(u, p, repo, actions),
      ),
    );
    try {
      registry = await startRegistry({ realm: `${gitlabServer.url}/jwt/auth`, authority });
    } catch (err) {
      if (!(err instanceof RegistryUnavailableError)) throw err;
      registryUnavailable = err.message;
    }
  } else registryUnavailable = 'the sandbox was started with registry: false';
  const cloud = options.cloud
    ? await startCloudServices({ region, ...(now ? { now } : {}) })
    : undefined;

  const endpoints: SandboxEndpoints = {
    gitlab: { url: gitlabServer.url, adminToken: gitlabAdminToken },
    github: { apiUrl: githubServer.url, adminToken: githubAdminToken },
    aws: { endpoint: aws.server.url, region, ...AWS_KEY },
    gcp: { endpoint: `127.0.0.1:${gcp.port}`, project: SANDBOX_GCP_PROJECT },
    sqs: { endpoint: sqsServer.url },
    pubsub: { endpoint: pubsub.address },
    registry: registry
      ? { url: registry.url, host: registry.host }
      : { unavailable: registryUnavailable ?? 'not started' },
  };

  let closed = false;
  return {
    endpoints,
    gitlab,
    github,
    aws: aws.emulator,
    gcp,
    sqs,
    pubsub,
    registry,
    cloud,
    registryUnavailable,
    requireRegistry() {
      if (!registry)
        throw new Error(`this test needs the container registry: ${registryUnavailable}`);
      return registry;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([
        registry?.stop(),
        cloud?.close(),
        gcp.close(),
        pubsub.close(),
        ...servers.map((s) => s.close()),
      ]);
    },
  };
}

/** A date a year from the emulator's now: the sandbox admin token outlives any test. */
function farFuture(now: Date): string {
  return new Date(now.getTime() + 360 * 86_400_000).toISOString().slice(0, 10);
}
