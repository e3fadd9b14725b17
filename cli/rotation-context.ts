/**
 * What `plan`, `rotate` and `status` share: load the configuration once, pick the
 * credentials named on the command line, and build their targets on shared connections.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Connections } from '../shared/config/connections.js';
import { type Config, loadConfig, type ResolvedCredential } from '../shared/config/load.js';
import { assembleTarget } from '../shared/rotation/assemble.js';
import type { RotationTarget } from '../shared/rotation/engine.js';
import { type CommandIo, UsageError } from './command.js';

export interface RotationContext {
  config: Config;
  connections: Connections;
  credentials: ResolvedCredential[];
  target(credential: ResolvedCredential): Promise<RotationTarget>;
}

export async function rotationContext(
  io: CommandIo,
  configFlag: string | undefined,
  names: string[],
  all: boolean,
): Promise<RotationContext> {
  const file = resolve(io.cwd, configFlag ?? io.env['CREDROT_CONFIG'] ?? 'credrot.config.yaml');
  const config = await loadConfig(file);
  if (config.credentials.length === 0)
    throw new UsageError(`${file} names no credentials to rotate (add a credentials: list)`);
  let credentials = config.credentials;
  if (!all) {
    const known = new Map(config.credentials.map((c) => [c.name, c]));
    const unknown = names.filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new UsageError(
        `unknown credential ${unknown.map((n) => `'${n}'`).join(', ')} (configured: ${[...known.keys()].join(', ')})`,
      );
    }
    credentials = names.map((n) => known.get(n)!);
  }
  const connections = new Connections(config, { env: io.env });
  return { config, connections, credentials, target: (c) => assembleTarget(c, connections) };
}

/** Who holds a lease: enough for a person to find the process. */
export function leaseHolder(via: string): string {
  return `${via}@${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 6)}`;
}
