/**
 * The Secret Manager v1 RPCs, request → response, over the store. Each group cites the
 * reference page its semantics come from.
 */
import { crc32c } from './crc32c.js';
import { alreadyExists, invalidArgument } from './errors.js';
import { compileFilter, type FieldReader } from './filter.js';
import type { StoredSecret, StoredVersion } from './model.js';
import { secretName, validSecretId } from './names.js';
import { secretProto, versionProto } from './render.js';
import {
  applyMask,
  readAliases,
  readDestroyTtl,
  readExpiration,
  readReplication,
  readRotation,
  readTopics,
  type SecretInput,
  validateSecret,
} from './secret-input.js';
import { checkEtag, newEtag, type SecretStore, stateError } from './secrets.js';
import { MAX_PAYLOAD_BYTES } from './validate.js';

export type Handler = (store: SecretStore, request: unknown) => unknown;

interface ListRequest {
  parent: string;
  pageSize?: number;
  pageToken?: string;
  filter?: string;
}

const MAX_PAGE_SIZE = 25_000;

/** Pages `items` with an opaque offset token, as the List methods document. */
function paginate<T>(items: T[], req: ListRequest): { page: T[]; nextPageToken: string } {
  const size = req.pageSize ?? 0;
  if (size < 0) throw invalidArgument('page_size must not be negative.');
  const limit = size === 0 ? MAX_PAGE_SIZE : Math.min(size, MAX_PAGE_SIZE);
  let offset = 0;
  if (req.pageToken) {
    const decoded = Buffer.from(req.pageToken, 'base64url').toString('utf8');
    const m = /^offset:(\d+)$/.exec(decoded);
    if (!m) throw invalidArgument(`Invalid page_token [${req.pageToken}].`);
    offset = Number(m[1]);
  }
  const page = items.slice(offset, offset + limit);
  const end = offset + page.length;
  const nextPageToken =
    end < items.length ? Buffer.from(`offset:${end}`, 'utf8').toString('base64url') : '';
  return { page, nextPageToken };
}

const readSecretField: FieldReader<StoredSecret> = (s, field) => {
  if (field === 'name') return s.name;
  if (field === 'create_time') return s.createTime;
  if (field === 'topics') return s.topics;
  if (field === 'labels') return Object.keys(s.labels);
  if (field.startsWith('labels.')) return s.labels[field.slice(7)];
  if (field === 'annotations') return Object.keys(s.annotations);
  if (field.startsWith('annotations.')) return s.annotations[field.slice(12)];
  return null;
};

const readVersionField: FieldReader<StoredVersion> = (v, field) => {
  if (field === 'name') return v.name;
  if (field === 'state') return v.state;
  if (field === 'create_time') return v.createTime;
  return null;
};

// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/create
const createSecret: Handler = (store, request) => {
  const req = request as { parent: string; secretId: string; secret?: SecretInput | null };
  const project = store.names.parent(req.parent);
  if (!validSecretId(req.secretId)) {
    throw invalidArgument(
      `Secret ID [${req.secretId}] is not in a valid format: it must be 1-255 letters, digits, hyphens or underscores.`,
    );
  }
  if (!req.secret) throw invalidArgument('The secret field is required.');
  const name = secretName(project, req.secretId);
  if (store.has(name)) throw alreadyExists(`Secret [${name}] already exists.`);
  const now = store.now();
  const input = req.secret;
  const secret: StoredSecret = {
    name,
    createTime: now,
    replication: readReplication(input),
    labels: { ...(input.labels ?? {}) },
    annotations: { ...(input.annotations ?? {}) },
    topics: readTopics(input),
    expireTime: readExpiration(input, now),
    rotation: readRotation(input),
    versionAliases: readAliases(input),
    versionDestroyTtlSeconds: readDestroyTtl(input),
    etag: newEtag(),
    versions: new Map(),
    lastVersion: 0,
  };
  validateSecret(secret, now, true);
  store.insert(secret);
  return secretProto(secret);
};

// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/get
const getSecret: Handler = (store, request) => {
  const { name } = request as { name: string };
  return secretProto(store.get(store.names.secret(name)));
};

// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/patch
const updateSecret: Handler = (store, request) => {
  const req = request as { secret?: SecretInput | null; updateMask?: { paths: string[] } | null };
  if (!req.secret) throw invalidArgument('The secret field is required.');
  const paths = req.updateMask?.paths ?? [];
  if (paths.length === 0)
    throw invalidArgument('update_mask must be set and name at least one field.');
  const current = store.get(store.names.secret(req.secret.name ?? ''));
  checkEtag(req.secret.etag ?? '', current.etag, current.name);
  const now = store.now();
  const { next, rotationChanged } = applyMask(current, req.secret, paths, now);
  validateSecret(next, now, rotationChanged);
  next.etag = newEtag();
  store.replace(
    next,
    next.topics.filter((t) => !current.topics.includes(t)),
  );
  return secretProto(next);
};

// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/delete
const deleteSecret: Handler = (store, request) => {
  const { name, etag } = request as { name: string; etag?: string };
  store.delete(store.names.secret(name), etag ?? '');
  return {};
};

// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/list
const listSecrets: Handler = (store, request) => {
  const req = request as ListRequest;
  const project = store.names.parent(req.parent);
  const match = compileFilter(req.filter ?? '', readSecretField);
  const all = store.all().filter((s) => s.name.startsWith(`projects/${project}/secrets/`));
  const matching = all.filter(match);
  const { page, nextPageToken } = paginate(matching, req);
  return {
    secrets: page.map(secretProto),
    nextPageToken,
    // Documented: the total, or 0 when a filter is set.
    totalSize: req.filter ? 0 : all.length,
  };
};

// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/addVersion
const addSecretVersion: Handler = (store, request) => {
  const req = request as {
    parent: string;
    payload?: { data?: Buffer; dataCrc32c?: string | number | null } | null;
  };
  const secret = store.get(store.names.secret(req.parent));
  if (!req.payload) throw invalidArgument('The payload field is required.');
  const data = Buffer.from(req.payload.data ?? Buffer.alloc(0));
  if (data.length > MAX_PAYLOAD_BYTES) {
    throw invalidArgument('Secret payload data must be no larger than 64KiB.');
  }
  const computed = crc32c(data);
  const given = req.payload.dataCrc32c;
  const clientChecksum = given !== undefined && given !== null;
  if (clientChecksum && Number(given) !== computed) {
    throw invalidArgument('Checksum mismatch: data_crc32c does not match the CRC32C of data.');
  }
  return versionProto(store.addVersion(secret, data, computed, clientChecksum), secret);
};

// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/get
const getSecretVersion: Handler = (store, request) => {
  const { secret, version } = store.resolve((request as { name: string }).name, true);
  return versionProto(version, secret);
};

// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/access
const accessSecretVersion: Handler = (store, request) => {
  const { version } = store.resolve((request as { name: string }).name, true);
  if (version.state !== 'ENABLED' || !version.data) throw stateError(version);
  return {
    name: version.name,
    payload: { data: version.data, dataCrc32c: String(version.crc32c) },
  };
};

// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/list
const listSecretVersions: Handler = (store, request) => {
  const req = request as ListRequest;
  const secret = store.get(store.names.secret(req.parent));
  const match = compileFilter(req.filter ?? '', readVersionField);
  const all = [...secret.versions.values()].sort((a, b) => b.number - a.number);
  const { page, nextPageToken } = paginate(all.filter(match), req);
  return {
    versions: page.map((v) => versionProto(v, secret)),
    nextPageToken,
    totalSize: req.filter ? 0 : all.length,
  };
};

// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/enable
// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/disable
// https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/destroy
function versionChange(kind: 'ENABLED' | 'DISABLED' | 'DESTROYED'): Handler {
  return (store, request) => {
    const { name, etag } = request as { name: string; etag?: string };
    const version =
      kind === 'DESTROYED'
        ? store.destroy(name, etag ?? '')
        : store.setState(name, etag ?? '', kind);
    return versionProto(version, store.resolve(version.name, false).secret);
  };
}

export const handlers: Record<string, Handler> = {
  CreateSecret: createSecret,
  GetSecret: getSecret,
  UpdateSecret: updateSecret,
  DeleteSecret: deleteSecret,
  ListSecrets: listSecrets,
  AddSecretVersion: addSecretVersion,
  GetSecretVersion: getSecretVersion,
  AccessSecretVersion: accessSecretVersion,
  ListSecretVersions: listSecretVersions,
  EnableSecretVersion: versionChange('ENABLED'),
  DisableSecretVersion: versionChange('DISABLED'),
  DestroySecretVersion: versionChange('DESTROYED'),
};
