/**
 * How credrot recognises what it minted: a marker in the token's description (access
 * tokens) or name (deploy tokens, which have no description). A crash between mint and
 * stage leaves a token no store knows; the next run finds it by this marker and revokes it.
 */
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
