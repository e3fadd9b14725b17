/**
 * Secret-scanning alerts: seeded by tests (a leaked credential found in a repository),
 * read back with the secret value through `GET .../secret-scanning/alerts/{number}`
 * (the webhook payload never carries the value), and resolved with `PATCH`.
 *
 * https://docs.github.com/rest/secret-scanning/secret-scanning#get-a-secret-scanning-alert
 * https://docs.github.com/rest/secret-scanning/secret-scanning#update-a-secret-scanning-alert
 * https://docs.github.com/webhooks/webhook-events-and-payloads#secret_scanning_alert
 */
import type { Request, Router } from '../http.js';
import type { GitHubContext } from './context.js';
import { githubError, notFound } from './errors.js';
import { type Account, isoSeconds, minimalRepository, type Repo } from './world.js';

export type AlertResolution = 'false_positive' | 'wont_fix' | 'revoked' | 'used_in_tests';
const RESOLUTIONS: readonly string[] = ['false_positive', 'wont_fix', 'revoked', 'used_in_tests'];

export interface SecretScanningAlert {
  number: number;
  repo: Repo;
  secretType: string;
  secret: string;
  state: 'open' | 'resolved';
  resolution: AlertResolution | null;
  resolutionComment: string | null;
  resolvedAt: Date | null;
  resolvedBy: Account | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Display names of the partner patterns credrot cares about; others are derived. */
const DISPLAY_NAMES: Record<string, string> = {
  github_personal_access_token: 'GitHub Personal Access Token',
  github_app_installation_access_token: 'GitHub App Installation Access Token',
  gitlab_access_token: 'GitLab Access Token',
  aws_access_key_id: 'AWS Access Key ID',
  aws_secret_access_key: 'AWS Secret Access Key',
  google_api_key: 'Google API Key',
  google_cloud_private_key_id: 'Google Cloud Private Key ID',
};

function displayName(secretType: string): string {
  return (
    DISPLAY_NAMES[secretType] ??
    secretType
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(' ')
  );
}

export function simpleUser(account: Account): Record<string, unknown> {
  return { login: account.login, id: account.id, type: account.type, site_admin: false };
}

export class SecretScanningAlerts {
  private readonly alerts: SecretScanningAlert[] = [];

  /** Records an open alert; answers its number (numbered per repository from 1). */
  seed(repo: Repo, secretType: string, secret: string, now: Date): number {
    const number = this.alerts.filter((a) => a.repo.id === repo.id).length + 1;
    this.alerts.push({
      number,
      repo,
      secretType,
      secret,
      state: 'open',
      resolution: null,
      resolutionComment: null,
      resolvedAt: null,
      resolvedBy: null,
      createdAt: now,
      updatedAt: now,
    });
    return number;
  }

  find(repo: Repo, number: number): SecretScanningAlert | undefined {
    return this.alerts.find((a) => a.repo.id === repo.id && a.number === number);
  }

  /** Moves an alert to `resolved` (with a resolution) or back to `open`. */
  setState(
    alert: SecretScanningAlert,
    state: 'open' | 'resolved',
    now: Date,
    by: Account | null,
    resolution: AlertResolution | null = null,
    comment: string | null = null,
  ): void {
    alert.state = state;
    alert.resolution = state === 'resolved' ? resolution : null;
    alert.resolutionComment = state === 'resolved' ? comment : null;
    alert.resolvedAt = state === 'resolved' ? now : null;
    alert.resolvedBy = state === 'resolved' ? by : null;
    alert.updatedAt = now;
  }
}

/** The alert as the REST API answers it (`withSecret`) or as a webhook carries it (without). */
export function alertBody(
  alert: SecretScanningAlert,
  root: string,
  withSecret: boolean,
): Record<string, unknown> {
  const full = `${alert.repo.owner.login}/${alert.repo.name}`;
  const url = `${root}/repos/${full}/secret-scanning/alerts/${alert.number}`;
  const body: Record<string, unknown> = {
    number: alert.number,
    created_at: isoSeconds(alert.createdAt),
    updated_at: isoSeconds(alert.updatedAt),
    url,
    html_url: `https://github.com/${full}/security/secret-scanning/${alert.number}`,
    locations_url: `${url}/locations`,
    state: alert.state,
    resolution: alert.resolution,
    resolved_at: alert.resolvedAt ? isoSeconds(alert.resolvedAt) : null,
    resolved_by: alert.resolvedBy ? simpleUser(alert.resolvedBy) : null,
    resolution_comment: alert.resolutionComment,
    secret_type: alert.secretType,
    secret_type_display_name: displayName(alert.secretType),
    validity: 'active',
    push_protection_bypassed: false,
    push_protection_bypassed_by: null,
    push_protection_bypassed_at: null,
    publicly_leaked: false,
    multi_repo: false,
  };
  if (withSecret) body['secret'] = alert.secret;
  return body;
}

/** The `secret_scanning_alert` webhook payload: alert (no secret), repository, sender. */
export function alertWebhookPayload(
  action: 'created' | 'reopened' | 'resolved',
  alert: SecretScanningAlert,
  root: string,
  sender: Account,
): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    action,
    alert: alertBody(alert, root, false),
    repository: minimalRepository(alert.repo, root),
    sender: simpleUser(sender),
  };
  const owner = alert.repo.owner;
  if (owner.type === 'Organization') {
    payload['organization'] = {
      login: owner.login,
      id: owner.id,
      url: `${root}/orgs/${owner.login}`,
    };
  }
  return payload;
}

/** Registers the secret-scanning alert routes on `router`. */
export function registerSecretScanningRoutes(
  router: Router,
  ctx: GitHubContext,
  alerts: SecretScanningAlerts,
  root: (req: Request) => string,
): void {
  const alertOf = (req: Request): SecretScanningAlert => {
    const { owner, repo, number } = req.params as { owner: string; repo: string; number: string };
    const found = ctx.world.repo(req, ctx.caller(req), owner, repo);
    const alert = alerts.find(found, Number(number));
    if (!alert) throw notFound(req);
    return alert;
  };
  const path = '/repos/:owner/:repo/secret-scanning/alerts/:number';

  router.on('GET', path, 'github.getSecretScanningAlert', (req) => ({
    status: 200,
    body: alertBody(alertOf(req), root(req), true),
  }));

  router.on('PATCH', path, 'github.updateSecretScanningAlert', (req) => {
    const alert = alertOf(req);
    const body = req.json<Record<string, unknown>>();
    const state = body['state'];
    const resolution = body['resolution'];
    const comment = body['resolution_comment'];
    if (state !== 'open' && state !== 'resolved') {
      throw githubError(req, 422, 'Invalid request.\n\n"state" must be one of open, resolved.');
    }
    if (
      state === 'resolved' &&
      (typeof resolution !== 'string' || !RESOLUTIONS.includes(resolution))
    ) {
      throw githubError(req, 422, 'A resolution is required when the state is resolved.');
    }
    alerts.setState(
      alert,
      state,
      ctx.now(),
      ctx.caller(req).user,
      state === 'resolved' ? (resolution as AlertResolution) : null,
      typeof comment === 'string' ? comment : null,
    );
    return { status: 200, body: alertBody(alert, root(req), true) };
  });
}
