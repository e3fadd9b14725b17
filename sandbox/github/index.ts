/**
 * A local emulator of the GitHub REST API subset credrot uses through `@octokit/rest`:
 * Actions secrets (repository, environment, organization) sealed with libsodium, the
 * secret-scanning alert read, primary and secondary rate limits, and signed webhook
 * deliveries. Any client works unchanged with its base URL pointed at the listener.
 *
 * Operation names for fault plans (`FaultRule.operation`):
 *   github.getRepoPublicKey, github.listRepoSecrets, github.getRepoSecret,
 *   github.createOrUpdateRepoSecret, github.deleteRepoSecret,
 *   github.getEnvironmentPublicKey, github.listEnvironmentSecrets, github.getEnvironmentSecret,
 *   github.createOrUpdateEnvironmentSecret, github.deleteEnvironmentSecret,
 *   github.getOrgPublicKey, github.listOrgSecrets, github.getOrgSecret,
 *   github.createOrUpdateOrgSecret, github.deleteOrgSecret,
 *   github.listSelectedReposForOrgSecret, github.setSelectedReposForOrgSecret,
 *   github.addSelectedRepoToOrgSecret, github.removeSelectedRepoFromOrgSecret,
 *   github.getSecretScanningAlert, github.updateSecretScanningAlert,
 *   github.getRepo, github.getRateLimit
 */
import { randomUUID } from 'node:crypto';
import { FaultController, type FaultPlan } from '../faults.js';
import { type Request, Router } from '../http.js';
import type { GitHubContext } from './context.js';
import { errorBody, faultBody } from './errors.js';
import { KeyRing } from './keys.js';
import { registerOrgSecretRoutes } from './org-secrets.js';
import { RateLimiter } from './rate-limit.js';
import { registerRepoSecretRoutes } from './repo-secrets.js';
import {
  alertWebhookPayload,
  registerSecretScanningRoutes,
  SecretScanningAlerts,
} from './secret-scanning.js';
import { SecretStore, scopeKey } from './store.js';
import { type DeliveryResult, WebhookEmitter } from './webhooks.js';
import {
  apiRoot,
  GitHubWorld,
  minimalRepository,
  type SeedTokenInput,
  type Token,
} from './world.js';

export type { DeliveryResult } from './webhooks.js';
export type { SeedTokenInput } from './world.js';

export interface GitHubEmulatorOptions {
  now?: () => Date;
  faults?: FaultPlan;
  /** Primary limit for tokens, requests per hour (GitHub: 5000). */
  coreLimitPerHour?: number;
  /** Primary limit for unauthenticated callers, requests per hour (GitHub: 60). */
  anonymousLimitPerHour?: number;
  /** Secondary limit on content-creating requests, per minute (GitHub: 80). */
  contentCreatingPerMinute?: number;
  /** How long a webhook receiver may take, in ms (GitHub: 10 s). */
  webhookTimeoutMs?: number;
  /** API root used in webhook payload URLs (responses use the request's Host). */
  baseUrl?: string;
}

export type SecretScope =
  | { repo: string }
  | { org: string }
  | { repo: string; environment: string };

export interface GitHubEmulator {
  router: Router;
  /** API root used in webhook payload URLs; set it to the listener's URL once known. */
  baseUrl: string;
  seedOrg(login: string): void;
  seedRepo(owner: string, name: string): { id: number };
  seedEnvironment(owner: string, repo: string, env: string): void;
  /** Issues a token (like a fine-grained PAT/installation token) with permission on listed repos/orgs; returns its value. */
  seedToken(input: SeedTokenInput): string;
  /** In-process read of a secret's decrypted plaintext for tests' consumer probes (never via HTTP). */
  secretValue(scope: SecretScope, name: string): string | undefined;
  /** The value a workflow job in `repo` (optionally deploying to `environment`) sees: environment > repository > organization. */
  workflowSecretValue(repo: string, name: string, environment?: string): string | undefined;
  /** Replaces a scope's key pair, so values sealed for the old `key_id` are refused (422). */
  rotatePublicKey(scope: SecretScope): void;
  /** Records an open secret-scanning alert in `repo` ('owner/name'); returns its number. */
  seedSecretScanningAlert(input: { repo: string; secretType: string; secret: string }): number;
  webhooks: {
    add(input: { url: string; secret: string; events: string[]; repo?: string; org?: string }): {
      hookId: number;
    };
    emit(event: string, payload: object): Promise<DeliveryResult[]>;
    /** Sends a past delivery again with the same `X-GitHub-Delivery` GUID. */
    redeliver(deliveryId: string): Promise<DeliveryResult>;
    /** Changes the alert's state as the action implies and emits `secret_scanning_alert`. */
    emitSecretScanningAlert(input: {
      repo: string;
      number: number;
      action: 'created' | 'reopened' | 'resolved';
    }): Promise<DeliveryResult[]>;
  };
}

const CONTENT_CREATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Builds the emulator; serve it with `listen(emulator.router.listener)`. */
export function createGitHubEmulator(opts: GitHubEmulatorOptions = {}): GitHubEmulator {
  const now = opts.now ?? (() => new Date());
  const world = new GitHubWorld();
  const keys = new KeyRing();
  const secrets = new SecretStore();
  const alerts = new SecretScanningAlerts();
  const callers = new WeakMap<Request, Token>();
  const limiter = new RateLimiter({
    now,
    coreLimitPerHour: opts.coreLimitPerHour ?? 5000,
    anonymousLimitPerHour: opts.anonymousLimitPerHour ?? 60,
    contentCreatingPerMinute: opts.contentCreatingPerMinute ?? 80,
  });
  const ctx: GitHubContext = {
    world,
    keys,
    secrets,
    now,
    caller(req) {
      const token = callers.get(req);
      if (!token)
        throw new Error('caller() used on a request the before hook did not authenticate');
      return token;
    },
  };

  const router = new Router({
    faults: new FaultController(opts.faults),
    faultBody,
    before(req) {
      const { present, token } = world.tokenOf(req);
      const limited = limiter.admit(
        req,
        token
          ? { key: `user:${token.user.id}`, authenticated: true, userId: token.user.id }
          : { key: 'anonymous', authenticated: false },
        {
          counted: req.operation !== 'github.getRateLimit',
          contentCreating: CONTENT_CREATING.has(req.method),
        },
      );
      if (limited) return limited;
      if (!token) {
        const message = present ? 'Bad credentials' : 'Requires authentication';
        return { status: 401, body: errorBody(401, message, req.operation) };
      }
      callers.set(req, token);
      return undefined;
    },
    after(req, res) {
      res.headers = {
        ...res.headers,
        ...limiter.headers(req),
        'x-github-media-type': 'github.v3; format=json',
        'x-github-api-version-selected': '2022-11-28',
        'x-github-request-id': randomUUID().toUpperCase(),
      };
    },
  });

  registerRepoSecretRoutes(router, ctx);
  registerOrgSecretRoutes(router, ctx);
  registerSecretScanningRoutes(router, ctx, alerts, apiRoot);

  // https://docs.github.com/rest/repos/repos#get-a-repository (for ids of selected repositories)
  router.on('GET', '/repos/:owner/:repo', 'github.getRepo', (req) => {
    const repo = world.repo(req, ctx.caller(req), req.params['owner']!, req.params['repo']!);
    return { status: 200, body: minimalRepository(repo, apiRoot(req)) };
  });

  // https://docs.github.com/rest/rate-limit/rate-limit (does not spend the primary budget)
  router.on('GET', '/rate_limit', 'github.getRateLimit', (req) => {
    const core = limiter.statusOf(req);
    return { status: 200, body: { resources: { core }, rate: core } };
  });

  const emitter = new WebhookEmitter(now, opts.webhookTimeoutMs);
  const repoNamed = (full: string) => {
    const repo = world.repos.get(full.toLowerCase());
    if (!repo) throw new Error(`unknown repository ${full}; seed it first`);
    return repo;
  };
  const scopeOf = (scope: SecretScope): string | undefined => {
    if ('org' in scope) {
      const org = world.accounts.get(scope.org.toLowerCase());
      return org ? scopeKey.org(org.id) : undefined;
    }
    const repo = world.repos.get(scope.repo.toLowerCase());
    if (!repo) return undefined;
    return 'environment' in scope
      ? scopeKey.environment(repo, scope.environment)
      : scopeKey.repo(repo);
  };

  const emulator: GitHubEmulator = {
    router,
    baseUrl: opts.baseUrl ?? 'https://api.github.com',
    seedOrg: (login) => {
      world.seedOrg(login);
    },
    seedRepo: (owner, name) => ({ id: world.seedRepo(owner, name).id }),
    seedEnvironment: (owner, repo, env) => world.seedEnvironment(owner, repo, env),
    seedToken: (input) => world.seedToken(input),
    secretValue(scope, name) {
      const key = scopeOf(scope);
      return key ? secrets.get(key, name)?.value : undefined;
    },
    workflowSecretValue(full, name, environment) {
      const repo = world.repos.get(full.toLowerCase());
      if (!repo) return undefined;
      const fromEnv =
        environment === undefined
          ? undefined
          : secrets.get(scopeKey.environment(repo, environment), name);
      const fromRepo = secrets.get(scopeKey.repo(repo), name);
      const fromOrg =
        repo.owner.type === 'Organization'
          ? secrets.get(scopeKey.org(repo.owner.id), name)
          : undefined;
      const orgVisible =
        fromOrg !== undefined &&
        (fromOrg.visibility !== 'selected' || fromOrg.selectedRepoIds.has(repo.id));
      return (fromEnv ?? fromRepo ?? (orgVisible ? fromOrg : undefined))?.value;
    },
    rotatePublicKey(scope) {
      const key = scopeOf(scope);
      if (!key) throw new Error('unknown scope; seed it first');
      keys.rotate(key);
    },
    seedSecretScanningAlert: ({ repo, secretType, secret }) =>
      alerts.seed(repoNamed(repo), secretType, secret, now()),
    webhooks: {
      add({ repo, org, ...hook }) {
        if (repo)
          return emitter.add({ ...hook, target: { type: 'repository', id: repoNamed(repo).id } });
        const account = org ? world.accounts.get(org.toLowerCase()) : undefined;
        if (org && !account) throw new Error(`unknown organization ${org}; seed it first`);
        return emitter.add(
          account ? { ...hook, target: { type: 'organization', id: account.id } } : hook,
        );
      },
      emit: (event, payload) => emitter.emit(event, payload),
      redeliver: (deliveryId) => emitter.redeliver(deliveryId),
      emitSecretScanningAlert({ repo, number, action }) {
        const alert = alerts.find(repoNamed(repo), number);
        if (!alert) throw new Error(`no secret-scanning alert ${number} in ${repo}`);
        if (action === 'resolved')
          alerts.setState(alert, 'resolved', now(), alert.repo.owner, 'revoked');
        if (action === 'reopened') alerts.setState(alert, 'open', now(), null);
        const payload = alertWebhookPayload(action, alert, emulator.baseUrl, alert.repo.owner);
        return emitter.emit('secret_scanning_alert', payload);
      },
    },
  };
  return emulator;
}
