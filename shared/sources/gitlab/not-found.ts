/**
 * GitLab's "not there" answer, apart from client.ts: a webhook that only classifies an
 * error must not load gitbeaker for it (issue 8: cold start).
 */
import { ProviderError } from '../../errors.js';

/** True for the answer GitLab gives for something that is not there (or not visible). */
export function isNotFound(err: unknown): boolean {
  return err instanceof ProviderError && err.status === 404;
}
