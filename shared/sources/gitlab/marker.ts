/**
 * How credrot recognises what it minted: a marker in the token's description (access
 * tokens) or name (deploy tokens, which have no description). A crash between mint and
 * stage leaves a token no store knows; the next run finds it by this marker and revokes it.
 */
import type { Orphan } from '../../rotation/types.js';

const PATTERN = /\[credrot:([a-z0-9._-]+):([0-9a-f-]{8,36})\]/;

export function marker(credential: string, rotationId: string): string {
  return `[credrot:${credential}:${rotationId}]`;
}

/** The credential and rotation a marker names, or undefined when there is none. */
export function parseMarker(
  text: string | null | undefined,
): { credential: string; rotationId: string } | undefined {
  const m = PATTERN.exec(text ?? '');
  return m ? { credential: m[1]!, rotationId: m[2]! } : undefined;
}

/**
 * The active tokens of a listing that carry `credential`'s marker in `text(t)` (the
 * description, or the name for deploy tokens), as orphan candidates.
 */
export function mintedFor<T extends { id: number; active?: boolean }>(
  tokens: readonly T[],
  credential: string,
  text: (t: T) => string | null | undefined,
  describe: (t: T) => string,
): Orphan[] {
  return tokens.flatMap((t) => {
    const m = parseMarker(text(t));
    if (!m || m.credential !== credential || t.active === false) return [];
    return [{ sourceId: t.id, rotationId: m.rotationId, description: describe(t) }];
  });
}
