/**
 * Constant-time comparison of a presented shared secret (GitLab's `X-Gitlab-Token`)
 * against the current secret and, while the webhook secret itself is being rotated, the
 * previous one: the idea of `verifyWithFallback` in @octokit/webhooks-methods. Both sides
 * are hashed first, so the comparison is over equal lengths whatever the input, and the
 * time taken does not depend on where the strings differ.
 *
 * https://docs.gitlab.com/user/project/integrations/webhooks/#create-a-webhook (secret token)
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when `presented` equals one of `secrets` (empty secrets never match). */
export function sharedSecretMatches(
  presented: string | undefined,
  secrets: readonly string[],
): boolean {
  if (!presented) return false;
  const given = digest(presented);
  let match = false;
  // Every candidate is compared, so timing does not reveal which one matched.
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = digest(secret);
    if (expected.length === given.length && timingSafeEqual(expected, given)) match = true;
  }
  return match;
}
