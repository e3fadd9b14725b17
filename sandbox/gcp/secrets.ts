/**
 * The secret store: secrets, versions, etags, expiry and rotation schedules, with the
 * rules of the real service. Protocol-free: handlers.ts adapts gRPC requests to it.
 *
 * Secrets: https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets
 * ETags: https://cloud.google.com/secret-manager/docs/etags
 * Expiry: https://cloud.google.com/secret-manager/docs/automatic-deletion
 */
import { randomBytes } from 'node:crypto';
import {
  alreadyExists,
  etagMismatch,
  failedPrecondition,
  secretNotFound,
  versionNotFound,
} from './errors.js';
import type { StoredSecret, StoredVersion } from './model.js';
import { badFormat, type Names, versionName } from './names.js';
import type { Notifier, SecretEventType } from './notifications.js';
import { secretJson, versionJson } from './render.js';

/** A fresh etag in the service's format: a quoted hex string. */
export function newEtag(): string {
  return `"${randomBytes(7).toString('hex')}"`;
}

export class SecretStore {
  private readonly secrets = new Map<string, StoredSecret>();

  constructor(
    readonly names: Names,
    readonly now: () => Date,
    readonly notifier: Notifier,
  ) {}

  /** Every stored secret, sorted by name (the order ListSecrets answers in). */
  all(): StoredSecret[] {
    this.purgeExpired();
    return [...this.secrets.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  has(name: string): boolean {
    this.purgeExpired();
    return this.secrets.has(name);
  }

  /** The secret `name` (canonical), or NOT_FOUND in Google's words. */
  get(name: string): StoredSecret {
    this.purgeExpired();
    const s = this.secrets.get(name);
    if (!s) throw secretNotFound(name);
    return s;
  }

  insert(secret: StoredSecret): void {
    if (this.has(secret.name)) throw alreadyExists(`Secret [${secret.name}] already exists.`);
    this.secrets.set(secret.name, secret);
    this.publish('TOPIC_CONFIGURED', secret, undefined, secret.topics);
    this.publish('SECRET_CREATE', secret);
  }

  /** Replaces a secret after an update; `newTopics` get the TOPIC_CONFIGURED test message. */
  replace(secret: StoredSecret, newTopics: string[]): void {
    this.secrets.set(secret.name, secret);
    this.publish('TOPIC_CONFIGURED', secret, undefined, newTopics);
    this.publish('SECRET_UPDATE', secret);
  }

  delete(name: string, etag: string): void {
    const s = this.get(name);
    checkEtag(etag, s.etag, s.name);
    this.secrets.delete(name);
    this.publish('SECRET_DELETE', s);
  }

  /**
   * Resolves `projects/p/secrets/s/versions/{n|latest|alias}`. `latest` is the newest
   * version whatever its state. Aliases resolve only where `allowAlias` (Get and Access).
   */
  resolve(name: string, allowAlias: boolean): { secret: StoredSecret; version: StoredVersion } {
    const { secret: secretName, version: id } = this.names.version(name);
    const secret = this.get(secretName);
    let number: number | undefined;
    if (id === 'latest') {
      number = secret.versions.size > 0 ? Math.max(...secret.versions.keys()) : undefined;
      if (number === undefined) throw secretNotFound(secretName);
    } else if (/^[0-9]+$/.test(id)) number = Number(id);
    else if (allowAlias) number = secret.versionAliases[id];
    else throw badFormat(name);
    const version = number === undefined ? undefined : secret.versions.get(number);
    if (!version) throw versionNotFound(`${secretName}/versions/${id}`);
    return { secret, version };
  }

  addVersion(
    secret: StoredSecret,
    data: Buffer,
    crc32c: number,
    clientChecksum: boolean,
  ): StoredVersion {
    const number = secret.lastVersion + 1;
    const version: StoredVersion = {
      name: versionName(secret.name, number),
      number,
      createTime: this.now(),
      state: 'ENABLED',
      data,
      crc32c,
      clientSpecifiedPayloadChecksum: clientChecksum,
      etag: newEtag(),
    };
    secret.lastVersion = number;
    secret.versions.set(number, version);
    this.publish('SECRET_VERSION_ADD', secret, version);
    return version;
  }

  /** Enable or disable; even a no-op change gets a new etag (the etags page says so). */
  setState(name: string, etag: string, state: 'ENABLED' | 'DISABLED'): StoredVersion {
    const { secret, version } = this.resolve(name, false);
    checkEtag(etag, version.etag, version.name);
    if (version.state === 'DESTROYED') throw stateError(version);
    version.state = state;
    delete version.scheduledDestroyTime;
    version.etag = newEtag();
    this.publish(
      state === 'ENABLED' ? 'SECRET_VERSION_ENABLE' : 'SECRET_VERSION_DISABLE',
      secret,
      version,
    );
    return version;
  }

  /**
   * Destroys the data for good, or — when the secret has a `version_destroy_ttl` —
   * disables the version and schedules destruction.
   * https://cloud.google.com/secret-manager/docs/delay-destroy-secret-version
   */
  destroy(name: string, etag: string): StoredVersion {
    const { secret, version } = this.resolve(name, false);
    checkEtag(etag, version.etag, version.name);
    if (version.state === 'DESTROYED') throw stateError(version);
    version.etag = newEtag();
    if (secret.versionDestroyTtlSeconds) {
      version.state = 'DISABLED';
      version.scheduledDestroyTime = new Date(
        this.now().getTime() + secret.versionDestroyTtlSeconds * 1000,
      );
      this.publish('SECRET_VERSION_DESTROY_SCHEDULED', secret, version);
      return version;
    }
    this.finishDestroy(secret, version);
    return version;
  }

  /** Runs the service's background work due at `now`: expiry, delayed destroys, rotation. */
  tick(): void {
    this.purgeExpired();
    const now = this.now();
    for (const secret of this.all()) {
      for (const v of secret.versions.values()) {
        if (v.scheduledDestroyTime && v.scheduledDestroyTime <= now) this.finishDestroy(secret, v);
      }
      const next = secret.rotation?.nextRotationTime;
      if (!secret.rotation || !next || next > now) continue;
      const period = secret.rotation.rotationPeriodSeconds;
      if (period === undefined) delete secret.rotation.nextRotationTime;
      else {
        // Catch up missed periods with one notification, as a late scheduler would.
        let t = next.getTime();
        while (t <= now.getTime()) t += period * 1000;
        secret.rotation.nextRotationTime = new Date(t);
      }
      this.publish('SECRET_ROTATE', secret);
    }
  }

  private finishDestroy(secret: StoredSecret, version: StoredVersion): void {
    version.state = 'DESTROYED';
    version.destroyTime = this.now();
    delete version.scheduledDestroyTime;
    delete version.data;
    this.publish('SECRET_VERSION_DESTROY', secret, version);
  }

  private purgeExpired(): void {
    const now = this.now();
    for (const [name, s] of this.secrets) {
      if (s.expireTime && s.expireTime <= now) {
        this.secrets.delete(name);
        this.publish('SECRET_DELETE', s);
      }
    }
  }

  private publish(
    type: SecretEventType,
    secret: StoredSecret,
    version?: StoredVersion,
    topics: string[] = secret.topics,
  ): void {
    if (topics.length === 0) return;
    this.notifier.publish({
      type,
      topics,
      secretName: secret.name,
      versionName: version?.name,
      resource:
        type === 'TOPIC_CONFIGURED'
          ? undefined
          : version
            ? versionJson(version, secret)
            : secretJson(secret),
    });
  }
}

/** An empty etag skips the check; any other value must match exactly. */
export function checkEtag(given: string, current: string, resource: string): void {
  if (given !== '' && given !== current) throw etagMismatch(resource);
}

/** FAILED_PRECONDITION in Google's words for a version in the wrong state. */
export function stateError(v: StoredVersion) {
  return failedPrecondition(`Secret Version [${v.name}] is in ${v.state} state.`);
}
