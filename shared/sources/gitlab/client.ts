/**
 * `@gitbeaker/rest` with credrot's requester. gitbeaker's own requester retries 429 and
 * 502 on every method up to ten times and ignores `Retry-After`; a retried `rotate` can
 * trip GitLab's reuse detection and revoke the whole token family. This requester sends
 * every call through the shared HTTP policy (shared/http/policy-fetch.ts) instead, and
 * turns failures into our own errors, which carry GitLab's message but never a token.
 */
import { createRequesterFn } from '@gitbeaker/requester-utils';
import { Gitlab } from '@gitbeaker/rest';
import { PermissionError, ProviderError } from '../../errors.js';
import { createPolicyFetch, type Fetch } from '../../http/policy-fetch.js';

export type GitLabClient = InstanceType<typeof Gitlab<false>>;

export interface GitLabClientOptions {
  /** Base URL of the instance, e.g. https://gitlab.com */
  url: string;
  token: string;
  fetch?: Fetch;
}

/** A GitLab API failure: status, method and path, and GitLab's own message. */
export class GitLabApiError extends ProviderError {
  constructor(
    readonly method: string,
    readonly path: string,
    status: number,
    readonly gitlabMessage: string,
  ) {
    super(`GitLab answered ${status} to ${method} ${path}: ${gitlabMessage}`, {
      status,
      retryable: status === 429 || status >= 500,
      context: { method, path, status },
    });
    this.name = 'GitLabApiError';
  }
}

interface RequestOptions {
  prefixUrl?: string;
  searchParams?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | FormData;
  asStream?: boolean;
}

async function messageOf(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = parsed.message ?? parsed.error ?? text;
    return (typeof m === 'string' ? m : JSON.stringify(m)).slice(0, 300);
  } catch {
    return text.slice(0, 300) || res.statusText;
  }
}

/** Builds a gitbeaker client whose every request goes through credrot's HTTP policy. */
export function createGitLabClient(options: GitLabClientOptions): GitLabClient {
  const fetch = options.fetch ?? createPolicyFetch();
  const handler = async (endpoint: string, opts?: RequestOptions) => {
    const base = opts?.prefixUrl ?? `${options.url.replace(/\/$/, '')}/api/v4/`;
    const url = new URL(endpoint, base.endsWith('/') ? base : `${base}/`);
    url.search = opts?.searchParams ?? '';
    const method = opts?.method ?? 'GET';
    const init: RequestInit = { method };
    if (opts?.headers) init.headers = opts.headers;
    if (opts?.body !== undefined) init.body = opts.body;
    const res = await fetch(url.toString(), init);
    if (!res.ok) {
      const message = await messageOf(res);
      const path = url.pathname.replace(/^\/api\/v4/, '');
      if (res.status === 401) {
        throw Object.assign(
          new PermissionError(
            `GitLab answered 401 Unauthorized to ${method} ${path}: the token is invalid, expired or revoked`,
            { status: 401 },
          ),
          {
            method,
            path,
            gitlabMessage: message,
          },
        );
      }
      throw new GitLabApiError(method, path, res.status, message);
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const body =
      res.status === 204 ? null : type === 'application/json' ? await res.json() : await res.text();
    return { body, headers: Object.fromEntries(res.headers.entries()), status: res.status };
  };
  const requesterFn = createRequesterFn((_, reqo) => Promise.resolve(reqo), handler as never);
  return new Gitlab({ host: options.url, token: options.token, requesterFn });
}

// In its own module so that code that only classifies errors does not load gitbeaker.
export { isNotFound } from './not-found.js';
