/**
 * One curve25519 key pair per secret scope (repository, environment, organization), as
 * GitHub keeps them: clients fetch the public key, seal the value with libsodium's
 * `crypto_box_seal`, and send the sealed box with the `key_id` they used.
 *
 * https://docs.github.com/rest/guides/encrypting-secrets-for-the-rest-api
 */
import sodium from 'libsodium-wrappers';

interface KeyPair {
  keyId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export type OpenResult =
  | { ok: true; plaintext: string }
  | { ok: false; reason: 'unknown-key-id' | 'not-base64' | 'cannot-open' };

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class KeyRing {
  private readonly pairs = new Map<string, KeyPair>();
  private counter = 0;

  /** Resolves once libsodium's WebAssembly is loaded; every method below needs it. */
  ready(): Promise<void> {
    return sodium.ready;
  }

  /** The scope's current public key as GitHub answers it: `{ key_id, key }` (base64). */
  publicKey(scope: string): { key_id: string; key: string } {
    const pair = this.pair(scope);
    return {
      key_id: pair.keyId,
      key: sodium.to_base64(pair.publicKey, sodium.base64_variants.ORIGINAL),
    };
  }

  /** Replaces the scope's key pair; values sealed for the old `key_id` are then refused. */
  rotate(scope: string): void {
    this.pairs.set(scope, this.generate());
  }

  /** Opens a sealed box sent for `scope` with `keyId`. Never throws. */
  open(scope: string, keyId: string, encryptedValue: string): OpenResult {
    const pair = this.pair(scope);
    if (keyId !== pair.keyId) return { ok: false, reason: 'unknown-key-id' };
    if (!STRICT_BASE64.test(encryptedValue)) return { ok: false, reason: 'not-base64' };
    try {
      const sealed = sodium.from_base64(encryptedValue, sodium.base64_variants.ORIGINAL);
      const plaintext = sodium.crypto_box_seal_open(sealed, pair.publicKey, pair.privateKey);
      return { ok: true, plaintext: new TextDecoder('utf-8', { fatal: true }).decode(plaintext) };
    } catch {
      return { ok: false, reason: 'cannot-open' };
    }
  }

  private pair(scope: string): KeyPair {
    let pair = this.pairs.get(scope);
    if (!pair) {
      pair = this.generate();
      this.pairs.set(scope, pair);
    }
    return pair;
  }

  private generate(): KeyPair {
    const { publicKey, privateKey } = sodium.crypto_box_keypair();
    this.counter += 1;
    // GitHub's key ids are long decimal strings; the counter keeps ours unique and stable.
    const keyId = (568250167242549743n + BigInt(this.counter)).toString();
    return { keyId, publicKey, privateKey };
  }
}
