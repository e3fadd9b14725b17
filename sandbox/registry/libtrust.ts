/**
 * The key id Distribution 2.8 looks a token's `kid` up by. Distribution loads every
 * certificate of `auth.token.rootcertbundle` and indexes its public key by libtrust's
 * fingerprint (docker/libtrust util.go, `keyIDFromCryptoKey`): SHA-256 of the DER
 * SubjectPublicKeyInfo, the first 240 bits kept, RFC 4648 base32 (upper case, no
 * padding), written as 12 groups of 4 characters joined by `:`. GitLab puts the same
 * value in the `kid` header of the tokens its `/jwt/auth` endpoint signs.
 */
import { createHash } from 'node:crypto';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The libtrust key id of a public key given as DER SubjectPublicKeyInfo
 * (e.g. `ABCD:EFGH:...:MNOP`, 59 characters).
 */
export function libtrustKeyId(spkiDer: Uint8Array): string {
  // 30 bytes = 240 bits = exactly 48 base32 characters, so no padding ever appears.
  const digest = createHash('sha256').update(spkiDer).digest().subarray(0, 30);
  const encoded = base32(digest);
  const groups: string[] = [];
  for (let i = 0; i < encoded.length; i += 4) groups.push(encoded.slice(i, i + 4));
  return groups.join(':');
}
