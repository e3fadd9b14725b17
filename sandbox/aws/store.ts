/**
 * The state of the Secrets Manager emulator: secrets, their versions and the staging
 * labels that move between versions. Label rules follow the API reference:
 * each label is on at most one version; moving AWSCURRENT puts AWSPREVIOUS on the version
 * it left; a version without labels is deprecated and may be pruned.
 *
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
 */
import { randomInt } from 'node:crypto';
import { AwsError, invalidParameter, markedForDeletion, notFound } from './protocol.js';

export const CURRENT = 'AWSCURRENT';
export const PREVIOUS = 'AWSPREVIOUS';
export const PENDING = 'AWSPENDING';

/** AWS keeps about 100 versions; older deprecated (label-less) ones are removed first. */
const MAX_VERSIONS = 100;

export interface Tag {
  Key: string;
  Value: string;
}

export interface RotationRules {
  AutomaticallyAfterDays?: number;
  Duration?: string;
  ScheduleExpression?: string;
}

export interface SecretValue {
  string?: string;
  binary?: Buffer;
}

export interface SecretVersion extends SecretValue {
  versionId: string;
  stages: string[];
  createdDate: Date;
  lastAccessedDate?: Date;
}

export interface Secret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags?: Tag[];
  createdDate: Date;
  lastChangedDate: Date;
  lastAccessedDate?: Date;
  /** When the secret will be purged; set while it is scheduled for deletion. */
  deletedDate?: Date;
  /** Undefined until rotation was first configured (DescribeSecret then omits the members). */
  rotationEnabled?: boolean;
  rotationLambdaArn?: string;
  rotationRules?: RotationRules;
  lastRotatedDate?: Date;
  nextRotationDate?: Date;
  /** Insertion-ordered: oldest first. */
  versions: Map<string, SecretVersion>;
}

const NAME = /^[A-Za-z0-9/_+=.@-]+$/;
const SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function hasValue(v: SecretValue): boolean {
  return v.string !== undefined || v.binary !== undefined;
}

function sameValue(a: SecretValue, b: SecretValue): boolean {
  if (a.string !== b.string) return false;
  if (a.binary === undefined || b.binary === undefined) return a.binary === b.binary;
  return a.binary.equals(b.binary);
}

export class SecretStore {
  private readonly secrets = new Map<string, Secret>();

  constructor(
    readonly region: string,
    readonly accountId: string,
    readonly now: () => Date,
  ) {}

  /** Secrets in creation order, after purging those whose recovery window has passed. */
  all(): Secret[] {
    this.purge();
    return [...this.secrets.values()];
  }

  /** Finds by name, full ARN or partial ARN (the ARN without its 6-character suffix). */
  find(id: string): Secret | undefined {
    this.purge();
    const byName = this.secrets.get(id);
    if (byName) return byName;
    if (!id.startsWith('arn:')) return undefined;
    for (const s of this.secrets.values()) {
      if (s.arn === id || s.arn.slice(0, -7) === id) return s;
    }
    return undefined;
  }

  /** The secret, or `ResourceNotFoundException`. */
  get(id: string): Secret {
    const s = this.find(id);
    if (!s) throw notFound();
    return s;
  }

  /** The secret, refusing one that is scheduled for deletion. */
  live(id: string): Secret {
    const s = this.get(id);
    if (s.deletedDate) throw markedForDeletion();
    return s;
  }

  create(name: string, fields: { description?: string; kmsKeyId?: string; tags?: Tag[] }): Secret {
    if (name.length > 512 || !NAME.test(name)) {
      throw invalidParameter(
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
    }
    const existing = this.secrets.get(name);
    if (existing?.deletedDate) {
      throw new AwsError(
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
    }
    if (existing) {
      throw new AwsError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    }
    const now = this.now();
    const secret: Secret = {
      name,
      arn: `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${suffix()}`,
      ...fields,
      createdDate: now,
      lastChangedDate: now,
      versions: new Map(),
    };
    this.secrets.set(name, secret);
    return secret;
  }

  remove(secret: Secret): void {
    this.secrets.delete(secret.name);
  }

  /**
   * Writes a value as version `versionId` with `stages` (PutSecretValue, UpdateSecret,
   * CreateSecret). Idempotent on the token: the same value again changes nothing; a
   * different value is refused; a version that exists without a value (the empty
   * AWSPENDING version a rotation creates) receives it.
   */
  putValue(
    secret: Secret,
    versionId: string,
    value: SecretValue,
    stages: string[],
  ): { version: SecretVersion; created: boolean } {
    const existing = secret.versions.get(versionId);
    if (existing && hasValue(existing)) {
      if (sameValue(existing, value)) return { version: existing, created: false };
      throw new AwsError(
        'ResourceExistsException',
        "You can't modify an existing version, you can only create a new version.",
      );
    }
    const version: SecretVersion = existing ?? { versionId, stages: [], createdDate: this.now() };
    version.string = value.string;
    version.binary = value.binary;
    secret.versions.set(versionId, version);
    for (const stage of stages) this.attach(secret, versionId, stage);
    secret.lastChangedDate = this.now();
    this.prune(secret);
    return { version, created: true };
  }

  /** Adds a version without a value (how rotation starts), labelled `stages`. */
  addEmptyVersion(secret: Secret, versionId: string, stages: string[]): SecretVersion {
    const version: SecretVersion = { versionId, stages: [], createdDate: this.now() };
    secret.versions.set(versionId, version);
    for (const stage of stages) this.attach(secret, versionId, stage);
    return version;
  }

  /** The version holding `stage`, if any. */
  holder(secret: Secret, stage: string): SecretVersion | undefined {
    for (const v of secret.versions.values()) if (v.stages.includes(stage)) return v;
    return undefined;
  }

  /**
   * Attaches `stage` to `versionId`, taking it from whichever version held it; moving
   * AWSCURRENT leaves AWSPREVIOUS on the version it came from.
   */
  attach(secret: Secret, versionId: string, stage: string): void {
    const target = secret.versions.get(versionId);
    if (!target || target.stages.includes(stage)) return;
    const from = this.holder(secret, stage);
    if (from) from.stages = from.stages.filter((s) => s !== stage);
    target.stages.push(stage);
    if (stage === CURRENT && from) {
      const prev = this.holder(secret, PREVIOUS);
      if (prev) prev.stages = prev.stages.filter((s) => s !== PREVIOUS);
      from.stages.push(PREVIOUS);
    }
  }

  detach(secret: Secret, versionId: string, stage: string): void {
    const v = secret.versions.get(versionId);
    if (v) v.stages = v.stages.filter((s) => s !== stage);
  }

  /** Drops the oldest deprecated versions beyond AWS's version quota. */
  prune(secret: Secret): void {
    for (const v of [...secret.versions.values()]) {
      if (secret.versions.size <= MAX_VERSIONS) return;
      if (v.stages.length === 0) secret.versions.delete(v.versionId);
    }
  }

  private purge(): void {
    const now = this.now().getTime();
    for (const s of [...this.secrets.values()]) {
      if (s.deletedDate && s.deletedDate.getTime() <= now) this.secrets.delete(s.name);
    }
  }
}

function suffix(): string {
  let out = '';
  for (let i = 0; i < 6; i++) out += SUFFIX_CHARS[randomInt(SUFFIX_CHARS.length)];
  return out;
}

/** Parses `Tags` members, refusing malformed entries as the service does. */
export function parseTags(raw: Record<string, unknown>[] | undefined): Tag[] | undefined {
  if (raw === undefined) return undefined;
  return raw.map((t) => {
    if (typeof t.Key !== 'string' || t.Key.length === 0) {
      throw invalidParameter('Tag keys must be non-empty strings.');
    }
    return { Key: t.Key, Value: typeof t.Value === 'string' ? t.Value : '' };
  });
}
