/**
 * Turns one configured credential into a RotationTarget: its source, stores and sinks,
 * built on the shared connections. The only place that knows which class implements
 * which configured kind, so a new provider is one folder plus one case here.
 *
 * Each provider is loaded with `import()` when a credential first needs it: a function
 * that never assembles a target (a webhook) or whose targets use one provider loads no
 * other SDK (issue 8: cold start; see connections.ts).
 */
import type { Connections } from '../config/connections.js';
import type { ResolvedCredential } from '../config/load.js';
import { describeRef, isRegistryKind, type RegistryKind } from '../registry/config-checks.js';
import type { RegistryTarget } from '../sources/registry/common.js';
import type { RotationTarget } from './engine.js';
import type { CredentialSink, CredentialSource, SecretStore } from './types.js';

/** Scopes a new token gets when the configuration names none. */
const DEFAULT_SCOPES: Record<ResolvedCredential['kind'], string[]> = {
  'gitlab-project-access-token': ['read_api'],
  'gitlab-group-access-token': ['read_api'],
  'gitlab-personal-access-token': ['read_api'],
  'gitlab-deploy-token': ['read_registry'],
  // Registry credentials have no scopes; their permissions live at the registry.
  'registry-basic-auth': [],
  'aws-ecr': [],
  'gcp-artifact-registry': [],
};

export async function assembleTarget(
  credential: ResolvedCredential,
  connections: Connections,
): Promise<RotationTarget> {
  const [source, stores, sinks] = await Promise.all([
    buildSource(credential, connections),
    Promise.all(credential.stores.map((s) => buildStore(s, connections))),
    Promise.all(credential.sinks.map((s) => buildSink(s, connections, credential.registry))),
  ]);
  const policy: RotationTarget['policy'] = {
    lifetimeMs: credential.policy.lifetime,
    gracePeriodMs: credential.policy.gracePeriod,
  };
  const renewBefore = credential.policy.renewBefore ?? connections.config.defaults.renewBefore;
  if (renewBefore !== undefined) policy.renewBeforeMs = renewBefore;
  return {
    name: credential.name,
    source,
    stores,
    sinks,
    policy,
    ...(credential.registry ? { registry: credential.registry } : {}),
  };
}

async function buildSource(
  c: ResolvedCredential,
  connections: Connections,
): Promise<CredentialSource> {
  if (isRegistryKind(c.kind)) return buildRegistrySource(c, connections);
  const { url, client } = await connections.gitlab(c.source.connection);
  const scopes = c.policy.scopes ?? DEFAULT_SCOPES[c.kind];
  const tokenName = c.source.tokenName ?? c.name;
  if (c.kind === 'gitlab-deploy-token') {
    const { GitLabDeployTokenSource } = await import('../sources/gitlab/deploy-token.js');
    const resource =
      c.source.project !== undefined ? { project: c.source.project } : { group: c.source.group! };
    return new GitLabDeployTokenSource({
      credential: c.name,
      gitlabUrl: url,
      client,
      resource,
      tokenName,
      scopes,
      ...(c.source.username ? { username: c.source.username } : {}),
      fetch: connections.fetch,
      ...(c.registry ? { registry: registryTarget(c, connections) } : {}),
    });
  }
  const resource = c.source.project ?? c.source.group;
  const [{ GitLabAccessTokenSource }, clientFor] = await Promise.all([
    import('../sources/gitlab/access-token.js'),
    connections.gitlabClientFor(url),
  ]);
  return new GitLabAccessTokenSource({
    credential: c.name,
    kind: c.kind as Exclude<ResolvedCredential['kind'], 'gitlab-deploy-token' | RegistryKind>,
    gitlabUrl: url,
    client,
    ...(resource !== undefined ? { resource } : {}),
    tokenName,
    scopes,
    ...(c.policy.accessLevel !== undefined ? { accessLevel: c.policy.accessLevel } : {}),
    ...(c.description ? { description: c.description } : {}),
    strategy: c.policy.strategy,
    clientFor,
    fetch: connections.fetch,
  });
}

/** One case per registry kind; each kind is one folder in shared/sources/registry/. */
async function buildRegistrySource(
  c: ResolvedCredential,
  connections: Connections,
): Promise<CredentialSource> {
  const target = registryTarget(c, connections);
  const at = `credentials.${c.name}.source`;
  switch (c.kind) {
    case 'registry-basic-auth': {
      const { BasicAuthRegistrySource } = await import('../sources/registry/basic-auth/source.js');
      return new BasicAuthRegistrySource({
        credential: c.name,
        target,
        username: c.source.username ?? '',
        readPassword: () => connections.resolve(c.source.password!, `${at}.password`),
        passwordLocation: describeRef(c.source.password!),
      });
    }
    case 'aws-ecr': {
      const { EcrAuthorizationTokenSource } = await import('../sources/registry/ecr/source.js');
      return new EcrAuthorizationTokenSource({
        credential: c.name,
        client: await connections.ecr(c.source.connection),
        ...(c.source.registryId ? { registryId: c.source.registryId } : {}),
        target,
      });
    }
    default: {
      const { ArtifactRegistrySource } = await import(
        '../sources/registry/artifact-registry/source.js'
      );
      return new ArtifactRegistrySource({
        credential: c.name,
        mode: c.source.mode ?? 'access-token',
        serviceAccount: c.source.serviceAccount!,
        readKey: () => connections.resolve(c.source.key!, `${at}.key`),
        keyLocation: describeRef(c.source.key!),
        ...(c.source.iamUrl ? { iamUrl: c.source.iamUrl } : {}),
        target,
        fetch: connections.fetch,
      });
    }
  }
}

/** Where a credential is verified: its registry and, when configured, the image to pull. */
function registryTarget(c: ResolvedCredential, connections: Connections): RegistryTarget {
  return {
    registry: c.registry ?? '',
    ...(c.verify?.repository ? { repository: c.verify.repository } : {}),
    ...(c.verify?.reference ? { reference: c.verify.reference } : {}),
    ...(c.verify?.push ? { push: true } : {}),
    fetch: connections.fetch,
  };
}

async function buildStore(
  s: ResolvedCredential['stores'][number],
  connections: Connections,
): Promise<SecretStore> {
  if (s.type === 'aws-secrets-manager') {
    const { AwsSecretsManagerStore } = await import('../stores/aws-secrets-manager/store.js');
    return new AwsSecretsManagerStore({
      secretId: s.secretId,
      client: await connections.aws(s.connection),
    });
  }
  const [{ client, project }, { GcpSecretManagerStore }] = await Promise.all([
    connections.gcp(s.connection),
    import('../stores/gcp-secret-manager/store.js'),
  ]);
  return new GcpSecretManagerStore({ project, secret: s.secret, client });
}

async function buildSink(
  s: ResolvedCredential['sinks'][number],
  connections: Connections,
  registry?: string,
): Promise<CredentialSink> {
  if (s.type === 'gitlab-variable') {
    const [{ client }, { GitLabVariableSink }, { MergingDockerConfigSink }] = await Promise.all([
      connections.gitlab(s.connection),
      import('../sinks/gitlab-variables/sink.js'),
      import('../registry/merge-sink.js'),
    ]);
    const level = s.instance
      ? { instance: true as const }
      : s.project !== undefined
        ? { project: s.project }
        : { group: s.group! };
    const sink = new GitLabVariableSink({
      client,
      level,
      key: s.key,
      environmentScope: s.environmentScope,
      protected: s.protected,
      masked: s.masked,
      hidden: s.hidden,
      variableType: s.variableType,
      template: s.value,
    });
    return s.merge && registry ? new MergingDockerConfigSink(sink, registry) : sink;
  }
  const [octokit, { GitHubSecretSink }] = await Promise.all([
    connections.github(s.connection),
    import('../sinks/github-secrets/sink.js'),
  ]);
  const scope = s.organization
    ? {
        organization: s.organization,
        visibility: s.visibility ?? 'private',
        ...(s.selectedRepositories ? { selectedRepositories: s.selectedRepositories } : {}),
      }
    : s.environment
      ? { repository: s.repository!, environment: s.environment }
      : { repository: s.repository! };
  return new GitHubSecretSink({ octokit, scope, name: s.name, template: s.value });
}
