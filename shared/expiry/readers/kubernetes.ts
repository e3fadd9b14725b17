/**
 * Certificates and tokens embedded in Kubernetes objects:
 * - kubeconfig (https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/):
 *   `clusters[].cluster.certificate-authority-data`, `users[].user.client-certificate-data`
 *   (base64 PEM) and `users[].user.token` (a JWT when it is a service-account token);
 * - `caBundle` (base64 PEM) of Validating/MutatingWebhookConfiguration `webhooks[].clientConfig`,
 *   CustomResourceDefinition `spec.conversion.webhook.clientConfig` and APIService `spec`
 *   (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/).
 * File references (`certificate-authority: /path`) are not followed: the reader is pure.
 */
import { ParseError } from '../../errors.js';
import { fingerprint } from '../../util/fingerprint.js';
import type { ExpiryWindow } from '../types.js';
import { decodeBase64, isRecord, parseYamlDocuments } from './common.js';
import { looksLikeJwt, readJwt } from './jwt.js';
import { readCertificates } from './x509.js';

/**
 * Decodes a base64 `caBundle` / `*-data` field and reads every certificate in it.
 * @param locator names the credential in windows and errors, e.g. `clusters/prod`
 * @param field names the field in errors, e.g. `certificate-authority-data`
 */
export function readBase64Certificates(
  value: unknown,
  locator: string,
  field = 'caBundle',
): ExpiryWindow[] {
  const where = `${locator} ${field}`;
  if (typeof value !== 'string') throw new ParseError(`${where} is not a string`);
  const pem = decodeBase64(value, where);
  try {
    return readCertificates(pem, { locator });
  } catch (error) {
    if (error instanceof ParseError) throw new ParseError(`${where}: ${error.message}`);
    throw error;
  }
}

/** Windows for every embedded CA, client certificate and token of a kubeconfig (YAML text). */
export function readKubeconfig(text: string): ExpiryWindow[] {
  const [config] = parseYamlDocuments(text, 'kubeconfig');
  if (!isRecord(config)) throw new ParseError('kubeconfig is not a YAML mapping');
  const windows: ExpiryWindow[] = [];
  for (const { name, body } of namedEntries(config, 'clusters', 'cluster')) {
    if (body['certificate-authority-data'] !== undefined) {
      const field = 'certificate-authority-data';
      windows.push(...readBase64Certificates(body[field], `clusters/${name}`, field));
    }
  }
  for (const { name, body } of namedEntries(config, 'users', 'user')) {
    const prefix = `users/${name}`;
    if (body['client-certificate-data'] !== undefined) {
      const field = 'client-certificate-data';
      windows.push(...readBase64Certificates(body[field], `${prefix}/client-certificate`, field));
    }
    const token = body['token'];
    if (typeof token === 'string' && token !== '') {
      const locator = `${prefix}/token`;
      windows.push(
        looksLikeJwt(token)
          ? readJwt(token, { locator })
          : {
              kind: 'jwt',
              subject: name,
              fingerprint: fingerprint(token),
              locator,
              detail: 'opaque bearer token: only the API server knows when it expires',
            },
      );
    }
  }
  if (windows.length === 0) {
    throw new ParseError(
      'kubeconfig embeds no certificate-authority-data, client-certificate-data or token',
    );
  }
  return windows;
}

/**
 * Windows for every `caBundle` in webhook-bearing objects (one or more YAML documents,
 * or a `kind: List`). Webhooks without a caBundle trust the API server's roots and are
 * skipped; a file with no caBundle at all is a `ParseError`.
 */
export function readWebhookConfiguration(text: string): ExpiryWindow[] {
  const objects = parseYamlDocuments(text, 'webhook configuration').flatMap((doc) =>
    isRecord(doc) && doc['kind'] === 'List' && Array.isArray(doc['items']) ? doc['items'] : [doc],
  );
  const windows: ExpiryWindow[] = [];
  for (const object of objects) {
    if (!isRecord(object)) throw new ParseError('webhook configuration is not a YAML mapping');
    const kind = typeof object['kind'] === 'string' ? object['kind'] : '(no kind)';
    const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
    const id = `${kind}/${typeof metadata['name'] === 'string' ? metadata['name'] : '(no name)'}`;
    for (const { path, caBundle } of caBundlesOf(object)) {
      windows.push(...readBase64Certificates(caBundle, `${id}${path}`));
    }
  }
  if (windows.length === 0) {
    throw new ParseError(
      'no caBundle found (expected a Validating/MutatingWebhookConfiguration, CustomResourceDefinition or APIService)',
    );
  }
  return windows;
}

function caBundlesOf(object: Record<string, unknown>): { path: string; caBundle: unknown }[] {
  const found: { path: string; caBundle: unknown }[] = [];
  if (Array.isArray(object['webhooks'])) {
    object['webhooks'].forEach((webhook: unknown, index) => {
      if (!isRecord(webhook) || !isRecord(webhook['clientConfig'])) return;
      const caBundle = webhook['clientConfig']['caBundle'];
      if (caBundle === undefined || caBundle === '') return;
      const name = typeof webhook['name'] === 'string' ? webhook['name'] : `#${index}`;
      found.push({ path: `/${name}`, caBundle });
    });
  }
  const spec = isRecord(object['spec']) ? object['spec'] : undefined;
  if (spec && spec['caBundle'] !== undefined) found.push({ path: '', caBundle: spec['caBundle'] });
  const conversion = spec && isRecord(spec['conversion']) ? spec['conversion'] : undefined;
  const webhook = conversion && isRecord(conversion['webhook']) ? conversion['webhook'] : undefined;
  const clientConfig =
    webhook && isRecord(webhook['clientConfig']) ? webhook['clientConfig'] : undefined;
  if (clientConfig && clientConfig['caBundle'] !== undefined) {
    found.push({ path: '/conversion', caBundle: clientConfig['caBundle'] });
  }
  return found;
}

function namedEntries(
  config: Record<string, unknown>,
  list: string,
  field: string,
): { name: string; body: Record<string, unknown> }[] {
  const entries = config[list];
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries)) throw new ParseError(`kubeconfig '${list}' is not a list`);
  return entries.map((entry: unknown, index) => {
    const name = isRecord(entry) && typeof entry['name'] === 'string' ? entry['name'] : `#${index}`;
    const body = isRecord(entry) ? entry[field] : undefined;
    if (!isRecord(body))
      throw new ParseError(`kubeconfig ${list}[${JSON.stringify(name)}] has no '${field}' mapping`);
    return { name, body };
  });
}
