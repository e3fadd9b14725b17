/**
 * Turns an Octokit failure of a GitHub secret sink into our own error, naming the sink,
 * the status and the fix. Octokit's RequestError carries the request (with the sealed
 * value and a redacted token); it is never attached as a cause, only its status and
 * GitHub's message are copied.
 *
 * Statuses: https://docs.github.com/rest/actions/secrets and
 * https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api
 */
import { CredrotError, PermissionError, ProviderError } from '../../errors.js';

export type ScopeKind = 'repository' | 'environment' | 'organization';

const PERMISSION_FIX: Record<ScopeKind, string> = {
  repository:
    'the token needs `secrets: write` on the repository (fine-grained token: repository permission "Secrets: Read and write"; classic token: the repo scope)',
  environment:
    'the token needs `secrets: write` on the repository that owns the environment (fine-grained token: repository permission "Secrets: Read and write"; classic token: the repo scope)',
  organization:
    'the token needs `secrets: write` on the organization (fine-grained token: organization permission "Secrets: Read and write"; classic token: the admin:org scope)',
};

const NOT_FOUND_FIX: Record<ScopeKind, string> = {
  repository: 'check that the repository exists and that the token has access to it',
  environment:
    'check that the repository and the environment exist and that the token has access to the repository',
  organization: 'check that the organization exists and that the token has access to it',
};

interface OctokitFailure {
  status: number;
  message: string;
  headers: Record<string, unknown>;
  cause?: unknown;
}

/** The parts of an Octokit RequestError we use, or undefined for anything else. */
function failureOf(err: unknown): OctokitFailure | undefined {
  if (!(err instanceof Error) || typeof (err as { status?: unknown }).status !== 'number') {
    return undefined;
  }
  const e = err as Error & {
    status: number;
    response?: { data?: unknown; headers?: Record<string, unknown> };
  };
  const data = e.response?.data;
  let message = '';
  if (data && typeof data === 'object') {
    const d = data as { message?: unknown; errors?: unknown };
    if (typeof d.message === 'string') message = d.message;
    if (Array.isArray(d.errors)) {
      const details = d.errors
        .map((x) => (x && typeof x === 'object' ? (x as { message?: unknown }).message : x))
        .filter((m): m is string => typeof m === 'string');
      if (details.length > 0) message = `${message} (${details.join('; ')})`;
    }
  }
  return { status: e.status, message, headers: e.response?.headers ?? {}, cause: e.cause };
}

/** The HTTP status of an Octokit failure, if it is one. */
export function statusOf(err: unknown): number | undefined {
  return failureOf(err)?.status;
}

/** Our error for a failed GitHub call of the sink `label`. */
export function translate(err: unknown, label: string, scope: ScopeKind): Error {
  if (err instanceof ProviderError && !err.message.startsWith(label)) {
    return new ProviderError(`${label}: ${err.message}`, {
      status: err.status,
      retryable: err.retryable,
      context: { ...err.context, sink: label },
    });
  }
  if (err instanceof CredrotError) return err;
  const f = failureOf(err);
  const context = { sink: label, status: f?.status };
  if (!f) return new ProviderError(`${label}: the call to GitHub failed unexpectedly`, { context });
  // Octokit reports a failed fetch as status 500 with the fetch error as cause.
  if (f.cause instanceof CredrotError) {
    return new ProviderError(`${label}: ${f.cause.message}; the next run retries`, {
      retryable: true,
      context,
    });
  }
  const said = f.message ? `: ${f.message}` : '';
  const limited =
    f.status === 429 ||
    (f.status === 403 &&
      (String(f.headers['x-ratelimit-remaining']) === '0' || /rate limit/i.test(f.message)));
  if (limited) {
    return new ProviderError(
      `${label}: GitHub answered ${f.status}${said}; the token's API budget is spent, the next run retries after the limit resets`,
      { status: f.status, retryable: true, context },
    );
  }
  switch (f.status) {
    case 401:
      return new PermissionError(
        `${label}: GitHub answered 401${said}: the connection's token is invalid, expired or revoked; replace it`,
        { status: 401, context },
      );
    case 403:
      return new PermissionError(`${label}: GitHub answered 403${said}: ${PERMISSION_FIX[scope]}`, {
        status: 403,
        context,
      });
    case 404:
      return new ProviderError(`${label}: GitHub answered 404${said}: ${NOT_FOUND_FIX[scope]}`, {
        status: 404,
        context,
      });
    default: {
      const retryable = f.status >= 500;
      return new ProviderError(
        `${label}: GitHub answered ${f.status}${said}${retryable ? '; the next run retries' : ''}`,
        { status: f.status, retryable, context },
      );
    }
  }
}
