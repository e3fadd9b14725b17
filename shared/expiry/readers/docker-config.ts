/**
 * Docker `config.json` (`~/.docker/config.json`, a `kubernetes.io/dockerconfigjson`
 * Secret's payload). Format: https://github.com/docker/cli/blob/master/cli/config/configfile/file.go
 * — `auths` maps a registry to `{ auth: base64("user:password") }` or to separate
 * `username`/`password`, `identitytoken` (OAuth refresh token) or `registrytoken`.
 * A plain password carries no expiry; when it is a JWT (registry bearer tokens, some
 * cloud registries' short-lived passwords) its `exp` is the expiry.
 */
import { ParseError } from '../../errors.js';
import { fingerprint } from '../../util/fingerprint.js';
import type { ExpiryWindow } from '../types.js';
import { decodeBase64, isRecord, parseJsonText } from './common.js';
import { looksLikeJwt, readJwt, SIGNATURE_NOT_VERIFIED } from './jwt.js';

interface RegistryCredential {
  username: string;
  secret: string;
  /** Which field the secret came from, for the detail line. */
  field: 'password' | 'identitytoken' | 'registrytoken';
}

/**
 * One window per registry in `auths` that holds inline credentials. `input` is the JSON
 * text or the parsed object. Entries without inline credentials (held by `credsStore` /
 * `credHelpers`) are skipped; a file with none at all is a `ParseError`.
 */
export function readDockerConfig(input: string | unknown): ExpiryWindow[] {
  const config = typeof input === 'string' ? parseJsonText(input, 'Docker config') : input;
  if (!isRecord(config)) throw new ParseError('Docker config is not a JSON object');
  const auths = config['auths'];
  if (auths === undefined) throw new ParseError("Docker config has no 'auths' object");
  if (!isRecord(auths)) throw new ParseError("Docker config 'auths' is not an object");

  const windows: ExpiryWindow[] = [];
  for (const [registry, entry] of Object.entries(auths)) {
    const locator = `auths/${registry}`;
    if (!isRecord(entry)) throw new ParseError(`${locator} is not an object`);
    const credential = credentialOf(entry, locator);
    if (credential) windows.push(windowOf(registry, credential, locator));
  }
  if (windows.length === 0) {
    const helper =
      typeof config['credsStore'] === 'string' ? ` (credsStore "${config['credsStore']}")` : '';
    throw new ParseError(`Docker config holds no inline credentials in 'auths'${helper}`);
  }
  return windows;
}

function credentialOf(
  entry: Record<string, unknown>,
  locator: string,
): RegistryCredential | undefined {
  for (const field of ['registrytoken', 'identitytoken'] as const) {
    const value = entry[field];
    if (typeof value === 'string' && value !== '') {
      const username = typeof entry['username'] === 'string' ? entry['username'] : '<token>';
      return { username, secret: value, field };
    }
  }
  if (typeof entry['auth'] === 'string' && entry['auth'] !== '') {
    const decoded = decodeBase64(entry['auth'], `${locator} auth`).toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new ParseError(`${locator} auth does not decode to "username:password"`);
    }
    return {
      username: decoded.slice(0, colon),
      secret: decoded.slice(colon + 1),
      field: 'password',
    };
  }
  if (typeof entry['password'] === 'string' && entry['password'] !== '') {
    const username = typeof entry['username'] === 'string' ? entry['username'] : '';
    return { username, secret: entry['password'], field: 'password' };
  }
  return undefined;
}

function windowOf(registry: string, credential: RegistryCredential, locator: string): ExpiryWindow {
  const subject = `${credential.username}@${registry}`;
  if (looksLikeJwt(credential.secret)) {
    const claims = readJwt(credential.secret, { locator });
    return {
      ...claims,
      kind: 'docker-auth',
      subject,
      detail: `${credential.field} is a JWT (sub ${claims.subject}); ${SIGNATURE_NOT_VERIFIED}`,
    };
  }
  return {
    kind: 'docker-auth',
    subject,
    fingerprint: fingerprint(credential.secret),
    locator,
    detail: `${credential.field} is opaque: only the registry knows when it expires`,
  };
}
