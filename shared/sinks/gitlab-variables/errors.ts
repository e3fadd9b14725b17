/**
 * Turns a failed GitLab call of a variable sink into our own error: the sink's label, the
 * status, what GitLab said and what a person should do. GitLab's validation messages name
 * attributes, never values; the value is still scrubbed from anything we copy, in case a
 * proxy or a future GitLab version echoes it.
 */
import { CredrotError, PermissionError, ProviderError } from '../../errors.js';
import { fingerprint } from '../../util/fingerprint.js';

export type LevelKind = 'project' | 'group' | 'instance';

/** The role GitLab requires to manage variables at each level. */
const REQUIRED_ROLE: Record<LevelKind, string> = {
  project: "the connection's user needs the Maintainer role on the project",
  group: "the connection's user needs the Owner role on the group",
  instance: "the connection's user must be a GitLab administrator",
};

interface GitLabFailure {
  status: number | undefined;
  method?: string;
  path?: string;
  gitlabMessage?: string;
}

function failureOf(err: unknown): GitLabFailure | undefined {
  if (!(err instanceof ProviderError)) return undefined;
  const extra = err as ProviderError & {
    method?: unknown;
    path?: unknown;
    gitlabMessage?: unknown;
  };
  return {
    status: err.status,
    ...(typeof extra.method === 'string' ? { method: extra.method } : {}),
    ...(typeof extra.path === 'string' ? { path: extra.path } : {}),
    ...(typeof extra.gitlabMessage === 'string' ? { gitlabMessage: extra.gitlabMessage } : {}),
  };
}

/** Replaces every occurrence of `secret` in `text` by its fingerprint. */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join(`[value ${fingerprint(secret)}]`);
}

/** The status GitLab answered, when the failure came from GitLab at all. */
export function statusOf(err: unknown): number | undefined {
  return err instanceof ProviderError ? err.status : undefined;
}

/** The GitLab message of a failure (e.g. `404 Variable Not Found`), or ''. */
export function gitlabMessageOf(err: unknown): string {
  return failureOf(err)?.gitlabMessage ?? '';
}

/** True when a failed call may or may not have taken effect (connection lost, timeout). */
export function isAmbiguous(err: unknown): boolean {
  return (
    err instanceof ProviderError && err.status === undefined && err.context['ambiguous'] === true
  );
}

/**
 * Our error for a failed call of the sink `label`. 401/403 become PermissionError (a
 * person must act), everything else ProviderError, retryable for 429, 5xx and lost
 * connections. Errors of our own that are not provider errors pass through unchanged.
 */
export function translate(err: unknown, label: string, level: LevelKind, value?: string): Error {
  if (err instanceof CredrotError && !(err instanceof ProviderError)) return err;
  const f = failureOf(err);
  if (!f) {
    return new ProviderError(`${label}: the call to GitLab failed unexpectedly`, { cause: err });
  }
  const said = f.gitlabMessage ? `: ${redact(f.gitlabMessage, value)}` : '';
  const call = f.method && f.path ? ` to ${f.method} ${f.path}` : '';
  const context = { sink: label, status: f.status };
  switch (f.status) {
    case undefined:
      return new ProviderError(
        `${label}: ${redact((err as Error).message, value)}; the next run retries`,
        { cause: err, retryable: true, context },
      );
    case 401:
      return new PermissionError(
        `${label}: GitLab answered 401${call}: the connection's token is invalid, expired or revoked; replace it with a token that has the api scope`,
        { cause: err, status: 401, context },
      );
    case 403:
      return new PermissionError(
        `${label}: GitLab answered 403${call}${said}: ${REQUIRED_ROLE[level]}, and its token needs the api scope`,
        { cause: err, status: 403, context },
      );
    case 404:
      return new ProviderError(
        `${label}: GitLab answered 404${call}${said}: check that the ${level} exists and that the connection's user can see it`,
        { cause: err, status: 404, context },
      );
    case 400:
      return new ProviderError(
        `${label}: GitLab refused the variable (400${call}${said}); fix the sink's settings (masked, variableType, key) so GitLab accepts them`,
        { cause: err, status: 400, context },
      );
    default: {
      const retryable = f.status === 429 || f.status >= 500;
      return new ProviderError(
        `${label}: GitLab answered ${f.status}${call}${said}${retryable ? '; the next run retries' : ''}`,
        { cause: err, status: f.status, retryable, context },
      );
    }
  }
}
