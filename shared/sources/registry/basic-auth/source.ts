/**
 * A username and password for a registry that has no API to mint credentials (a plain
 * Distribution registry behind `htpasswd`, Harbor robot accounts rotated in its UI, a
 * vendor registry). credrot cannot mint such a password, so this source does the rest of
 * the job and asks a person for the one step it cannot do:
 * - **mint** adopts the password found at the configured secret reference
 *   (`source.password`). When that is still the value consumers hold, it fails with
 *   `ManualRotationRequired`, whose message says what to do; `credrot rotate` reports it
 *   as a failure (exit 1) from the moment the credential is due (its critical window)
 *   until someone rotates the password and updates the reference.
 * - **verify** logs in to the registry and pulls the configured image before any
 *   consumer gets the new password: a mistyped password is rolled back, not published.
 * - **revoke** does nothing: the person who changed the password at the registry retired
 *   the old one. **status** is the stored rotate-by date (`policy.lifetime` after adoption).
 * No command or URL is run to mint: the core never executes configured programs.
 */
import { CredrotError } from '../../../errors.js';
import { registryBaseUrl } from '../../../registry/address.js';
import type { MintRequest, StoredCredential } from '../../../rotation/types.js';
import { fingerprint } from '../../../util/fingerprint.js';
import { endOfPolicy, RegistrySource, type RegistryTarget } from '../common.js';

/** credrot cannot mint this credential: a person must rotate it (the message says how). */
export class ManualRotationRequired extends CredrotError {
  constructor(message: string, context: Record<string, string>) {
    super(message, { context });
    this.name = 'ManualRotationRequired';
  }
}

export interface BasicAuthSourceOptions {
  credential: string;
  target: RegistryTarget;
  username: string;
  /** Reads the password from its secret reference (never logged). */
  readPassword: () => Promise<string>;
  /** Where the password is kept, in words, for messages: `environment variable X`. */
  passwordLocation: string;
  now?: () => Date;
}

export class BasicAuthRegistrySource extends RegistrySource {
  readonly kind = 'registry-basic-auth' as const;

  constructor(private readonly options: BasicAuthSourceOptions) {
    super(options.target, options.now);
  }

  async mint(req: MintRequest): Promise<StoredCredential> {
    const { credential, target, username, passwordLocation } = this.options;
    const password = await this.options.readPassword();
    if (req.current && req.current.token === password && req.current.username === username) {
      throw new ManualRotationRequired(
        `${credential}: credrot cannot mint a password for registry ${target.registry}, and the password at ${passwordLocation} is still the one consumers hold (${fingerprint(password)}). Rotate it by hand: change it at the registry, store the new one at ${passwordLocation}, then run credrot rotate ${credential}; credrot verifies it against the registry and publishes it`,
        { credential, registry: target.registry },
      );
    }
    return {
      token: password,
      username,
      kind: this.kind,
      credential,
      sourceId: 0,
      gitlabUrl: registryBaseUrl(target.registry),
      // Not an expiry the registry enforces: the date by which a person should rotate it.
      expiresAt: endOfPolicy(req.expiresOn),
      rotationId: req.rotationId,
      mintedAt: req.now.toISOString(),
    };
  }
}
