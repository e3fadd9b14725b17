/**
 * Configuration rules for registry credentials, checked at load (shared/config/load.ts
 * calls `registryConfigProblems` once per credential). Each problem is a path below the
 * credential and a message that names the fix.
 */
import type { Credential, SecretRef } from '../config/schema.js';

export const REGISTRY_KINDS = ['registry-basic-auth', 'aws-ecr', 'gcp-artifact-registry'] as const;
export type RegistryKind = (typeof REGISTRY_KINDS)[number];

export function isRegistryKind(kind: string): kind is RegistryKind {
  return (REGISTRY_KINDS as readonly string[]).includes(kind);
}

/** The connection type a kind's source uses, or undefined when it needs none. */
export function sourceConnectionType(kind: Credential['kind']): 'gitlab' | 'aws' | undefined {
  if (kind === 'aws-ecr') return 'aws';
  if (kind === 'registry-basic-auth' || kind === 'gcp-artifact-registry') return undefined;
  return 'gitlab';
}

/** A secret reference in words, for messages (never its value): `environment variable X`. */
export function describeRef(ref: SecretRef): string {
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('aws' in ref)
    return `AWS secret ${ref.aws.secretId}${ref.aws.field ? ` (field ${ref.aws.field})` : ''}`;
  return `GCP secret ${ref.gcp.secret}${ref.gcp.field ? ` (field ${ref.gcp.field})` : ''}`;
}

const DOCKER_TEMPLATE = /\{\{(?:dockerAuthConfig|dockerConfigJson)\}\}/;

type Problem = [PropertyKey[], string];

/** Problems of one credential's registry settings, with paths relative to the credential. */
export function registryConfigProblems(c: Credential): Problem[] {
  const problems: Problem[] = [];
  const s = c.source;
  const registryOnly = (key: keyof typeof s, kinds: string) => {
    if (s[key] !== undefined) problems.push([['source', key], `only ${kinds} use ${key}`]);
  };
  if (isRegistryKind(c.kind)) {
    if (!c.registry)
      problems.push([
        [],
        `a ${c.kind} credential needs registry: <host[:port]>, the registry it logs in to and is verified against`,
      ]);
    for (const key of ['project', 'group', 'tokenName'] as const)
      if (s[key] !== undefined) problems.push([['source', key], `a ${c.kind} has no ${key}`]);
    if (c.policy.scopes) problems.push([['policy', 'scopes'], `a ${c.kind} has no scopes`]);
    if (c.policy.accessLevel !== undefined)
      problems.push([['policy', 'accessLevel'], `a ${c.kind} has no access level`]);
  } else if (c.verify && !c.registry) {
    problems.push([['verify'], 'verify needs registry: <host[:port]> to pull from']);
  }
  if (c.kind !== 'aws-ecr') registryOnly('registryId', 'aws-ecr credentials');
  if (c.kind !== 'registry-basic-auth') registryOnly('password', 'registry-basic-auth credentials');
  if (c.kind !== 'gcp-artifact-registry') {
    for (const key of ['serviceAccount', 'mode', 'key', 'iamUrl'] as const)
      registryOnly(key, 'gcp-artifact-registry credentials');
  }
  if (c.kind === 'registry-basic-auth') {
    if (!s.username) problems.push([['source', 'username'], 'is required: the registry login']);
    if (!s.password)
      problems.push([
        ['source', 'password'],
        'is required: where a person puts the password (credrot cannot mint one), e.g. { aws: { secretId: ... } }',
      ]);
    if (s.connection !== undefined)
      problems.push([['source', 'connection'], 'a registry-basic-auth source uses no connection']);
  }
  if (c.kind === 'gcp-artifact-registry') {
    if (!s.serviceAccount) problems.push([['source', 'serviceAccount'], 'is required']);
    if (!s.key)
      problems.push([
        ['source', 'key'],
        'is required: the service-account key credrot signs with (the account’s own for access-token mode, a key admin’s for key mode)',
      ]);
    if (s.connection !== undefined)
      problems.push([
        ['source', 'connection'],
        'a gcp-artifact-registry source uses no connection',
      ]);
  }
  if (c.kind === 'aws-ecr' && c.policy.gracePeriod >= 12 * 3_600_000)
    problems.push([
      ['policy', 'gracePeriod'],
      'must be shorter than 12h, the life of an ECR token',
    ]);

  c.sinks.forEach((sink, i) => {
    const at = ['sinks', i];
    const docker = DOCKER_TEMPLATE.test(sink.value);
    if (docker && !c.registry)
      problems.push([[...at, 'value'], 'a Docker config value needs the credential’s registry']);
    if (sink.type === 'gitlab-variable' && docker && sink.masked && !sink.merge) {
      problems.push([
        [...at, 'masked'],
        'a Docker config is JSON ({, " and spaces), which GitLab cannot mask (masked values are one word of the Base64 alphabet plus @ : . ~): set masked: false and variableType: file, with protected: true so only protected branches and tags receive it',
      ]);
    }
    if (!sink.merge) return;
    if (!docker || sink.value.replace(DOCKER_TEMPLATE, '') !== '')
      problems.push([
        [...at, 'merge'],
        "merge: true works on a Docker config value only: set value: '{{dockerAuthConfig}}' or '{{dockerConfigJson}}'",
      ]);
    if (sink.type === 'github-secret')
      problems.push([
        [...at, 'merge'],
        'cannot merge into a GitHub secret: GitHub never returns a secret’s value, so credrot would overwrite the other registries; give credrot its own secret (merge: false)',
      ]);
    if (sink.type === 'gitlab-variable' && sink.hidden)
      problems.push([
        [...at, 'merge'],
        'cannot merge into a hidden variable: GitLab never returns its value, so credrot would overwrite the other registries; use a visible file variable (hidden: false, masked: false, variableType: file, protected: true)',
      ]);
    if (sink.type === 'gitlab-variable' && sink.masked)
      problems.push([
        [...at, 'masked'],
        'a Docker config is JSON, which GitLab cannot mask: set masked: false and variableType: file, with protected: true',
      ]);
  });
  return problems;
}
