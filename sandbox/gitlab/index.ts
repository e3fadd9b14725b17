/**
 * The GitLab REST v4 emulator: one Router with GitLab-shaped fault bodies, the per-user
 * rate limiter, and every route module, plus in-process seeding for tests and the demo.
 *
 * Operation names (for fault plans; `gitlab.<verb><Thing>`):
 *   identity:        gitlab.getCurrentUser, gitlab.listUsers, gitlab.getUser, gitlab.getGroup,
 *                    gitlab.listProjects, gitlab.getProject,
 *                    gitlab.listProjectMembers, gitlab.getProjectMember,
 *                    gitlab.listGroupMembers, gitlab.getGroupMember
 *   personal tokens: gitlab.listPersonalTokens, gitlab.getPersonalToken,
 *                    gitlab.getSelfPersonalToken, gitlab.revokePersonalToken,
 *                    gitlab.revokeSelfPersonalToken, gitlab.rotatePersonalToken,
 *                    gitlab.rotateSelfPersonalToken, gitlab.createUserPersonalToken,
 *                    gitlab.createOwnPersonalToken
 *   project tokens:  gitlab.listProjectTokens, gitlab.getProjectToken, gitlab.createProjectToken,
 *                    gitlab.revokeProjectToken, gitlab.rotateProjectToken
 *   group tokens:    gitlab.listGroupTokens, gitlab.getGroupToken, gitlab.createGroupToken,
 *                    gitlab.revokeGroupToken, gitlab.rotateGroupToken
 *   deploy tokens:   gitlab.listAllDeployTokens (instance), and for projects and groups alike
 *                    gitlab.listDeployTokens, gitlab.getDeployToken, gitlab.createDeployToken,
 *                    gitlab.deleteDeployToken (add a `path` to a rule to tell them apart)
 *   registry:        gitlab.registryAuth (GET /jwt/auth, once `mountRegistryAuth` is called)
 *   variables:       gitlab.{list,get,create,update,delete}{Project,Group,Instance}Variable
 *   hooks, notes:    see sandbox/gitlab/hooks.ts and sandbox/gitlab/notes.ts
 *   unmatched paths: unmatched
 */
import { STATUS_CODES } from 'node:http';
import type { FaultController, FaultPlan } from '../faults.js';
import { FaultController as Faults } from '../faults.js';
import { type Handler, type Request, type Response, Router } from '../http.js';
import type { GitLabContext, GitLabGroup, GitLabProject, GitLabUser } from './context.js';
import { DeployTokenStore, registerDeployTokenRoutes } from './deploy-tokens.js';
import { ExpiryWorker } from './expiry-worker.js';
import {
  type DeliveryResult,
  type HookDispatcher,
  type HookDispatcherOptions,
  registerHookRoutes,
} from './hooks.js';
import { tokenFromRequest, World } from './identity.js';
import { registerIdentityRoutes } from './identity-routes.js';
import { registerNoteRoutes } from './notes.js';
import { type GitLabMode, registerPersonalTokenRoutes } from './personal-tokens.js';
import { RateLimiter } from './rate-limit.js';
import { type RegistryDecision, registryAccess } from './registry-access.js';
import { registerResourceTokenRoutes } from './tokens.js';
import { registerVariableRoutes } from './variables.js';
import type { MemoryVariableStore } from './variables-store.js';

export type { GitLabMode } from './personal-tokens.js';
export type { RegistryDecision } from './registry-access.js';

export interface GitLabEmulatorOptions {
  mode?: GitLabMode;
  /** Requests per minute per authenticated user (and per IP otherwise); default 2000. */
  rateLimitPerMinute?: number;
  now?: () => Date;
  faults?: FaultPlan;
  /** Webhook delivery settings (timeout, instance URL) for hooks.ts. */
  hooks?: HookDispatcherOptions;
}

export interface SeedTokenInput {
  /** A personal access token of this user... */
  userId?: number;
  /** ...or a project/group access token (a new bot user) of this project or group. */
  projectId?: number;
  groupId?: number;
  name: string;
  scopes: string[];
  /** `YYYY-MM-DD`. */
  expiresAt: string;
  /** Role of the bot for project/group tokens; default Maintainer (40). */
  accessLevel?: number;
  description?: string;
}

export interface SeedDeployTokenInput {
  projectId?: number;
  groupId?: number;
  name: string;
  scopes: string[];
  /** ISO date or timestamp; omitted or null never expires. */
  expiresAt?: string | null;
  username?: string;
}

export interface GitLabEmulator {
  router: Router;
  ctx: GitLabContext;
  faults: FaultController;
  /** CI/CD variables (read hidden values in tests without the API). */
  variables: MemoryVariableStore;
  /** Deploy tokens (list them in invariant checks without the API). */
  deployTokens: DeployTokenStore;
  /** Webhook dispatcher: emit events in-process, await `idle()` in tests. */
  hooks: HookDispatcher;
  createUser(input: { username: string; admin?: boolean }): GitLabUser;
  createGroup(input: { path: string; parentId?: number }): GitLabGroup;
  createProject(input: { path: string; namespaceId: number }): GitLabProject;
  addMember(
    target: { projectId: number } | { groupId: number },
    userId: number,
    accessLevel: number,
  ): void;
  /** Creates a personal/project/group access token directly; returns its id and plaintext value. */
  seedToken(input: SeedTokenInput): { id: number; token: string; userId: number };
  seedDeployToken(input: SeedDeployTokenInput): { id: number; token: string; username: string };
  /** The state of a token (access or deploy) by plaintext, for invariant checks. */
  tokenState(value: string): 'active' | 'revoked' | 'expired' | 'unknown';
  /** Moves the emulator clock to `now`; time keeps flowing from there. */
  setNow(now: Date): void;
  /** Changes the per-minute rate limit from the next request on (GitLab's settings page). */
  setRateLimit(perMinute: number): void;
  now(): Date;
  /** Registry basic-auth decision for `/jwt/auth` (see registry-access.ts). */
  registryAccess(
    username: string,
    password: string,
    repository: string,
    requested: string[],
  ): RegistryDecision;
  /**
   * Runs GitLab's daily expiry job now: one `expiring_access_token` / `expiring_deploy_token`
   * webhook per project/group/deploy token expiring within seven days (once per token).
   */
  runExpiryWorker(): Promise<DeliveryResult[]>;
  /** Serves the registry token endpoint (`GET /jwt/auth`) from this emulator, as GitLab does. */
  mountRegistryAuth(handler: Handler): void;
}

/** GitLab's error body for a status: `{"message":"429 Too Many Requests"}` and so on. */
export function gitlabFaultBody(status: number, _req?: Request): Response {
  const reason = status === 400 ? 'Bad request' : (STATUS_CODES[status] ?? 'Error');
  return { status, body: { message: `${status} ${reason}` } };
}

/** Builds an emulator; call `listen(emulator.router.listener)` from `sandbox/http.ts` to serve it. */
export function createGitLabEmulator(opts: GitLabEmulatorOptions = {}): GitLabEmulator {
  const mode = opts.mode ?? 'saas';
  const baseClock = opts.now ?? (() => new Date());
  let offsetMs = 0;
  const now = () => new Date(baseClock().getTime() + offsetMs);

  const world = new World(now);
  const deployTokens = new DeployTokenStore(() => world.nextId('deploy_token'), now);
  const limiter = new RateLimiter({
    limitPerMinute: opts.rateLimitPerMinute ?? 2000,
    now,
    identify: (req) => {
      const value = tokenFromRequest(req);
      const t = value ? world.tokens.findByValue(value) : undefined;
      return t && world.tokens.state(t) === 'active' ? t.userId : undefined;
    },
  });
  const router = new Router({
    faultBody: gitlabFaultBody,
    before: limiter.before,
    after: limiter.after,
    faults: new Faults(opts.faults ?? {}),
  });

  registerIdentityRoutes(router, world);
  registerPersonalTokenRoutes(router, world, mode);
  registerResourceTokenRoutes(router, world);
  registerDeployTokenRoutes(router, world, deployTokens);
  const variables = registerVariableRoutes(router, world);
  const hooks = registerHookRoutes(router, world, opts.hooks ?? {});
  registerNoteRoutes(router, world, hooks);
  const expiryWorker = new ExpiryWorker(world, deployTokens, hooks);

  return {
    router,
    ctx: world,
    faults: router.faults,
    variables,
    deployTokens,
    hooks,
    createUser: (input) => world.createUser(input),
    createGroup: (input) => world.createGroup(input),
    createProject: (input) => world.createProject(input),
    addMember: (target, userId, level) => world.addMember(target, userId, level),
    seedToken(input) {
      const ref =
        input.projectId !== undefined
          ? { kind: 'project' as const, id: input.projectId }
          : input.groupId !== undefined
            ? { kind: 'group' as const, id: input.groupId }
            : undefined;
      const userId = ref
        ? world.createBot(ref, input.name, input.accessLevel ?? 40).id
        : input.userId;
      if (userId === undefined || !world.users.has(userId)) {
        throw new Error('seedToken needs an existing userId, or a projectId or groupId');
      }
      const { record, token } = world.tokens.create({
        userId,
        name: input.name,
        description: input.description ?? null,
        scopes: input.scopes,
        expiresAt: input.expiresAt,
      });
      return { id: record.id, token, userId };
    },
    seedDeployToken(input) {
      const owner =
        input.projectId !== undefined
          ? { kind: 'project' as const, id: input.projectId }
          : { kind: 'group' as const, id: input.groupId ?? Number.NaN };
      const exists =
        owner.kind === 'project' ? world.projects.has(owner.id) : world.groups.has(owner.id);
      if (!exists) throw new Error('seedDeployToken needs an existing projectId or groupId');
      const { record, token } = deployTokens.create({
        owner,
        name: input.name,
        scopes: input.scopes,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
        username: input.username,
      });
      return { id: record.id, token, username: record.username };
    },
    tokenState(value) {
      const t = world.tokens.findByValue(value);
      if (t) return world.tokens.state(t);
      const d = deployTokens.findByValue(value);
      if (!d) return 'unknown';
      if (d.revoked || d.deleted) return 'revoked';
      return deployTokens.expired(d) ? 'expired' : 'active';
    },
    setNow(at) {
      offsetMs = at.getTime() - baseClock().getTime();
    },
    setRateLimit: (perMinute) => limiter.setLimit(perMinute),
    now,
    registryAccess: (username, password, repository, requested) =>
      registryAccess(world, deployTokens, username, password, repository, requested),
    runExpiryWorker: () => expiryWorker.run(),
    mountRegistryAuth(handler) {
      router.on('GET', '/jwt/auth', 'gitlab.registryAuth', handler);
    },
  };
}
