/**
 * The two documents a registry credential is published as, and how credrot updates its
 * own entries in a document it shares with others.
 * - `DOCKER_AUTH_CONFIG` / `~/.docker/config.json`: `{"auths":{"<registry>":{"auth":"<base64 user:password>"}}}`
 *   (https://docs.gitlab.com/ci/docker/using_docker_images/#determine-your-docker_auth_config-data).
 * - `.dockerconfigjson`, the payload of a `kubernetes.io/dockerconfigjson` Secret, as
 *   `kubectl create secret docker-registry` writes it: each entry also carries
 *   `username` and `password` (https://kubernetes.io/docs/concepts/configuration/secret/#docker-config-secrets).
 * Pure: no I/O. Errors never quote a value.
 */
import { ValidationError } from '../errors.js';

type Auths = Record<string, unknown>;

/** The Docker client's config document for one registry, compact JSON. */
export function dockerAuthConfig(registry: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  return JSON.stringify({ auths: { [registry]: { auth } } });
}

/** The `.dockerconfigjson` payload of a Kubernetes image-pull Secret for one registry, compact JSON. */
export function dockerConfigJson(registry: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  return JSON.stringify({ auths: { [registry]: { username, password, auth } } });
}

function parseDocument(text: string, what: string): Record<string, unknown> & { auths: Auths } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError(
      `${what} is not JSON, so credrot cannot merge its registry entry into it without destroying it: replace the value with a Docker config document ({"auths":{...}}) or turn merge off`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ValidationError(`${what} is not a JSON object: expected {"auths":{...}}`);
  const doc = parsed as Record<string, unknown>;
  const auths = doc['auths'] ?? {};
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths))
    throw new ValidationError(`${what} has an "auths" member that is not an object`);
  return { ...doc, auths: auths as Auths };
}

/**
 * `current` with the `auths` entries of `ours` put in (replacing those registries'
 * entries, and only those); every other registry and every other member (`credHelpers`,
 * `credsStore`, ...) is kept as it was. `current` undefined means there is no document yet.
 * @throws ValidationError when `current` is not a Docker config document.
 */
export function mergeDockerConfig(current: string | undefined, ours: string): string {
  const mine = parseDocument(ours, 'the rendered value');
  if (current === undefined || current.trim() === '') return JSON.stringify({ auths: mine.auths });
  const doc = parseDocument(current, 'the value the consumer holds now');
  return JSON.stringify({ ...doc, auths: { ...doc.auths, ...mine.auths } });
}

/** The registries a rendered document has entries for. */
export function registriesOf(rendered: string): string[] {
  return Object.keys(parseDocument(rendered, 'the rendered value').auths);
}

/**
 * Only credrot's part of a shared document: `{"auths":{<registry>: entry}}` for each of
 * `registries` present in `current`. Equal to the rendered value exactly when the
 * consumer holds credrot's current entries.
 */
export function projectDockerConfig(current: string, registries: string[]): string {
  let doc: { auths: Auths };
  try {
    doc = parseDocument(current, 'the value the consumer holds');
  } catch {
    return '';
  }
  const auths: Auths = {};
  for (const r of registries) if (r in doc.auths) auths[r] = doc.auths[r];
  return JSON.stringify({ auths });
}
