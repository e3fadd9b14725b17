/**
 * The three small interfaces that carry the design (STYLE.md habit 2): a credential
 * source, a secret store, a credential sink. Inputs and outputs are our own types,
 * never SDK shapes, so the engine is testable and a new provider is one folder.
 */
import type { CredentialKind } from '../config/schema.js';

/**
 * What a store holds for one credential value, as JSON. It carries everything needed to
 * verify and later revoke the value *from the state saved at mint time*, never from
 * today's configuration (external-secrets' Generate/Cleanup lesson).
 */
export interface StoredCredential {
  /** The secret itself. Never logged: only `fingerprint(token)` may be shown. */
  token: string;
  /** Username that goes with the token (deploy tokens, bot users, registries). */
  username?: string;
  kind: CredentialKind;
  /** The credential's name in credrot's configuration. */
  credential: string;
  /**
   * Source-side id of this token (GitLab token id). Registry kinds without a numeric id
   * use 0 (ECR tokens, basic-auth passwords, access tokens) or, for a service-account
   * key, the first 48 bits of its key id (the full id is inside the key itself).
   */
  sourceId: number;
  /**
   * Base URL of the service that minted it: the GitLab instance; for registry kinds the
   * minting API (ECR, IAM) or the registry itself (basic-auth credentials).
   */
  gitlabUrl: string;
  projectId?: number;
  groupId?: number;
  /** The user that owns the token (bot user for project/group tokens). */
  userId?: number;
  /** ISO-8601 instant after which the source refuses the token. */
  expiresAt: string;
  /** The rotation that minted this value; AWS ClientRequestToken / GCP annotation. */
  rotationId: string;
  /** ISO-8601 instant of minting. */
  mintedAt: string;
}

/** A source-side credential credrot minted but no store holds (crash between mint and stage). */
export interface Orphan {
  sourceId: number;
  rotationId: string;
  description: string;
}

export interface SourceStatus {
  state: 'active' | 'revoked' | 'expired' | 'missing';
  expiresAt?: string;
}

export interface MintRequest {
  rotationId: string;
  /** The value being replaced, if any (for rotate strategies and to copy name/scopes). */
  current?: StoredCredential;
  /** ISO date YYYY-MM-DD the new credential expires on. */
  expiresOn: string;
  now: Date;
}

export interface CredentialSource {
  readonly kind: CredentialKind;
  /**
   * Mints a new credential. Implementations never retry a non-idempotent call blindly:
   * on an ambiguous failure they throw, and the engine's orphan recovery cleans up.
   */
  mint(request: MintRequest): Promise<StoredCredential>;
  /**
   * Proves the value works by authenticating with it. Throws VerificationError. May
   * resolve to a one-line, secret-free description of the proof (shown as the verify
   * step's detail, e.g. the registry hops and their statuses).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most sources resolve to nothing (Promise<void>)
  verify(value: StoredCredential): Promise<void | string>;
  /** Revokes from saved state. Idempotent: already revoked or gone counts as success. */
  revoke(value: StoredCredential): Promise<void>;
  /** What the source says about a stored value now, without using the token itself. */
  status(value: StoredCredential): Promise<SourceStatus>;
  /** Credentials this credential's rotations minted (found by marker) that are still active. */
  findMinted(): Promise<Orphan[]>;
  revokeOrphan(orphan: Orphan): Promise<void>;
}

/** One version of a stored credential as the store reports it. */
export interface StoredVersion {
  /** AWS VersionId / GCP version number, as a string. */
  versionId: string;
  value: StoredCredential;
}

export interface StoreState {
  /** False when the secret does not exist yet (first rotation creates it). */
  exists: boolean;
  current?: StoredVersion;
  pending?: StoredVersion;
  previous?: StoredVersion;
  /** True once the previous version's credential was revoked at the source. */
  previousRetired: boolean;
  /** When the current version was promoted (start of the grace period). */
  promotedAt?: Date;
}

export interface Lease {
  holder: string;
  expiresAt: Date;
  /** Store-specific token proving ownership (AWS version id, GCP etag + nonce). */
  token: string;
}

export interface SecretStore {
  /** Human description without secrets: `aws-secrets-manager credrot/app (eu-west-1)`. */
  readonly label: string;
  read(): Promise<StoreState>;
  /** Takes the per-credential lease or throws LeaseHeldError; an expired lease is taken over. */
  acquireLease(holder: string, ttlMs: number, now: Date): Promise<Lease>;
  /** Releases if still ours; never throws for a lease that was already lost. */
  releaseLease(lease: Lease): Promise<void>;
  /** Writes the value as PENDING. Idempotent per `value.rotationId`. Creates the secret when absent. */
  stage(value: StoredCredential): Promise<void>;
  /** PENDING becomes CURRENT, CURRENT becomes PREVIOUS. Idempotent. */
  promote(rotationId: string, now: Date): Promise<void>;
  /** Drops a PENDING version (rollback). Idempotent. */
  discardPending(rotationId: string): Promise<void>;
  /** Records that the previous version's credential was revoked. Idempotent. */
  markPreviousRetired(rotationId: string): Promise<void>;
  /** Who holds the lease now, if anyone (for `credrot status`); read-only. */
  leaseInfo?(now: Date): Promise<{ holder: string; expiresAt: Date } | undefined>;
}

export interface RenderContext {
  token: string;
  username?: string;
  registry?: string;
}

export type PushOutcome = 'written' | 'unchanged';

export interface CredentialSink {
  /** Human description without secrets: `gitlab variable APP_TOKEN on project platform/app (scope *)`. */
  readonly label: string;
  /** Renders the sink's value from a credential; pure. */
  render(ctx: RenderContext): string;
  /** Refuses a value the sink cannot hold safely (e.g. cannot be masked), before any change. */
  validate(rendered: string): void;
  /** Writes the value. Idempotent; `unchanged` when the sink provably already holds it. */
  push(rendered: string): Promise<PushOutcome>;
  /**
   * The value the sink holds, `unreadable` when the API never returns values (GitHub
   * secrets, hidden GitLab variables), or undefined when absent.
   */
  readBack(): Promise<string | 'unreadable' | undefined>;
}

export type StepName =
  | 'lease'
  | 'recover'
  | 'mint'
  | 'stage'
  | 'distribute'
  | 'verify'
  | 'promote'
  | 'retire';
