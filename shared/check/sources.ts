/**
 * The I/O edge of `credrot check`: read a watcher's file or fetch a TLS endpoint's chain,
 * then hand the bytes to the pure readers. Everything else in the check is pure.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import {
  readCertificates,
  readDockerConfig,
  readJwt,
  readKubeconfig,
  readWebhookConfiguration,
} from '../expiry/index.js';
import type { ExpiryWindow } from '../expiry/types.js';
import { formatDuration } from '../util/duration.js';

export type WatcherKind =
  | 'certificate'
  | 'jwt'
  | 'docker-config'
  | 'kubeconfig'
  | 'webhook-configuration'
  | 'tls-endpoint';

/** The I/O `check` needs; a parameter so tests can replace it. */
export interface Sources {
  readFile(path: string): Promise<Buffer>;
  /** DER certificates the server presents, leaf first. */
  fetchCertificateChain(url: string, timeoutMs: number): Promise<Buffer[]>;
}

export const nodeSources: Sources = {
  readFile: (path) => readFile(path),
  fetchCertificateChain,
};

/** Windows for a watcher's file contents; throws `ParseError` from the readers. */
export function windowsOfFile(
  kind: Exclude<WatcherKind, 'tls-endpoint'>,
  data: Buffer,
): ExpiryWindow[] {
  switch (kind) {
    case 'certificate':
      return readCertificates(data);
    case 'jwt':
      return [readJwt(data.toString('utf8'))];
    case 'docker-config':
      return readDockerConfig(data.toString('utf8'));
    case 'kubeconfig':
      return readKubeconfig(data.toString('utf8'));
    case 'webhook-configuration':
      return readWebhookConfiguration(data.toString('utf8'));
  }
}

/** Windows for a chain fetched from a TLS endpoint: one bundle, leaf first. */
export function windowsOfChain(ders: Buffer[]): ExpiryWindow[] {
  return ders.map((der, index) => {
    const [window] = readCertificates(der);
    return { ...window!, member: { index: index + 1, count: ders.length } };
  });
}

/** A file-system error as a short phrase without the raw errno text. */
export function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Connects to `url` (https://host[:port]), completes a TLS handshake without verifying
 * the peer (an expired or untrusted certificate is exactly what we want to see) and
 * returns the presented chain. Rejects after `timeoutMs` without a handshake.
 */
export function fetchCertificateChain(url: string, timeoutMs: number): Promise<Buffer[]> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const port = Number(target.port || 443);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      // SNI must be a DNS name; Node refuses an IP address there.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no TLS handshake with ${host}:${port} within ${formatDuration(timeoutMs)}`),
      );
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const chain = chainOf(socket.getPeerCertificate(true));
      socket.end();
      if (chain.length === 0) reject(new Error(`${host}:${port} presented no certificate`));
      else resolve(chain);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(
        new Error(`TLS connection to ${host}:${port} failed (${error.code ?? error.message})`),
      );
    });
  });
}

function chainOf(leaf: DetailedPeerCertificate): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = leaf;
  // A self-signed root is its own issuer; stop at the first repeat.
  while (current?.raw && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(current.raw);
    current = current.issuerCertificate;
  }
  return chain;
}
