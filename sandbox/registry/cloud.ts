/**
 * The sandbox's cloud side for registry credentials: a minimal ECR control plane, a
 * minimal Google IAM (keys + OAuth token endpoint), and a second real `docker-registry`
 * standing in for `<account>.dkr.ecr.<region>.amazonaws.com` and `<region>-docker.pkg.dev`.
 * Its token realm (`/v2/token`, like Artifact Registry's) accepts exactly what those
 * registries accept: `AWS:<ECR authorization token>`, `oauth2accesstoken:<access token>`
 * and `_json_key:<key file>`. Real ECR challenges with Basic auth, not a token realm;
 * the sandbox uses one registry for both, so ECR credentials go through the Bearer flow.
 */
import { createEcrEmulator, type EcrEmulator } from '../aws/ecr/index.js';
import { createIamEmulator, type IamEmulator } from '../gcp/iam/index.js';
import { listen, Router, type RunningServer } from '../http.js';
import { createRegistryAuthority } from './authority.js';
import { RegistryUnavailableError, type RunningRegistry, startRegistry } from './process.js';
import { type RegistryAuthorize, registryTokenHandler } from './token-endpoint.js';

export interface CloudServicesOptions {
  region: string;
  now?: () => Date;
  /** Default /usr/bin/docker-registry. */
  binary?: string;
}

export interface CloudEndpoints {
  /** For an `aws` connection of the ECR source: its own endpoint, as ECR has. */
  ecr: { endpoint: string; region: string };
  /** `iamUrl` of an Artifact Registry source; key files name `${url}/token`. */
  iam: { url: string };
  registry: { url: string; host: string } | { unavailable: string };
}

export interface CloudServices {
  ecr: EcrEmulator;
  iam: IamEmulator;
  /** Undefined when docker-registry is not installed (see `endpoints.registry`). */
  registry: RunningRegistry | undefined;
  endpoints: CloudEndpoints;
  /**
   * A plain username and password the registry accepts (pull and push), as a registry
   * with its own user database would; undefined removes the user.
   */
  setUser(username: string, password: string | undefined): void;
  close(): Promise<void>;
}

/** Starts the ECR and IAM emulators and the second registry, each on a loopback port. */
export async function startCloudServices(opts: CloudServicesOptions): Promise<CloudServices> {
  const ecr = createEcrEmulator({ region: opts.region, ...(opts.now ? { now: opts.now } : {}) });
  const iam = createIamEmulator(opts.now ? { now: opts.now } : {});
  const servers: RunningServer[] = [];
  const ecrServer = await listen(ecr.router.listener);
  servers.push(ecrServer);
  const iamServer = await listen(iam.router.listener);
  servers.push(iamServer);
  iam.setBaseUrl(iamServer.url);

  const users = new Map<string, string>();
  const authorize: RegistryAuthorize = (username, password, _repository, actions) => {
    if (users.has(username))
      return users.get(username) === password
        ? { ok: true, subject: username, granted: actions }
        : { ok: false };
    if (ecr.accepts(username, password)) return { ok: true, subject: 'AWS', granted: actions };
    const account = iam.registryLogin(username, password);
    if (!account) return { ok: false };
    if (!account.registryAccess) return { ok: false, reason: 'no_registry_scope' };
    return { ok: true, subject: account.email, granted: actions };
  };
  const authority = await createRegistryAuthority({
    issuer: 'sandbox-cloud-registry',
    service: 'cloud-registry',
  });
  const realm = new Router();
  realm.on('GET', '/v2/token', 'cloud.registryToken', registryTokenHandler(authority, authorize));
  const realmServer = await listen(realm.listener);
  servers.push(realmServer);

  let registry: RunningRegistry | undefined;
  let unavailable = '';
  try {
    registry = await startRegistry({
      realm: `${realmServer.url}/v2/token`,
      authority,
      ...(opts.binary ? { binary: opts.binary } : {}),
    });
    ecr.setProxyEndpoint(registry.url);
  } catch (err) {
    if (!(err instanceof RegistryUnavailableError)) throw err;
    unavailable = err.message;
  }
  return {
    ecr,
    iam,
    registry,
    endpoints: {
      ecr: { endpoint: ecrServer.url, region: opts.region },
      iam: { url: iamServer.url },
      registry: registry ? { url: registry.url, host: registry.host } : { unavailable },
    },
    setUser(username, password) {
      if (password === undefined) users.delete(username);
      else users.set(username, password);
    },
    async close() {
      await Promise.allSettled([registry?.stop(), ...servers.map((s) => s.close())]);
    },
  };
}
