/**
 * The bench's GitLab instance, seeded through the emulator's seeding API (no HTTP):
 * `tokens` access tokens across `projects` projects in `groups` groups (a tenth of them
 * group tokens), `variables` CI/CD variables spread over the projects, and a share of
 * tokens due within the discovery horizon. It runs where world-host.ts puts it (a worker
 * thread by default, so the emulator does not share credrot's event loop); every
 * operation the bench needs on it is asynchronous for that reason.
 */
import { createGitLabEmulator, type GitLabEmulator } from '../sandbox/gitlab/index.js';
import { listen } from '../sandbox/http.js';
import type { BenchClock } from './clock.js';
import { countCalls, type PhaseCounts } from './meter.js';

export interface WorldSize {
  tokens: number;
  projects: number;
  groups: number;
  variables: number;
  /** Share of tokens that expire within the horizon (0..1). */
  dueShare: number;
}

/** A token seeded for the rotation phase, with its three CI/CD variables holding it. */
export interface RotationSeed {
  projectId: number;
  id: number;
  token: string;
  userId: number;
}

export interface SeedRotationInput {
  count: number;
  /** `YYYY-MM-DD`. */
  expiresAt: string;
  /** Variables `${key}_${i}` holding token i, one per key. */
  sinkKeys: string[];
}

/** The world's facts, as plain data (they cross the worker boundary). */
export interface WorldInfo {
  url: string;
  adminToken: string;
  groupIds: number[];
  projectIds: number[];
  /** `YYYY-MM-DD`: tokens expiring before it are due. */
  horizon: string;
  /** Tokens seeded, and how many of them are due. */
  tokenCount: number;
  dueCount: number;
}

export interface BenchWorld extends WorldInfo {
  /** Where the emulator runs. */
  where: 'worker' | 'in-process';
  /** Calls the emulator has logged so far (an index for countCalls). */
  callCount(): Promise<number>;
  /** The emulator's calls from index `from` on. */
  countCalls(from: number): Promise<PhaseCounts>;
  seedRotation(input: SeedRotationInput): Promise<RotationSeed[]>;
  /** Changes the emulator's per-minute rate limit from the next request on. */
  setRateLimit(perMinute: number): Promise<void>;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Seeds the rotation phase's tokens, each with its variables, directly in the emulator. */
export function seedRotation(
  gitlab: GitLabEmulator,
  info: WorldInfo,
  input: SeedRotationInput,
): RotationSeed[] {
  const out: RotationSeed[] = [];
  for (let i = 0; i < input.count; i++) {
    const projectId = info.projectIds[i % info.projectIds.length]!;
    const seeded = gitlab.seedToken({
      projectId,
      name: `deploy-${i}`,
      scopes: ['read_api'],
      expiresAt: input.expiresAt,
    });
    for (const key of input.sinkKeys) {
      gitlab.variables.insert('project', projectId, {
        key: `${key}_${i}`,
        value: seeded.token,
        variable_type: 'env_var',
        protected: false,
        masked: true,
        hidden: false,
        raw: false,
        environment_scope: '*',
        description: null,
      });
    }
    out.push({ projectId, id: seeded.id, token: seeded.token, userId: seeded.userId });
  }
  return out;
}

/** Builds and serves the world on 127.0.0.1 (port 0), in this thread. */
export async function buildWorld(
  size: WorldSize,
  clock: BenchClock,
  options: { rateLimitPerMinute: number; latencyMs: number },
): Promise<BenchWorld & { gitlab: GitLabEmulator }> {
  const gitlab = createGitLabEmulator({
    rateLimitPerMinute: options.rateLimitPerMinute,
    now: () => new Date(clock.now()),
  });
  const today = Date.parse(`${isoDay(clock.now())}T00:00:00Z`);
  const horizon = isoDay(today + 30 * DAY_MS);
  const admin = gitlab.createUser({ username: 'root', admin: true });
  const adminToken = gitlab.seedToken({
    userId: admin.id,
    name: 'credrot-admin',
    scopes: ['api'],
    expiresAt: isoDay(today + 360 * DAY_MS),
  }).token;

  const groupIds: number[] = [];
  for (let g = 0; g < size.groups; g++) groupIds.push(gitlab.createGroup({ path: `team-${g}` }).id);
  const projectIds: number[] = [];
  for (let p = 0; p < size.projects; p++) {
    const namespaceId = groupIds[p % groupIds.length]!;
    projectIds.push(gitlab.createProject({ path: `service-${p}`, namespaceId }).id);
  }

  const groupTokens = Math.round(size.tokens / 10);
  const everyDue = size.dueShare > 0 ? Math.round(1 / size.dueShare) : 0;
  let dueCount = 0;
  for (let i = 0; i < size.tokens; i++) {
    const due = everyDue > 0 && i % everyDue === 0;
    if (due) dueCount += 1;
    // Due tokens expire within the horizon; the others within the year, after it.
    const days = due ? 2 + (i % 27) : 45 + (i % 300);
    const common = {
      name: `ci-${i}`,
      scopes: ['read_api'],
      expiresAt: isoDay(today + days * DAY_MS),
    };
    if (i < groupTokens) gitlab.seedToken({ ...common, groupId: groupIds[i % groupIds.length]! });
    else gitlab.seedToken({ ...common, projectId: projectIds[i % projectIds.length]! });
  }

  for (let v = 0; v < size.variables; v++) {
    const projectId = projectIds[v % projectIds.length]!;
    gitlab.variables.insert('project', projectId, {
      key: `VAR_${Math.floor(v / projectIds.length)}`,
      value: `value-${v}-0123456789`,
      variable_type: 'env_var',
      protected: false,
      masked: false,
      hidden: false,
      raw: false,
      environment_scope: '*',
      description: null,
    });
  }

  gitlab.faults.setPlan({ latency: options.latencyMs });
  const server = await listen(gitlab.router.listener);
  const info: WorldInfo = {
    url: server.url,
    adminToken,
    groupIds,
    projectIds,
    horizon,
    tokenCount: size.tokens,
    dueCount,
  };
  return {
    ...info,
    gitlab,
    where: 'in-process',
    callCount: async () => gitlab.router.calls.length,
    countCalls: async (from) => countCalls(gitlab, from),
    seedRotation: async (input) => seedRotation(gitlab, info, input),
    setRateLimit: async (perMinute) => gitlab.setRateLimit(perMinute),
    close: () => server.close(),
  };
}
