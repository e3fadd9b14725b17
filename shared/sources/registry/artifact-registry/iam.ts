/**
 * The IAM service-account keys API, REST, the three calls credrot needs:
 * `keys.create`, `keys.get` and `keys.delete` on `projects/-/serviceAccounts/{email}`.
 * https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys
 * Every call carries an OAuth access token (cloud-platform scope) of an identity with
 * `iam.serviceAccountKeys.*` on the service account.
 */
import { PermissionError, ProviderError } from '../../../errors.js';
import type { Fetch } from '../../../http/policy-fetch.js';

export const DEFAULT_IAM_URL = 'https://iam.googleapis.com';

/** A `ServiceAccountKey` resource, as much of it as credrot reads. */
export interface IamKey {
  /** `projects/{p}/serviceAccounts/{email}/keys/{keyId}` */
  name: string;
  /** Base64 of the JSON key file; only in the answer to `create`. A secret. */
  privateKeyData?: string;
  validAfterTime?: string;
  /** `9999-12-31T23:59:59Z` for a key without expiry. */
  validBeforeTime?: string;
  disabled?: boolean;
  keyType?: string;
}

export interface IamKeysOptions {
  /** Default https://iam.googleapis.com */
  baseUrl?: string;
  serviceAccount: string;
  /** An access token for the call (fetched per call: it lives an hour). */
  bearer: () => Promise<string>;
  fetch: Fetch;
}

export class IamKeys {
  private readonly base: string;

  constructor(private readonly options: IamKeysOptions) {
    const root = (options.baseUrl ?? DEFAULT_IAM_URL).replace(/\/$/, '');
    this.base = `${root}/v1/projects/-/serviceAccounts/${encodeURIComponent(options.serviceAccount)}/keys`;
  }

  /** Creates a key (POST: never retried but on 429, so a lost answer leaves at most one stray key). */
  create(): Promise<IamKey> {
    return this.call('POST', this.base, 'create a key', {
      privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
      keyAlgorithm: 'KEY_ALG_RSA_2048',
    }) as Promise<IamKey>;
  }

  /** The key, or undefined when it does not exist (deleted). */
  async get(keyId: string): Promise<IamKey | undefined> {
    try {
      return (await this.call('GET', `${this.base}/${keyId}`, 'read a key')) as IamKey;
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Deletes the key; an already deleted key counts as success. */
  async delete(keyId: string): Promise<void> {
    try {
      await this.call('DELETE', `${this.base}/${keyId}`, 'delete a key');
    } catch (err) {
      if (err instanceof ProviderError && err.status === 404) return;
      throw err;
    }
  }

  private async call(method: string, url: string, what: string, body?: unknown): Promise<unknown> {
    const res = await this.options.fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${await this.options.bearer()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.ok) return text ? JSON.parse(text) : {};
    let reason = '';
    try {
      const parsed = JSON.parse(text) as { error?: { status?: string; message?: string } };
      reason = parsed.error?.status ?? '';
    } catch {
      // not JSON: the status says enough
    }
    const message = `IAM refused to ${what} of service account ${this.options.serviceAccount}: ${res.status}${reason ? ` ${reason}` : ''}`;
    if (res.status === 401 || res.status === 403)
      throw new PermissionError(
        `${message}; credrot's key needs roles/iam.serviceAccountKeyAdmin on the service account`,
        { status: res.status },
      );
    throw new ProviderError(message, {
      status: res.status,
      retryable: res.status === 429 || res.status >= 500,
    });
  }
}
