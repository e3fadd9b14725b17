/**
 * Version-level operations: GetSecretValue, PutSecretValue, UpdateSecret,
 * UpdateSecretVersionStage, ListSecretVersionIds.
 */
import { paginate } from './pagination.js';
import {
  AwsError,
  epoch,
  invalidParameter,
  invalidRequest,
  ok,
  validationError,
} from './protocol.js';
import { type Operation, readToken, readValue } from './secrets.js';
import { CURRENT, hasValue, type SecretStore, type SecretVersion } from './store.js';

const DAY_MS = 86_400_000;

/** LastAccessedDate is kept to the day: AWS truncates it to midnight UTC. */
function today(now: Date): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
}

function valueNotFound(kind: 'VersionId' | 'staging label', id: string): AwsError {
  return new AwsError(
    'ResourceNotFoundException',
    `Secrets Manager can't find the specified secret value for ${kind}: ${id}`,
  );
}

function valueMembers(v: SecretVersion): Record<string, unknown> {
  return { SecretString: v.string, SecretBinary: v.binary?.toString('base64') };
}

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecretVersionIds.html
export function valueOperations(store: SecretStore): Record<string, Operation> {
  return {
    GetSecretValue(p) {
      const secret = store.live(p.requiredString('SecretId', { max: 2048 }));
      const versionId = p.string('VersionId', { min: 32, max: 64 });
      const stage = p.string('VersionStage', { min: 1, max: 256 });
      let version: SecretVersion | undefined;
      if (versionId !== undefined) {
        version = secret.versions.get(versionId);
        if (!version || !hasValue(version)) throw valueNotFound('VersionId', versionId);
        if (stage !== undefined && !version.stages.includes(stage)) {
          throw invalidRequest(
            'You provided a VersionStage that is not associated to the provided VersionId.',
          );
        }
      } else {
        const label = stage ?? CURRENT;
        version = store.holder(secret, label);
        if (!version || !hasValue(version)) throw valueNotFound('staging label', label);
      }
      const accessed = today(store.now());
      secret.lastAccessedDate = accessed;
      version.lastAccessedDate = accessed;
      return ok({
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        ...valueMembers(version),
        VersionStages: [...version.stages],
        CreatedDate: epoch(version.createdDate),
      });
    },

    PutSecretValue(p) {
      const secret = store.live(p.requiredString('SecretId', { max: 2048 }));
      const token = readToken(p);
      const value = readValue(p);
      if (!value) throw invalidParameter('You must provide either SecretString or SecretBinary.');
      const stages = p.stringList('VersionStages') ?? [CURRENT];
      if (stages.length < 1 || stages.length > 20) {
        throw validationError(
          stages.length,
          'versionStages',
          'Member must have length between 1 and 20',
        );
      }
      p.string('RotationToken'); // accepted: AWS checks it against the running rotation
      // "If this operation creates the first version for the secret, then Secrets Manager
      // automatically attaches the staging label AWSCURRENT to it" (PutSecretValue reference).
      const first = secret.versions.size === 0 && !stages.includes(CURRENT);
      const { version } = store.putValue(
        secret,
        token,
        value,
        first ? [...stages, CURRENT] : stages,
      );
      return ok({
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        VersionStages: [...version.stages],
      });
    },

    UpdateSecret(p) {
      const secret = store.live(p.requiredString('SecretId', { max: 2048 }));
      const token = readToken(p);
      const value = readValue(p);
      const description = p.string('Description', { max: 2048 });
      const kmsKeyId = p.string('KmsKeyId', { max: 2048 });
      if (description !== undefined) secret.description = description;
      if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
      secret.lastChangedDate = store.now();
      if (!value) return ok({ ARN: secret.arn, Name: secret.name });
      const { version } = store.putValue(secret, token, value, [CURRENT]);
      return ok({ ARN: secret.arn, Name: secret.name, VersionId: version.versionId });
    },

    UpdateSecretVersionStage(p) {
      const secret = store.live(p.requiredString('SecretId', { max: 2048 }));
      const stage = p.requiredString('VersionStage', { max: 256 });
      const removeFrom = p.string('RemoveFromVersionId', { min: 32, max: 64 });
      const moveTo = p.string('MoveToVersionId', { min: 32, max: 64 });
      for (const id of [removeFrom, moveTo]) {
        if (id !== undefined && !secret.versions.has(id)) {
          throw invalidParameter(`The version ${id} does not exist for secret ${secret.name}.`);
        }
      }
      const holder = store.holder(secret, stage);
      if (moveTo !== undefined) {
        if (holder && holder.versionId !== moveTo) {
          if (removeFrom === undefined) {
            throw invalidParameter(
              `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
            );
          }
          if (removeFrom !== holder.versionId) {
            throw invalidParameter(
              `The staging label ${stage} is currently attached to version ${holder.versionId}, not to the version in RemoveFromVersionId (${removeFrom}).`,
            );
          }
        }
        store.attach(secret, moveTo, stage);
      } else if (removeFrom !== undefined) {
        if (holder?.versionId !== removeFrom) {
          throw invalidParameter(
            `The staging label ${stage} is not attached to version ${removeFrom}.`,
          );
        }
        if (stage === CURRENT) {
          throw invalidParameter(
            `You can't remove the staging label ${CURRENT} from a version without moving it to another version: specify MoveToVersionId.`,
          );
        }
        store.detach(secret, removeFrom, stage);
      } else {
        throw invalidParameter('You must specify MoveToVersionId, RemoveFromVersionId, or both.');
      }
      secret.lastChangedDate = store.now();
      store.prune(secret);
      return ok({ ARN: secret.arn, Name: secret.name });
    },

    ListSecretVersionIds(p) {
      const secret = store.get(p.requiredString('SecretId', { max: 2048 }));
      const max = p.number('MaxResults', 1, 100) ?? 100;
      const includeDeprecated = p.boolean('IncludeDeprecated') ?? false;
      const versions = [...secret.versions.values()].filter(
        (v) => includeDeprecated || v.stages.length > 0,
      );
      const page = paginate(versions, max, p.string('NextToken'));
      return ok({
        Versions: page.items.map((v) => ({
          VersionId: v.versionId,
          VersionStages: [...v.stages],
          LastAccessedDate: epoch(v.lastAccessedDate),
          CreatedDate: epoch(v.createdDate),
        })),
        NextToken: page.nextToken,
        ARN: secret.arn,
        Name: secret.name,
      });
    },
  };
}
