/**
 * The value format both secret stores share: a credential is stored as
 * `JSON.stringify(StoredCredential)`. Besides credentials a store may hold a few records
 * of credrot's own (a placeholder, a lease), marked by a `credrot` member; those are never
 * reported as credentials. Anything else is refused with a message that names the secret
 * and never repeats its content.
 */
import { z } from 'zod';
import { credentialKinds } from '../config/schema.js';
import { CredrotError } from '../errors.js';
import type { StoredCredential } from '../rotation/types.js';

const storedCredential = z.object({
  token: z.string().min(1),
  username: z.string().optional(),
  kind: z.enum(credentialKinds),
  credential: z.string().min(1),
  sourceId: z.number(),
  gitlabUrl: z.string(),
  projectId: z.number().optional(),
  groupId: z.number().optional(),
  userId: z.number().optional(),
  expiresAt: z.string().min(1),
  rotationId: z.string().min(1),
  mintedAt: z.string().min(1),
});

/** A record credrot writes for its own bookkeeping; never a credential. */
const ownRecord = z.object({ credrot: z.string() });

export type DecodedValue =
  | { type: 'credential'; value: StoredCredential }
  | { type: 'own'; record: string; raw: Record<string, unknown> };

/** Serializes a credential for a store. */
export function encodeCredential(value: StoredCredential): string {
  return JSON.stringify(value);
}

/**
 * Parses a stored value. Throws a CredrotError naming `secret` when the value is not one
 * credrot wrote; the message never contains the value.
 */
export function decodeValue(
  text: string | undefined,
  secret: string,
  version: string,
): DecodedValue {
  let parsed: unknown;
  try {
    parsed = text === undefined ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const own = ownRecord.safeParse(parsed);
  if (own.success) {
    return { type: 'own', record: own.data.credrot, raw: parsed as Record<string, unknown> };
  }
  const credential = storedCredential.safeParse(parsed);
  if (credential.success) return { type: 'credential', value: credential.data as StoredCredential };
  throw notCredrotValue(secret, version);
}

/** Like `decodeValue`, but answers undefined for a foreign value instead of throwing. */
export function tryDecodeValue(text: string | undefined): DecodedValue | undefined {
  try {
    return decodeValue(text, '', '');
  } catch {
    return undefined;
  }
}

export function notCredrotValue(secret: string, version: string): CredrotError {
  return new CredrotError(
    `secret ${secret} (version ${version}) does not hold a credrot value: expected the JSON credrot writes for a stored credential. Point the credential at a secret credrot manages, or move the existing value elsewhere and let credrot write this one.`,
    { context: { secret, version } },
  );
}

/** Who holds a credential's lease, until when (as stored: `{holder, expiresAt, leaseId}`). */
export interface LeaseRecord {
  holder: string;
  expiresAt: Date;
  /** Unique per acquisition; the Lease token that proves ownership. */
  leaseId: string;
}

const leaseRecord = z.object({
  holder: z.string(),
  expiresAt: z.iso.datetime(),
  leaseId: z.string().min(1),
});

export function encodeLease(lease: LeaseRecord): string {
  return JSON.stringify({
    credrot: 'lease',
    holder: lease.holder,
    expiresAt: lease.expiresAt.toISOString(),
    leaseId: lease.leaseId,
  });
}

/** The lease in `text`, or undefined when absent or unreadable (an unreadable lease is free). */
export function decodeLease(text: string | undefined): LeaseRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = leaseRecord.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    return { ...parsed.data, expiresAt: new Date(parsed.data.expiresAt) };
  } catch {
    return undefined;
  }
}
