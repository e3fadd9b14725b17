/**
 * The AWS Secrets Manager calls the store and its lease make, each translated into
 * credrot's errors, plus the ownership rule: credrot writes only a secret tagged
 * managed-by=credrot, and creates one (tagged) when it is absent.
 *
 * Retries: the SDK's default retry strategy stays on. Every write here is safe to retry:
 * PutSecretValue and CreateSecret carry a ClientRequestToken (a replay with the same token
 * and value changes nothing), TagResource is idempotent, and a replayed
 * UpdateSecretVersionStage finds the label already where it asked it to be.
 *
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_TagResource.html
 */
import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ProviderError } from '../../errors.js';
import { awsOwnershipError, isAwsError, translateAwsError } from './errors.js';
import {
  CURRENT,
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  PLACEHOLDER,
  placeholderToken,
  Snapshot,
} from './labels.js';

export class SecretAccess {
  constructor(
    readonly client: SecretsManagerClient,
    readonly secretId: string,
    private readonly extraTags: Record<string, string>,
  ) {}

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw translateAwsError(err, operation, this.secretId);
    }
  }

  /** The secret's tags and labels, or undefined when it does not exist. */
  async describe(): Promise<Snapshot | undefined> {
    try {
      const out = await this.client.send(new DescribeSecretCommand({ SecretId: this.secretId }));
      return new Snapshot(out);
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
      throw translateAwsError(err, 'DescribeSecret', this.secretId);
    }
  }

  /** The snapshot of a secret credrot may write; undefined when absent; OwnershipError otherwise. */
  async owned(): Promise<Snapshot | undefined> {
    const snap = await this.describe();
    if (snap && !snap.owned) throw awsOwnershipError(this.secretId);
    return snap;
  }

  /**
   * The snapshot of a secret credrot may write, creating it (tagged, with the placeholder
   * as AWSCURRENT) when absent. An adopted secret without any AWSCURRENT value gets the
   * placeholder too, for the same reason: AWS would make the next value written current.
   */
  async ensureOwned(): Promise<Snapshot> {
    let snap = await this.owned();
    if (!snap) {
      await this.create();
      snap = await this.owned();
      if (!snap) {
        throw new ProviderError(
          `AWS Secrets Manager did not show secret ${this.secretId} right after creating it; the next run retries.`,
          { retryable: true, context: { secret: this.secretId } },
        );
      }
    }
    if (snap.holder(CURRENT) === undefined) {
      await this.put(randomUUID(), PLACEHOLDER, [CURRENT]);
      snap = (await this.owned()) ?? snap;
    }
    return snap;
  }

  private async create(): Promise<void> {
    const tags = { ...this.extraTags, [MANAGED_BY_KEY]: MANAGED_BY_VALUE };
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: this.secretId,
          Description: 'Managed by credrot: rotated automatically, change it through credrot.',
          SecretString: PLACEHOLDER,
          // Stable per secret: racing creators (and SDK retries) all write the same version.
          ClientRequestToken: placeholderToken(this.secretId),
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    } catch (err) {
      // Another run created it first; the ownership check that follows still applies.
      if (!isAwsError(err, 'ResourceExistsException')) {
        throw translateAwsError(err, 'CreateSecret', this.secretId);
      }
    }
  }

  /** The SecretString of version `versionId`. */
  async value(versionId: string): Promise<string | undefined> {
    const out = await this.call('GetSecretValue', () =>
      this.client.send(
        new GetSecretValueCommand({ SecretId: this.secretId, VersionId: versionId }),
      ),
    );
    return out.SecretString;
  }

  /**
   * Writes `text` as version `token` labelled `labels` (never left to default to
   * AWSCURRENT). Answers 'exists' when that version already holds a different value.
   */
  async put(token: string, text: string, labels: string[]): Promise<'written' | 'exists'> {
    try {
      await this.client.send(
        new PutSecretValueCommand({
          SecretId: this.secretId,
          ClientRequestToken: token,
          SecretString: text,
          VersionStages: labels,
        }),
      );
      return 'written';
    } catch (err) {
      if (isAwsError(err, 'ResourceExistsException')) return 'exists';
      throw translateAwsError(err, 'PutSecretValue', this.secretId);
    }
  }

  /**
   * Moves `label` to version `to`, from version `from` (undefined: from nowhere). AWS
   * refuses the move when the label is on a version other than `from`; that refusal is
   * answered as 'conflict', which is what makes this a compare-and-swap.
   */
  async move(label: string, to: string, from: string | undefined): Promise<'moved' | 'conflict'> {
    if (from === to) return 'moved';
    try {
      await this.client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: this.secretId,
          VersionStage: label,
          MoveToVersionId: to,
          ...(from === undefined ? {} : { RemoveFromVersionId: from }),
        }),
      );
      return 'moved';
    } catch (err) {
      if (isAwsError(err, 'InvalidParameterException')) return 'conflict';
      throw translateAwsError(err, 'UpdateSecretVersionStage', this.secretId);
    }
  }

  /** Removes `label` from version `from`; answers 'absent' when it was not there (any more). */
  async remove(label: string, from: string): Promise<'removed' | 'absent'> {
    try {
      await this.client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: this.secretId,
          VersionStage: label,
          RemoveFromVersionId: from,
        }),
      );
      return 'removed';
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return 'absent';
      if (isAwsError(err, 'InvalidParameterException')) {
        // Refused because the label is elsewhere (or a replay already removed it): fine,
        // unless the label is in fact still on `from`.
        const snap = await this.describe();
        if (!snap?.has(from, label)) return 'absent';
      }
      throw translateAwsError(err, 'UpdateSecretVersionStage', this.secretId);
    }
  }

  async tag(key: string, value: string): Promise<void> {
    await this.call('TagResource', () =>
      this.client.send(
        new TagResourceCommand({ SecretId: this.secretId, Tags: [{ Key: key, Value: value }] }),
      ),
    );
  }
}
