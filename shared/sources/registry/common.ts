/**
 * What every registry credential source shares: where the credential is used (the
 * registry, and the image it must be able to pull) and how it is proven there before
 * any consumer gets it. A new registry kind is one folder next to this file implementing
 * `CredentialSource` (mint, revoke, status) and delegating `verify` to `proveAtRegistry`,
 * plus one case in shared/rotation/assemble.ts.
 */
import type { Fetch } from '../../http/policy-fetch.js';
import { verifyRegistryCredential } from '../../registry/verify.js';
import type {
  CredentialSource,
  MintRequest,
  Orphan,
  SourceStatus,
  StoredCredential,
} from '../../rotation/types.js';

/** The registry a credential logs in to, and what it must be able to do there. */
export interface RegistryTarget {
  /** `host[:port]` (or a URL) of the registry. */
  registry: string;
  /** Repository to read, e.g. `group/project`; without it only the login is proven. */
  repository?: string;
  /** Tag or digest; default `latest`. */
  reference?: string;
  /** Also prove push access. */
  push?: boolean;
  fetch?: Fetch;
}

/**
 * Logs in to the registry with the value and reads the target image's manifest.
 * @returns a secret-free proof line for the verify step's output.
 * @throws VerificationError (refused: the rotation rolls back) or ProviderError (registry down: retried next run).
 */
export async function proveAtRegistry(
  target: RegistryTarget,
  value: StoredCredential,
): Promise<string> {
  const proof = await verifyRegistryCredential({
    registry: target.registry,
    credentials: { username: value.username ?? '', password: value.token },
    ...(target.repository ? { repository: target.repository } : {}),
    ...(target.reference ? { reference: target.reference } : {}),
    ...(target.push ? { push: true } : {}),
    ...(target.fetch ? { fetch: target.fetch } : {}),
  });
  return `verified before promotion: ${proof.summary}`;
}

/** A value credrot cannot ask the source about: active until its stored expiry passes. */
export function statusByExpiry(value: StoredCredential, now: Date): SourceStatus {
  const state = now.getTime() >= Date.parse(value.expiresAt) ? 'expired' : 'active';
  return { state, expiresAt: value.expiresAt };
}

/** The instant a value minted for `expiresOn` (YYYY-MM-DD) should be rotated by. */
export function endOfPolicy(expiresOn: string): string {
  return new Date(`${expiresOn}T00:00:00Z`).toISOString();
}

/**
 * The defaults of a registry credential source: verified at the registry; nothing to
 * revoke (a token that lapses on its own, a password changed elsewhere); status from the
 * stored expiry; no orphans (such sources mint nothing that outlives its expiry unseen).
 * A kind that can do better overrides the method.
 */
export abstract class RegistrySource implements CredentialSource {
  abstract readonly kind: CredentialSource['kind'];
  protected readonly now: () => Date;

  constructor(
    protected readonly target: RegistryTarget,
    now?: () => Date,
  ) {
    this.now = now ?? (() => new Date());
  }

  abstract mint(request: MintRequest): Promise<StoredCredential>;

  verify(value: StoredCredential): Promise<string> {
    return proveAtRegistry(this.target, value);
  }

  async revoke(_value: StoredCredential): Promise<void> {}

  async status(value: StoredCredential): Promise<SourceStatus> {
    return statusByExpiry(value, this.now());
  }

  async findMinted(): Promise<Orphan[]> {
    return [];
  }

  async revokeOrphan(_orphan: Orphan): Promise<void> {}
}
