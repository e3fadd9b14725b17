/**
 * The SHA-256 of every value credrot manages that may still be valid: each credential's
 * current, pending and (not yet retired) previous value, read from its primary store. A
 * leaked secret is recognised by hash, so no comparison ever needs the value in a log or
 * a message.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Connections } from '../config/connections.js';
import type { Config, ResolvedCredential } from '../config/load.js';
import type { SecretStore } from '../rotation/types.js';

export interface ManagedValue {
  credential: string;
  which: 'current' | 'pending' | 'previous';
  /** SHA-256, hex. */
  sha256: string;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** The credential's primary store (the one holding the lease and the rotation state). */
export async function primaryStore(
  credential: ResolvedCredential,
  connections: Connections,
): Promise<SecretStore> {
  const spec = credential.stores[0]!;
  // Loaded on demand: the webhook that imports this module for matchLeak must not load
  // both clouds' SDKs at cold start (issue 8).
  if (spec.type === 'aws-secrets-manager') {
    const { AwsSecretsManagerStore } = await import('../stores/aws-secrets-manager/store.js');
    return new AwsSecretsManagerStore({
      secretId: spec.secretId,
      client: await connections.aws(spec.connection),
    });
  }
  const [{ client, project }, { GcpSecretManagerStore }] = await Promise.all([
    connections.gcp(spec.connection),
    import('../stores/gcp-secret-manager/store.js'),
  ]);
  return new GcpSecretManagerStore({ project, secret: spec.secret, client });
}

/** Reads every credential's primary store; a store that cannot be read is skipped and reported. */
export async function readManagedValues(
  config: Config,
  connections: Connections,
): Promise<{ values: ManagedValue[]; unreadable: string[] }> {
  const values: ManagedValue[] = [];
  const unreadable: string[] = [];
  await Promise.all(
    config.credentials.map(async (credential) => {
      try {
        const state = await (await primaryStore(credential, connections)).read();
        const add = (which: ManagedValue['which'], token: string | undefined) => {
          if (token) values.push({ credential: credential.name, which, sha256: sha256Hex(token) });
        };
        add('current', state.current?.value.token);
        add('pending', state.pending?.value.token);
        if (!state.previousRetired) add('previous', state.previous?.value.token);
      } catch {
        unreadable.push(credential.name);
      }
    }),
  );
  return { values, unreadable };
}

/** The managed values whose hash equals `sha256` (compared in constant time). */
export function matchLeak(values: readonly ManagedValue[], sha256: string): ManagedValue[] {
  const given = Buffer.from(sha256, 'hex');
  return values.filter((v) => {
    const mine = Buffer.from(v.sha256, 'hex');
    return mine.length === given.length && timingSafeEqual(mine, given);
  });
}
