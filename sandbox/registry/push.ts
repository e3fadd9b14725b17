/**
 * Pushes a tiny image through the Distribution HTTP API itself, for test set-up: one
 * layer (a gzipped empty tar), its config blob, and a Docker schema 2 manifest.
 * Blob upload: https://distribution.github.io/distribution/spec/api/#pushing-an-image
 * Manifest format: https://distribution.github.io/distribution/spec/manifest-v2-2/
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PermissionError, ProviderError } from '../../shared/errors.js';
import { parseBearerChallenge } from './challenge.js';
import type { RunningRegistry } from './process.js';
import {
  errorCode,
  fetchRegistryToken,
  type RegistryCredentials,
  type TokenFetcher,
} from './token-client.js';

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface PushedImage {
  /** Digest of the manifest, as the registry answers it in `Docker-Content-Digest`. */
  digest: string;
  layerDigest: string;
  configDigest: string;
}

function failure(step: string, res: Response, body: unknown, repository: string): ProviderError {
  const challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
  const detail = [errorCode(body), challenge?.error].filter(Boolean).join(', ');
  const message = `registry refused ${step} for ${repository}: HTTP ${res.status}${detail ? ` (${detail})` : ''}`;
  const context = { step, repository, status: res.status };
  return res.status === 401 || res.status === 403
    ? new PermissionError(message, { status: res.status, context })
    : new ProviderError(message, { status: res.status, retryable: res.status >= 500, context });
}

async function bodyOf(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Pushes `repository:tag` with `credentials` (which need `push`). Throws
 * PermissionError on 401/403 at any hop, ProviderError otherwise.
 */
export async function pushTestImage(
  registry: Pick<RunningRegistry, 'url'>,
  repository: string,
  tag: string,
  credentials: RegistryCredentials,
  fetchToken: TokenFetcher = fetchRegistryToken,
): Promise<PushedImage> {
  const ping = await fetch(`${registry.url}/v2/`);
  await ping.arrayBuffer();
  const challenge = parseBearerChallenge(ping.headers.get('www-authenticate'));
  if (!challenge) {
    throw new ProviderError(`registry at ${registry.url} sent no Bearer challenge on /v2/`, {
      status: ping.status,
    });
  }
  const got = await fetchToken(challenge, [`repository:${repository}:pull,push`], credentials);
  if (got.token === undefined) {
    const message = `token endpoint refused push access to ${repository}: HTTP ${got.status}${got.error ? ` (${got.error})` : ''}`;
    throw got.status === 401 || got.status === 403
      ? new PermissionError(message, { status: got.status, context: { repository } })
      : new ProviderError(message, { status: got.status, context: { repository } });
  }
  const auth = { authorization: `Bearer ${got.token}` };

  const uploadBlob = async (step: string, data: Uint8Array): Promise<string> => {
    const digest = sha256(data);
    const start = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, {
      method: 'POST',
      headers: auth,
    });
    const startBody = await bodyOf(start);
    const location = start.headers.get('location');
    if (start.status !== 202 || !location)
      throw failure(`${step} upload start`, start, startBody, repository);
    // Monolithic upload: the whole blob in the closing PUT, digest in the query.
    const target = new URL(location, registry.url);
    target.searchParams.set('digest', digest);
    const put = await fetch(target, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: data,
    });
    const putBody = await bodyOf(put);
    if (put.status !== 201) throw failure(`${step} upload`, put, putBody, repository);
    return digest;
  };

  const tar = new Uint8Array(1024); // an empty tar archive: two zero blocks
  const layer = new Uint8Array(gzipSync(tar));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'org.opencontainers.image.title': 'credrot sandbox test image' } },
      rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
    }),
  );
  const layerDigest = await uploadBlob('layer', layer);
  const configDigest = await uploadBlob('config', config);

  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: config.length,
        digest: configDigest,
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          size: layer.length,
          digest: layerDigest,
        },
      ],
    }),
  );
  const put = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': MANIFEST_TYPE },
    body: manifest,
  });
  const putBody = await bodyOf(put);
  if (put.status !== 201) throw failure('manifest upload', put, putBody, repository);
  return {
    digest: put.headers.get('docker-content-digest') ?? sha256(manifest),
    layerDigest,
    configDigest,
  };
}
