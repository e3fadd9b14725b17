/**
 * Secret-level operations: CreateSecret, DescribeSecret, ListSecrets, TagResource,
 * UntagResource, DeleteSecret, RestoreSecret.
 */
import { randomUUID } from 'node:crypto';
import type { Response } from '../http.js';
import { paginate } from './pagination.js';
import {
  epoch,
  invalidParameter,
  markedForDeletion,
  notFound,
  ok,
  type Params,
  validationError,
} from './protocol.js';
import { CURRENT, parseTags, type Secret, type SecretStore, type SecretValue } from './store.js';

export type Operation = (p: Params) => Response;

const DAY_MS = 86_400_000;

/** Reads `SecretString` / `SecretBinary`, refusing both at once. */
export function readValue(p: Params): SecretValue | undefined {
  const string = p.string('SecretString', { max: 65536 });
  const binary = p.blob('SecretBinary');
  if (string !== undefined && binary !== undefined) {
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (string === undefined && binary === undefined) return undefined;
  return { string, binary };
}

/** `ClientRequestToken`, or a fresh one as the SDKs would have generated. */
export function readToken(p: Params): string {
  return p.string('ClientRequestToken', { min: 32, max: 64 }) ?? randomUUID();
}

/** Version id → labels, for versions that still carry labels. */
export function versionsToStages(secret: Secret): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of secret.versions.values())
    if (v.stages.length > 0) out[v.versionId] = [...v.stages];
  return out;
}

/** The members DescribeSecret and ListSecrets share. */
function metadata(secret: Secret): Record<string, unknown> {
  const rotation =
    secret.rotationEnabled === undefined
      ? {}
      : {
          RotationEnabled: secret.rotationEnabled,
          RotationLambdaARN: secret.rotationLambdaArn,
          RotationRules: secret.rotationRules,
        };
  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    KmsKeyId: secret.kmsKeyId,
    ...rotation,
    LastRotatedDate: epoch(secret.lastRotatedDate),
    LastChangedDate: epoch(secret.lastChangedDate),
    LastAccessedDate: epoch(secret.lastAccessedDate),
    DeletedDate: epoch(secret.deletedDate),
    NextRotationDate: epoch(secret.nextRotationDate),
    Tags: secret.tags?.map((t) => ({ ...t })),
    CreatedDate: epoch(secret.createdDate),
  };
}

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Filter.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_TagResource.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UntagResource.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RestoreSecret.html
export function secretOperations(store: SecretStore): Record<string, Operation> {
  return {
    CreateSecret(p) {
      const name = p.requiredString('Name', { max: 512 });
      const value = readValue(p);
      const token = readToken(p);
      p.list('AddReplicaRegions'); // accepted and ignored: the sandbox has one region
      const existing = store.find(name);
      // A retried CreateSecret (same token, same value) succeeds without change.
      if (existing && !existing.deletedDate && value && existing.versions.has(token)) {
        const { version } = store.putValue(existing, token, value, [CURRENT]);
        return ok({ ARN: existing.arn, Name: existing.name, VersionId: version.versionId });
      }
      const secret = store.create(name, {
        description: p.string('Description', { max: 2048 }),
        kmsKeyId: p.string('KmsKeyId', { max: 2048 }),
        tags: parseTags(p.list('Tags')),
      });
      if (!value) return ok({ ARN: secret.arn, Name: secret.name });
      store.putValue(secret, token, value, [CURRENT]);
      return ok({ ARN: secret.arn, Name: secret.name, VersionId: token });
    },

    DescribeSecret(p) {
      const secret = store.get(p.requiredString('SecretId', { max: 2048 }));
      return ok({ ...metadata(secret), VersionIdsToStages: versionsToStages(secret) });
    },

    ListSecrets(p) {
      const max = p.number('MaxResults', 1, 100) ?? 100;
      const includeDeleted = p.boolean('IncludePlannedDeletion') ?? false;
      const order = p.string('SortOrder');
      if (order !== undefined && order !== 'asc' && order !== 'desc') {
        throw validationError(
          order,
          'sortOrder',
          'Member must satisfy enum value set: [asc, desc]',
        );
      }
      const filters = readFilters(p);
      let secrets = store
        .all()
        .filter((s) => includeDeleted || !s.deletedDate)
        .filter((s) => filters.every((f) => matchesFilter(s, f)));
      if (order === 'desc') secrets = secrets.reverse();
      const page = paginate(secrets, max, p.string('NextToken'));
      return ok({
        SecretList: page.items.map((s) => ({
          ...metadata(s),
          SecretVersionsToStages: versionsToStages(s),
        })),
        NextToken: page.nextToken,
      });
    },

    TagResource(p) {
      const secret = store.live(p.requiredString('SecretId', { max: 2048 }));
      const tags = parseTags(p.list('Tags'));
      if (tags === undefined) throw validationError(undefined, 'tags', 'Member must not be null');
      const merged = new Map((secret.tags ?? []).map((t) => [t.Key, t]));
      for (const t of tags) merged.set(t.Key, t);
      secret.tags = [...merged.values()];
      secret.lastChangedDate = store.now();
      return ok({});
    },

    UntagResource(p) {
      const secret = store.live(p.requiredString('SecretId', { max: 2048 }));
      const keys = p.stringList('TagKeys');
      if (keys === undefined)
        throw validationError(undefined, 'tagKeys', 'Member must not be null');
      secret.tags = (secret.tags ?? []).filter((t) => !keys.includes(t.Key));
      secret.lastChangedDate = store.now();
      return ok({});
    },

    DeleteSecret(p) {
      const id = p.requiredString('SecretId', { max: 2048 });
      const window = p.number(
        'RecoveryWindowInDays',
        Number.NEGATIVE_INFINITY,
        Number.POSITIVE_INFINITY,
      );
      const force = p.boolean('ForceDeleteWithoutRecovery') ?? false;
      if (window !== undefined && force) {
        throw invalidParameter(
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      }
      if (window !== undefined && (window < 7 || window > 30)) {
        throw invalidParameter(
          'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
        );
      }
      const secret = store.find(id);
      const now = store.now();
      if (!secret) {
        // Force-deleting a secret that does not exist succeeds, as on AWS.
        if (force) return ok({ Name: id, DeletionDate: epoch(now) });
        throw notFound();
      }
      if (secret.deletedDate && !force) {
        throw markedForDeletion();
      }
      if (force) {
        store.remove(secret);
        return ok({ ARN: secret.arn, Name: secret.name, DeletionDate: epoch(now) });
      }
      secret.deletedDate = new Date(now.getTime() + (window ?? 30) * DAY_MS);
      return ok({ ARN: secret.arn, Name: secret.name, DeletionDate: epoch(secret.deletedDate) });
    },

    RestoreSecret(p) {
      const secret = store.get(p.requiredString('SecretId', { max: 2048 }));
      secret.deletedDate = undefined;
      secret.lastChangedDate = store.now();
      return ok({ ARN: secret.arn, Name: secret.name });
    },
  };
}

const FILTER_KEYS = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
];

interface Filter {
  key: string;
  values: string[];
}

function readFilters(p: Params): Filter[] {
  return (p.list('Filters') ?? []).map((f, i) => {
    const key = f.Key;
    if (typeof key !== 'string' || !FILTER_KEYS.includes(key)) {
      throw validationError(
        key,
        `filters.${i + 1}.member.key`,
        `Member must satisfy enum value set: [${FILTER_KEYS.join(', ')}]`,
      );
    }
    const values = f.Values;
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      values.some((v) => typeof v !== 'string')
    ) {
      throw invalidParameter(`Filter ${key} requires at least one value.`);
    }
    return { key, values: values as string[] };
  });
}

/** Values within a filter are alternatives; `!value` negates. */
function matchesFilter(secret: Secret, filter: Filter): boolean {
  return filter.values.some((raw) => {
    const negate = raw.startsWith('!');
    const value = negate ? raw.slice(1) : raw;
    return matchesValue(secret, filter.key, value) !== negate;
  });
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function matchesValue(secret: Secret, key: string, value: string): boolean {
  const tags = secret.tags ?? [];
  switch (key) {
    case 'name':
      return secret.name.startsWith(value);
    case 'description': {
      const d = (secret.description ?? '').toLowerCase();
      const v = value.toLowerCase();
      return d.startsWith(v) || words(d).some((w) => w.startsWith(v));
    }
    case 'tag-key':
      return tags.some((t) => t.Key.startsWith(value));
    case 'tag-value':
      return tags.some((t) => t.Value.startsWith(value));
    case 'all': {
      const haystack = [
        secret.name,
        secret.description ?? '',
        ...tags.flatMap((t) => [t.Key, t.Value]),
      ];
      const have = haystack.flatMap(words);
      return words(value).every((w) => have.some((h) => h.startsWith(w)));
    }
    default:
      // primary-region and owning-service: no replicated or service-owned secrets here.
      return false;
  }
}
