/**
 * GitHub's error body shape, `{"message", "documentation_url", "status"}`, and the
 * documentation anchors the real API links from each operation's errors.
 *
 * https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api
 */
import { HttpError, type Request, type Response } from '../http.js';

const DOCS = 'https://docs.github.com/rest';

/** Where each operation is documented; used in `documentation_url` of its error bodies. */
const DOC_ANCHORS: Record<string, string> = {
  'github.getRepoPublicKey': 'actions/secrets#get-a-repository-public-key',
  'github.listRepoSecrets': 'actions/secrets#list-repository-secrets',
  'github.getRepoSecret': 'actions/secrets#get-a-repository-secret',
  'github.createOrUpdateRepoSecret': 'actions/secrets#create-or-update-a-repository-secret',
  'github.deleteRepoSecret': 'actions/secrets#delete-a-repository-secret',
  'github.getOrgPublicKey': 'actions/secrets#get-an-organization-public-key',
  'github.listOrgSecrets': 'actions/secrets#list-organization-secrets',
  'github.getOrgSecret': 'actions/secrets#get-an-organization-secret',
  'github.createOrUpdateOrgSecret': 'actions/secrets#create-or-update-an-organization-secret',
  'github.deleteOrgSecret': 'actions/secrets#delete-an-organization-secret',
  'github.listSelectedReposForOrgSecret':
    'actions/secrets#list-selected-repositories-for-an-organization-secret',
  'github.setSelectedReposForOrgSecret':
    'actions/secrets#set-selected-repositories-for-an-organization-secret',
  'github.addSelectedRepoToOrgSecret':
    'actions/secrets#add-selected-repository-to-an-organization-secret',
  'github.removeSelectedRepoFromOrgSecret':
    'actions/secrets#remove-selected-repository-from-an-organization-secret',
  'github.getEnvironmentPublicKey': 'actions/secrets#get-an-environment-public-key',
  'github.listEnvironmentSecrets': 'actions/secrets#list-environment-secrets',
  'github.getEnvironmentSecret': 'actions/secrets#get-an-environment-secret',
  'github.createOrUpdateEnvironmentSecret':
    'actions/secrets#create-or-update-an-environment-secret',
  'github.deleteEnvironmentSecret': 'actions/secrets#delete-an-environment-secret',
  'github.getSecretScanningAlert': 'secret-scanning/secret-scanning#get-a-secret-scanning-alert',
  'github.updateSecretScanningAlert':
    'secret-scanning/secret-scanning#update-a-secret-scanning-alert',
  'github.getRepo': 'repos/repos#get-a-repository',
  'github.getRateLimit': 'rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user',
};

export const RATE_LIMIT_DOCS =
  'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';

/** The `documentation_url` GitHub sends with errors of `operation`. */
export function documentationUrl(operation: string): string {
  const anchor = DOC_ANCHORS[operation];
  return anchor ? `${DOCS}/${anchor}` : DOCS;
}

/** A GitHub-shaped error body. */
export function errorBody(
  status: number,
  message: string,
  operation: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    message,
    ...extra,
    documentation_url: documentationUrl(operation),
    status: String(status),
  };
}

/** An HttpError carrying a GitHub-shaped body; handlers throw it. */
export function githubError(
  req: Request,
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
): HttpError {
  return new HttpError(status, errorBody(status, message, req.operation, extra));
}

export const notFound = (req: Request): HttpError => githubError(req, 404, 'Not Found');

/** GitHub's 422 for a field that failed validation. */
export function validationFailed(req: Request, field: string, detail: string): HttpError {
  return githubError(req, 422, 'Validation Failed', {
    errors: [{ resource: 'Secret', field, code: 'invalid', message: detail }],
  });
}

const FAULT_MESSAGES: Record<number, string> = {
  403: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  429: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
  504: 'We couldn’t respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.',
};

/** The body an injected status fault answers, as GitHub would for that status. */
export function faultBody(status: number, req: Request): Response {
  const message = FAULT_MESSAGES[status] ?? `HTTP ${status}`;
  return { status, body: errorBody(status, message, req.operation) };
}
