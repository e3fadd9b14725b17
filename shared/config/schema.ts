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
  // Registry credentials (shared/sources/registry/<kind>/).
  'registry-basic-auth',
  'aws-ecr',
  'gcp-artifact-registry',
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
  /** Deploy tokens: the username; GitLab's default is gitlab+deploy-token-<id>. registry-basic-auth: the login. */
  username: z.string().optional(),
  /**
   * registry-basic-auth: where the password is kept. credrot cannot mint one: a person
   * puts the new password there, and the next rotation verifies and publishes it.
   */
  password: secretRef.optional(),
  /** aws-ecr: the registry's AWS account id (default: the caller's own registry). */
  registryId: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .optional(),
  /** gcp-artifact-registry: the service account whose credential is published. */
  serviceAccount: z.email({ error: 'must be a service account email' }).optional(),
  /**
   * gcp-artifact-registry: `access-token` (default) publishes a one-hour OAuth2 access
   * token (`oauth2accesstoken`); `key` a new service-account key (`_json_key`).
   */
  mode: z.enum(['access-token', 'key']).optional(),
  /**
   * gcp-artifact-registry: a service-account key (JSON) credrot signs with: the service
   * account's own key for access-token mode; a key allowed to manage the service
   * account's keys (roles/iam.serviceAccountKeyAdmin) for key mode.
   */
  key: secretRef.optional(),
  /** gcp-artifact-registry: IAM API base URL (default https://iam.googleapis.com), for sandboxes. */
  iamUrl: z.url({ protocol: /^https?$/ }).optional(),
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
    /^(?:[^{}]|\{\{(?:token|username|registry|dockerAuthConfig|dockerConfigJson)\}\})*$/,
    'may only use {{token}}, {{username}}, {{registry}}, {{dockerAuthConfig}} or {{dockerConfigJson}}',
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
  /** Docker config values: replace only credrot's registry entry, keep the others (reads the variable first). */
  merge: z.boolean().default(false),
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
  /** Always refused: GitHub never returns a secret's value, so there is nothing to merge into. */
  merge: z.boolean().default(false),
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
  source: source.prefault({}),
  /** Registry credentials: the image a new value must be able to pull before it is promoted. */
  verify: z
    .strictObject({
      /** Repository path, e.g. group/project or my-project/my-repo/image. */
      repository: z
        .string()
        .regex(
          /^[a-z0-9]+(?:[._-][a-z0-9]+|\/[a-z0-9]+)*$/,
          'must be a repository path such as group/project',
        ),
      /** Tag or digest (default latest). */
      reference: z
        .string()
        .regex(
          /^(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[0-9a-f]{64})$/,
          'must be a tag or sha256 digest',
        )
        .optional(),
      /** Also prove push access (write credentials). */
      push: z.boolean().optional(),
    })
    .optional(),
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

/**
 * Tokens credrot finds rather than is told about. `gitlab-instance` lists every active
 * personal, project and group access token of a GitLab instance that expires within the
 * warning threshold, with an administrator's token (read_api is enough), and reports
 * those no credential of this configuration rotates.
 */
export const discovery = z.strictObject({
  name,
  kind: z.literal('gitlab-instance', { error: 'must be gitlab-instance' }),
  connection: name.optional(),
  thresholds: thresholds.optional(),
});

/** A byte size: a whole number of bytes, or `64KiB` / `1MiB`. */
const byteSize = z
  .union([
    z.number().int().positive(),
    z
      .string()
      .regex(/^(\d+)(B|KiB|MiB)$/, 'must be a size such as 262144, 256KiB or 1MiB')
      .transform((text) => {
        const [, amount, unit] = /^(\d+)(B|KiB|MiB)$/.exec(text) as unknown as [
          string,
          string,
          'B' | 'KiB' | 'MiB',
        ];
        return Number(amount) * { B: 1, KiB: 1024, MiB: 1024 * 1024 }[unit];
      }),
  ])
  .pipe(z.number().max(10 * 1024 * 1024, 'must be at most 10MiB (API Gateway payload limit)'));

/**
 * A webhook receiver's shared secret, and the previous one while the secret itself is being
 * rotated (both accepted until `previousSecret` is removed). References only.
 */
const webhookReceiver = z.strictObject({
  secret: secretRef,
  previousSecret: secretRef.optional(),
  /** Larger bodies are refused with 413 before they are parsed. */
  maxBodySize: byteSize.default(1024 * 1024),
});

export const webhooks = z
  .strictObject({
    gitlab: webhookReceiver
      .extend({
        /** The same `/credrot rotate` command on one issue or MR acts once within this window. */
        commandWindow: duration.prefault('1h'),
      })
      .strict()
      .optional(),
    github: webhookReceiver
      .extend({
        /** The GitHub connection used to read a secret-scanning alert's secret. */
        connection: name.optional(),
      })
      .strict()
      .optional(),
  })
  .prefault({});

/** Where the scheduled scan and the webhooks enqueue rotation jobs. */
export const queue = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('sqs'),
      /** A FIFO queue (`.fifo`): one message group per credential, deduplicated by job key. */
      url: z.url({ protocol: /^https?$/ }).refine((u) => u.endsWith('.fifo'), {
        message: 'must be a FIFO queue URL ending in .fifo (per-credential ordering and dedupe)',
      }),
      connection: name.optional(),
    }),
    z.strictObject({
      type: z.literal('pubsub'),
      project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a GCP project id'),
      topic: z.string().regex(/^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/, 'must be a Pub/Sub topic id'),
      /** host:port of a Pub/Sub emulator; plaintext, for sandboxes only. */
      endpoint: z
        .string()
        .regex(/^[^:\s]+:\d+$/, 'must be host:port')
        .optional(),
    }),
  ],
  { error: 'must have type sqs or pubsub' },
);

/** Where notices go; every URL is a secret reference (incoming-webhook URLs are credentials). */
export const notifier = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('slack'), url: secretRef }),
    z.strictObject({ type: z.literal('webhook'), url: secretRef }),
    z.strictObject({
      type: z.literal('gitlab-issue'),
      connection: name.optional(),
      project: z.union([z.string().min(1), z.number().int().positive()]),
    }),
  ],
  { error: 'must have type slack, webhook or gitlab-issue' },
);

export const notifications = z
  .strictObject({
    notifiers: z.array(notifier).default([]),
  })
  .prefault({});

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
  discovery: z.array(discovery).default([]),
  webhooks,
  queue: queue.optional(),
  notifications,
});

export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type Credential = z.output<typeof credential>;
export type StoreSpec = z.output<typeof store>;
export type SinkSpec = z.output<typeof sink>;
export type SecretRef = z.output<typeof secretRef>;
export type WatcherSpec = z.output<typeof watcher>;
export type DiscoverySpec = z.output<typeof discovery>;
export type WebhooksSpec = z.output<typeof webhooks>;
export type QueueSpec = z.output<typeof queue>;
export type NotifierSpec = z.output<typeof notifier>;
