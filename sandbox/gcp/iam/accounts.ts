/**
 * The state behind the sandbox IAM emulator: service accounts, their keys (real RSA-2048
 * key pairs, so a key file signs JWTs exactly as Google's does), the access tokens the
 * token endpoint issued, and who may manage whose keys.
 * Key resource: https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys#ServiceAccountKey
 */
import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';

/** What Google answers as `validBeforeTime` for a key that never expires. */
export const NO_EXPIRY = '9999-12-31T23:59:59Z';
export const ACCESS_TOKEN_SECONDS = 3599;

export interface KeyRecord {
  keyId: string;
  email: string;
  project: string;
  publicKey: KeyObject;
  /** PKCS#8 PEM, as the key file holds it. */
  privateKeyPem: string;
  validAfter: Date;
  disabled: boolean;
  deleted: boolean;
}

export interface AccountRecord {
  email: string;
  project: string;
  uniqueId: string;
  keys: Map<string, KeyRecord>;
  /** Emails of identities allowed to create, read and delete this account's keys. */
  keyAdmins: Set<string>;
  /** False: valid credentials of this account get 403 at the registry's token endpoint. */
  registryAccess: boolean;
}

export class IamState {
  readonly accounts = new Map<string, AccountRecord>();
  private readonly tokens = new Map<string, { email: string; expiresAt: Date }>();

  constructor(
    readonly now: () => Date,
    /** The token endpoint's URL, written into every key file as `token_uri`. */
    public tokenUri: string,
  ) {}

  account(email: string): AccountRecord | undefined {
    return this.accounts.get(email.toLowerCase());
  }

  createAccount(email: string, project: string): AccountRecord {
    const record: AccountRecord = {
      email: email.toLowerCase(),
      project,
      uniqueId: String(100_000_000_000_000_000_000n + BigInt(this.accounts.size + 1)),
      keys: new Map(),
      keyAdmins: new Set(),
      registryAccess: true,
    };
    this.accounts.set(record.email, record);
    return record;
  }

  /** Makes a key pair for the account (≈50 ms) and returns its record. */
  createKey(account: AccountRecord): KeyRecord {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key: KeyRecord = {
      keyId: randomBytes(20).toString('hex'),
      email: account.email,
      project: account.project,
      publicKey,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      validAfter: this.now(),
      disabled: false,
      deleted: false,
    };
    account.keys.set(key.keyId, key);
    return key;
  }

  /** A live key by id, across accounts. */
  liveKey(keyId: string): KeyRecord | undefined {
    for (const account of this.accounts.values()) {
      const key = account.keys.get(keyId);
      if (key && !key.deleted && !key.disabled) return key;
    }
    return undefined;
  }

  /** The Google credentials file for a key, as `keys.create` returns it (base64 in `privateKeyData`). */
  keyFile(key: KeyRecord): string {
    const account = this.account(key.email)!;
    return `${JSON.stringify(
      {
        type: 'service_account',
        project_id: key.project,
        private_key_id: key.keyId,
        private_key: key.privateKeyPem,
        client_email: key.email,
        client_id: account.uniqueId,
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: this.tokenUri,
        auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
        client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(key.email)}`,
        universe_domain: 'googleapis.com',
      },
      null,
      2,
    )}\n`;
  }

  issueToken(email: string): { token: string; expiresIn: number } {
    const token = `ya29.sandbox-${randomBytes(48).toString('base64url')}`;
    this.tokens.set(token, {
      email,
      expiresAt: new Date(this.now().getTime() + ACCESS_TOKEN_SECONDS * 1000),
    });
    return { token, expiresIn: ACCESS_TOKEN_SECONDS };
  }

  /** The account an unexpired access token belongs to. */
  tokenOwner(token: string): AccountRecord | undefined {
    const t = this.tokens.get(token);
    if (!t || this.now() >= t.expiresAt) return undefined;
    return this.account(t.email);
  }

  /** Ends every access token now (as if an hour passed). */
  expireTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = this.now();
  }

  /**
   * The registry's view: `oauth2accesstoken` with a live access token, or `_json_key`
   * with a live key's file. Answers the account, or undefined when the pair is not valid.
   */
  registryLogin(username: string, password: string): AccountRecord | undefined {
    if (username === 'oauth2accesstoken') return this.tokenOwner(password);
    if (username !== '_json_key') return undefined;
    let file: { private_key_id?: unknown; private_key?: unknown; client_email?: unknown };
    try {
      file = JSON.parse(password) as typeof file;
    } catch {
      return undefined;
    }
    if (typeof file.private_key_id !== 'string') return undefined;
    const key = this.liveKey(file.private_key_id);
    if (!key || key.privateKeyPem !== file.private_key || key.email !== file.client_email)
      return undefined;
    return this.account(key.email);
  }
}
