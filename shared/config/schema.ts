/**
 * The shape of `credrot.config.yaml`. One zod schema is the single source of truth: it
 * validates at load, gives the TypeScript types, and generates `credrot.config.schema.json`
 * for editor completion. Every object is strict: an unknown key is a typo, and typos must
 * not pass silently.
 */
import { z } from 'zod';

const DURATION = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** A duration such as `30d`, `12h`, `90m`, `45s` or `2w`, loaded as milliseconds. */
export const duration = z
  .string()
  .regex(DURATION, 'must be a duration such as 30d, 12h, 90m, 45s or 2w')
  .transform((text) => {
    const [, amount, unit] = DURATION.exec(text) as unknown as [
      string,
      string,
      keyof typeof UNIT_MS,
    ];
    return Number(amount) * UNIT_MS[unit];
  });

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be 1-63 lowercase letters, digits, ".", "_" or "-"');

/**
 * Where a connection's own credential comes from. Never a literal: a secret in a config
 * file ends up in git, in CI logs and in support tickets.
 */
export const secretRef = z.union(
  [
    z.strictObject({
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
    }),
    z.strictObject({
      aws: z.strictObject({
        connection: name.optional(),
        secretId: z.string().min(1),
        field: z.string().optional(),
      }),
    }),
    z.strictObject({
      gcp: z.strictObject({
        connection: name.optional(),
        secret: z.string().min(1),
        version: z.string().default('latest'),
        field: z.string().optional(),
      }),
    }),
  ],
  {
    error: (issue) =>
      typeof issue.input === 'string'
        ? 'must not be a literal secret: use { env: NAME } or a secret-store reference { aws: { secretId } } / { gcp: { secret } }'
        : 'must be { env: NAME }, { aws: { secretId } } or { gcp: { secret } }',
  },
);

const gitlabConnection = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://gitlab.com' }),
  token: secretRef,
});

const githubConnection = z.strictObject({
  apiUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://api.github.com' })
    .default('https://api.github.com'),
  token: secretRef,
});

const awsConnection = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
  endpoint: z.url().optional(),
  /** Only for sandboxes; production uses the SDK's default credential chain. */
  accessKeyId: secretRef.optional(),
  secretAccessKey: secretRef.optional(),
});

const gcpConnection = z.strictObject({
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id'),
  /** host:port of a gRPC endpoint; plaintext, for sandboxes only. */
  endpoint: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'must be host:port')
    .optional(),
});

export const connections = z
  .strictObject({
    gitlab: z.record(name, gitlabConnection).default({}),
    github: z.record(name, githubConnection).default({}),
    aws: z.record(name, awsConnection).default({}),
    gcp: z.record(name, gcpConnection).default({}),
  })
  .prefault({});

export const ACCESS_LEVELS = {
  guest: 10,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;

export const credentialKinds = [
  'gitlab-project-access-token',
  'gitlab-group-access-token',
  'gitlab-personal-access-token',
  'gitlab-deploy-token',
] as const;
export type CredentialKind = (typeof credentialKinds)[number];

const policy = z.strictObject({
  /** Lifetime of each new credential (GitLab caps access tokens at 365 days). */
  lifetime: duration.prefault('90d'),
  /** Rotate when less than this remains; default one third of the lifetime. */
  renewBefore: duration.optional(),
  /** How long the old value stays valid after promotion, so running jobs finish. */
  gracePeriod: duration.prefault('1h'),
  scopes: z
    .array(z.string().regex(/^[a-z_]+$/, 'must be a GitLab scope such as api or read_registry'))
    .min(1)
    .optional(),
  accessLevel: z
    .union([
      z.enum(Object.keys(ACCESS_LEVELS) as [keyof typeof ACCESS_LEVELS]),
      z.literal([10, 20, 30, 40, 50]),
    ])
    .optional(),
  strategy: z.enum(['recreate', 'rotate']).default('recreate'),
});

const source = z.strictObject({
  connection: name.optional(),
  project: z.union([z.string().min(1), z.number().int().positive()]).optional(),
  group: z.union([z.string().min(1), z.number().int().positive()]).optional(),
  /** The token's name at the source; defaults to the credential's name. */
  tokenName: z.string().min(1).optional(),
  /** Deploy tokens: the username; GitLab's default is gitlab+deploy-token-<id>. */
  username: z.string().optional(),
});

const awsStore = z.strictObject({
  type: z.literal('aws-secrets-manager'),
  connection: name.optional(),
  secretId: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager name or ARN'),
});

const gcpStore = z.strictObject({
  type: z.literal('gcp-secret-manager'),
  connection: name.optional(),
  secret: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{1,255}$/,
      'must be a Secret Manager secret id ([A-Za-z0-9_-], up to 255)',
    ),
});

export const store = z.discriminatedUnion('type', [awsStore, gcpStore], {
  error: 'must have type aws-secrets-manager or gcp-secret-manager',
});

const template = z
  .string()
  .regex(
    /^(?:[^{}]|\{\{(?:token|username|registry|dockerAuthConfig)\}\})*$/,
    'may only use {{token}}, {{username}}, {{registry}} or {{dockerAuthConfig}}',
  )
  .default('{{token}}');

const gitlabVariableSink = z.strictObject({
  type: z.literal('gitlab-variable'),
  connection: name.optional(),
  project: z.union([z.string().min(1), z.number().int().positive()]).optional(),
  group: z.union([z.string().min(1), z.number().int().positive()]).optional(),
  instance: z.literal(true).optional(),
  key: z
    .string()
    .regex(/^[A-Za-z0-9_]+$/, 'must match ^[A-Za-z0-9_]+$ (GitLab CI/CD variable keys)')
    .max(255),
  environmentScope: z.string().min(1).default('*'),
  protected: z.boolean().default(false),
  masked: z.boolean().default(true),
  hidden: z.boolean().default(false),
  variableType: z.enum(['env_var', 'file']).default('env_var'),
  value: template,
});

const githubSecretSink = z.strictObject({
  type: z.literal('github-secret'),
  connection: name.optional(),
  repository: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name')
    .optional(),
  organization: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'must be a GitHub organization login')
    .optional(),
  environment: z.string().min(1).optional(),
  visibility: z.enum(['all', 'private', 'selected']).optional(),
  selectedRepositories: z.array(z.string().min(1)).optional(),
  name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must match ^[A-Za-z_][A-Za-z0-9_]*$ (GitHub secret names)')
    .refine(
      (n) => !n.toUpperCase().startsWith('GITHUB_'),
      'must not start with GITHUB_ (reserved by GitHub)',
    ),
  value: template,
});

export const sink = z.discriminatedUnion('type', [gitlabVariableSink, githubSecretSink], {
  error: 'must have type gitlab-variable or github-secret',
});

export const credential = z.strictObject({
  name,
  kind: z.enum(credentialKinds),
  description: z.string().optional(),
  /** Registry host this credential logs in to (host[:port]), for {{registry}} and {{dockerAuthConfig}}. */
  registry: z
    .string()
    .regex(
      /^[A-Za-z0-9.-]+(:\d+)?$/,
      'must be a registry host such as registry.gitlab.com or 127.0.0.1:5000',
    )
    .optional(),
  source,
  policy: policy.prefault({}),
  stores: z
    .array(store)
    .min(1, 'must name at least one store: a credential that is stored nowhere is lost'),
  sinks: z.array(sink).default([]),
});

export const watcherKinds = [
  'certificate',
  'jwt',
  'docker-config',
  'kubeconfig',
  'webhook-configuration',
  'tls-endpoint',
] as const;

const thresholds = z.strictObject({ warning: duration.optional(), critical: duration.optional() });

export const watcher = z.strictObject({
  name,
  kind: z.enum(watcherKinds),
  /** A file, relative to the configuration file. */
  path: z.string().min(1).optional(),
  /** For tls-endpoint: https://host[:port]. */
  url: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
  thresholds: thresholds.optional(),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1, { error: 'must be 1 (the only configuration version)' }),
  defaults: z
    .strictObject({
      thresholds: thresholds.prefault({}),
      renewBefore: duration.optional(),
    })
    .prefault({}),
  connections,
  credentials: z.array(credential).default([]),
  watchers: z.array(watcher).default([]),
});

export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type Credential = z.output<typeof credential>;
export type StoreSpec = z.output<typeof store>;
export type SinkSpec = z.output<typeof sink>;
export type SecretRef = z.output<typeof secretRef>;
export type WatcherSpec = z.output<typeof watcher>;
