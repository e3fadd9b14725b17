/**
 * GitHub's secret encryption: a libsodium sealed box (X25519 + XSalsa20-Poly1305) for the
 * scope's public key, base64 both ways, exactly as
 * https://docs.github.com/rest/guides/encrypting-secrets-for-the-rest-api describes.
 */
import sodium from 'libsodium-wrappers';

/** One scope's public key as GitHub returns it (`key` is base64). */
export interface PublicKey {
  keyId: string;
  key: string;
}

/** Seals `value` (UTF-8) for `publicKey`; answers the base64 `encrypted_value`. */
export async function sealSecret(publicKey: string, value: string): Promise<string> {
  await sodium.ready;
  const key = sodium.from_base64(publicKey, sodium.base64_variants.ORIGINAL);
  const sealed = sodium.crypto_box_seal(sodium.from_string(value), key);
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}
