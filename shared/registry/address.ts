/**
 * Where a registry lives. Configuration names a registry the way image references and
 * Docker config `auths` do (`host[:port]`); the HTTP API needs a URL. Docker talks
 * HTTPS to every registry except the loopback ones it trusts as insecure by default
 * (https://docs.docker.com/reference/cli/dockerd/#insecure-registries), so credrot does
 * the same: `127.0.0.0/8`, `::1` and `localhost` are reached over plain HTTP.
 */

/** `https://host[:port]`, or `http://` for a loopback host; a full URL is kept as given. */
export function registryBaseUrl(registry: string): string {
  if (/^https?:\/\//i.test(registry)) return registry.replace(/\/+$/, '');
  const host = registry.replace(/\/+$/, '');
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0]!;
  const loopback = name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
  return `${loopback ? 'http' : 'https'}://${host}`;
}

/** `host[:port]` of a registry given as a host or a URL (the key of a Docker config `auths`). */
export function registryHost(registry: string): string {
  return /^https?:\/\//i.test(registry) ? new URL(registry).host : registry.replace(/\/+$/, '');
}
