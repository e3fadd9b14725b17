/**
 * The bench's GitLab instance, seeded in-process through the emulator's seeding API (no
 * HTTP): `tokens` access tokens across `projects` projects in `groups` groups (a tenth of
 * them group tokens), `variables` CI/CD variables spread over the projects, and a share of
 * tokens due within the discovery horizon.
 */
import { createGitLabEmulator, type GitLabEmulator } from '../sandbox/gitlab/index.js';
import { listen, type RunningServer } from '../sandbox/http.js';
import type { BenchClock } from './clock.js';

export interface WorldSize {
  tokens: number;
  projects: number;
  groups: number;
  variables: number;
  /** Share of tokens that expire within the horizon (0..1). */
  dueShare: number;
}

export interface BenchWorld {
  gitlab: GitLabEmulator;
  server: RunningServer;
  url: string;
  adminToken: string;
  groupIds: number[];
  projectIds: number[];
  /** `YYYY-MM-DD`: tokens expiring before it are due. */
  horizon: string;
  /** Tokens seeded, and how many of them are due. */
  tokenCount: number;
  dueCount: number;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Builds and serves the world on 127.0.0.1 (port 0). */
export async function buildWorld(
  size: WorldSize,
  clock: BenchClock,
  options: { rateLimitPerMinute: number; latencyMs: number },
): Promise<BenchWorld> {
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
  return {
    gitlab,
    server,
    url: server.url,
    adminToken,
    groupIds,
    projectIds,
    horizon,
    tokenCount: size.tokens,
    dueCount,
    close: () => server.close(),
  };
}
