/**
 * Google Artifact Registry (and Container Registry) credentials for a service account,
 * in one of the two forms `docker login` accepts there
 * (https://cloud.google.com/artifact-registry/docs/docker/authentication):
 * - `access-token` (default): username `oauth2accesstoken`, password a one-hour OAuth
 *   access token obtained with the service account's own key. Nothing to revoke: the
 *   replaced token lapses within the hour. Rotated on schedule, like ECR's.
 * - `key`: username `_json_key`, password a new service-account key (its JSON file),
 *   created through the IAM keys API with credrot's own key, and deleted after the grace
 *   period. IAM keys carry no name or description, so a key minted by a run that died
 *   before storing it cannot be told apart from keys made by people: orphan recovery
 *   does not apply to this mode (the key stays listed in the service account's keys,
 *   where `gcloud iam service-accounts keys list` shows it).
 */
import { ProviderError } from '../../../errors.js';
import type { Fetch } from '../../../http/policy-fetch.js';
import type { MintRequest, SourceStatus, StoredCredential } from '../../../rotation/types.js';
import { endOfPolicy, RegistrySource, type RegistryTarget, statusByExpiry } from '../common.js';
import { IamKeys } from './iam.js';
import { accessTokenFor, parseServiceAccountKey, type ServiceAccountKey } from './oauth.js';

export interface ArtifactRegistrySourceOptions {
  credential: string;
  mode: 'access-token' | 'key';
  serviceAccount: string;
  /** Reads the key credrot signs with (the service account's own, or a key admin's). */
  readKey: () => Promise<string>;
  /** Where that key is kept, in words, for messages. */
  keyLocation: string;
  /** IAM API base URL; default https://iam.googleapis.com */
  iamUrl?: string;
  target: RegistryTarget;
  fetch: Fetch;
  now?: () => Date;
}

export class ArtifactRegistrySource extends RegistrySource {
  readonly kind = 'gcp-artifact-registry' as const;
  private signer: ServiceAccountKey | undefined;

  constructor(private readonly options: ArtifactRegistrySourceOptions) {
    super(options.target, options.now);
  }

  private async key(): Promise<ServiceAccountKey> {
    this.signer ??= parseServiceAccountKey(await this.options.readKey(), this.options.keyLocation);
    return this.signer;
  }

  private iam(): IamKeys {
    return new IamKeys({
      ...(this.options.iamUrl ? { baseUrl: this.options.iamUrl } : {}),
      serviceAccount: this.options.serviceAccount,
      fetch: this.options.fetch,
      bearer: async () =>
        (await accessTokenFor(await this.key(), { fetch: this.options.fetch, now: this.now() }))
          .token,
    });
  }

  async mint(req: MintRequest): Promise<StoredCredential> {
    const base = {
      kind: this.kind,
      credential: this.options.credential,
      gitlabUrl: this.options.iamUrl ?? 'https://iam.googleapis.com',
      rotationId: req.rotationId,
      mintedAt: req.now.toISOString(),
    };
    if (this.options.mode === 'access-token') {
      const key = await this.key();
      if (key.client_email !== this.options.serviceAccount) {
        throw new ProviderError(
          `${this.options.keyLocation} belongs to ${key.client_email}, not to ${this.options.serviceAccount}: in access-token mode credrot signs with the service account's own key`,
        );
      }
      const got = await accessTokenFor(key, { fetch: this.options.fetch, now: req.now });
      return {
        ...base,
        token: got.token,
        username: 'oauth2accesstoken',
        sourceId: 0,
        expiresAt: got.expiresAt.toISOString(),
      };
    }
    const created = await this.iam().create();
    const keyId = created.name.split('/').pop() ?? '';
    if (!created.privateKeyData || !/^[0-9a-f]{12,}$/i.test(keyId)) {
      throw new ProviderError(
        `IAM created a key for ${this.options.serviceAccount} but answered no private key data; delete key ${keyId || '(unknown)'} by hand and retry`,
      );
    }
    const keyText = Buffer.from(created.privateKeyData, 'base64').toString('utf8');
    parseServiceAccountKey(keyText, `the key IAM created (${keyId.slice(0, 8)})`);
    const validBefore = Date.parse(created.validBeforeTime ?? '');
    const rotateBy = endOfPolicy(req.expiresOn);
    return {
      ...base,
      token: keyText,
      username: '_json_key',
      // The key id is 40 hex digits; its first 48 bits fit a number for display.
      sourceId: Number.parseInt(keyId.slice(0, 12), 16),
      expiresAt:
        Number.isFinite(validBefore) && validBefore < Date.parse(rotateBy)
          ? new Date(validBefore).toISOString()
          : rotateBy,
    };
  }

  override async revoke(value: StoredCredential): Promise<void> {
    if (value.username !== '_json_key') return; // an access token lapses within the hour
    await this.iam().delete(keyIdOf(value));
  }

  override async status(value: StoredCredential): Promise<SourceStatus> {
    if (value.username !== '_json_key') return statusByExpiry(value, this.now());
    const key = await this.iam().get(keyIdOf(value));
    if (!key) return { state: 'missing' };
    if (key.disabled) return { state: 'revoked', expiresAt: value.expiresAt };
    return statusByExpiry(value, this.now());
  }
}

/** The IAM key id, from the key file credrot stored (`private_key_id`). */
function keyIdOf(value: StoredCredential): string {
  return parseServiceAccountKey(value.token, `the stored key of ${value.credential}`)
    .private_key_id;
}
