/**
 * The token signer behind the sandbox's `/jwt/auth`: a key pair and a self-signed
 * certificate made at start-up. The certificate goes into Distribution's
 * `auth.token.rootcertbundle`; tokens carry the libtrust key id in `kid` (as GitLab's
 * do) or, on request, the certificate itself in `x5c`.
 *
 * Token format: https://distribution.github.io/distribution/spec/auth/jwt/
 * Distribution 2.8 (`registry/auth/token/token.go`) checks `iss` against `issuer`,
 * `aud` (a single string in 2.8) against `service`, `exp`/`nbf` with 60 s of leeway,
 * then the signature with a key from the bundle, found by `x5c`, `jwk` or `kid`.
 */
import { randomUUID, webcrypto } from 'node:crypto';
// Must run before @peculiar/x509 loads (see the file).
import 'reflect-metadata';
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509CertificateGenerator,
} from '@peculiar/x509';
import { SignJWT } from 'jose';
import { type Clock, MS, systemClock } from '../../shared/util/clock.js';
import { libtrustKeyId } from './libtrust.js';

export type RegistryTokenAlgorithm = 'RS256' | 'ES256';

export interface RegistryAuthority {
  /** `iss` of every token; Distribution's `auth.token.issuer`. */
  issuer: string;
  /** `aud` of every token and the `service` the registry names in its challenge. */
  service: string;
  algorithm: RegistryTokenAlgorithm;
  signingKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  /** libtrust fingerprint of the public key, sent as `kid`. */
  keyId: string;
  /** Self-signed certificate of the public key (PEM), the registry's root bundle. */
  certificatePem: string;
  /** The same certificate as DER, for `x5c`. */
  certificateDer: Uint8Array;
}

export interface CreateRegistryAuthorityOptions {
  /** Default `gitlab-issuer`, the issuer Omnibus GitLab configures. */
  issuer?: string;
  /** Default `container_registry`, GitLab's audience for its registry. */
  service?: string;
  /** Default RS256, the algorithm GitLab signs registry tokens with. */
  algorithm?: RegistryTokenAlgorithm;
}

const ALGORITHMS = {
  RS256: {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
  ES256: { name: 'ECDSA', namedCurve: 'P-256' },
} as const;

/** Makes a fresh signing key and certificate (≈50–150 ms for RSA-2048). */
export async function createRegistryAuthority(
  opts: CreateRegistryAuthorityOptions = {},
): Promise<RegistryAuthority> {
  const algorithm = opts.algorithm ?? 'RS256';
  const keys = (await webcrypto.subtle.generateKey(ALGORITHMS[algorithm], true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const certificate = await X509CertificateGenerator.createSelfSigned({
    name: 'CN=credrot sandbox registry token signer',
    keys,
    // Backdated so that a test that moves the token clock back still finds it valid.
    notBefore: new Date(now - MS.day),
    notAfter: new Date(now + 365 * MS.day),
    signingAlgorithm:
      algorithm === 'RS256' ? ALGORITHMS.RS256 : { ...ALGORITHMS.ES256, hash: 'SHA-256' },
    extensions: [
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign, true),
    ],
  });
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  return {
    issuer: opts.issuer ?? 'gitlab-issuer',
    service: opts.service ?? 'container_registry',
    algorithm,
    signingKey: keys.privateKey,
    publicKey: keys.publicKey,
    keyId: libtrustKeyId(spki),
    certificatePem: certificate.toString('pem'),
    certificateDer: new Uint8Array(certificate.rawData),
  };
}

/** One entry of the token's `access` claim. */
export interface RegistryAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface IssueRegistryTokenOptions {
  /** `sub`; omitted when empty, as GitLab does for deploy tokens. */
  subject: string;
  access: RegistryAccess[];
  now?: Clock;
  /** Lifetime in seconds; default 300, GitLab's `container_registry_token_expire_delay` of 5 minutes. */
  ttlSeconds?: number;
  /** How the registry finds the key: `kid` (GitLab's way, default) or the certificate in `x5c`. */
  keyReference?: 'kid' | 'x5c';
}

export interface IssuedRegistryToken {
  token: string;
  issuedAt: Date;
  expiresInSeconds: number;
}

/** Signs a registry bearer token with the authority's key. */
export async function issueRegistryToken(
  authority: RegistryAuthority,
  opts: IssueRegistryTokenOptions,
): Promise<IssuedRegistryToken> {
  const issuedAt = (opts.now ?? systemClock)();
  const ttl = opts.ttlSeconds ?? 300;
  const iat = Math.floor(issuedAt.getTime() / 1000);
  const header =
    opts.keyReference === 'x5c'
      ? {
          alg: authority.algorithm,
          typ: 'JWT',
          x5c: [Buffer.from(authority.certificateDer).toString('base64')],
        }
      : { alg: authority.algorithm, typ: 'JWT', kid: authority.keyId };
  let jwt = new SignJWT({ access: opts.access })
    .setProtectedHeader(header)
    .setIssuer(authority.issuer)
    .setAudience(authority.service)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    // GitLab's JSONWebToken::Token starts validity 5 s early against clock skew.
    .setNotBefore(iat - 5)
    .setExpirationTime(iat + ttl);
  if (opts.subject !== '') jwt = jwt.setSubject(opts.subject);
  const token = await jwt.sign(authority.signingKey);
  return { token, issuedAt, expiresInSeconds: ttl };
}
