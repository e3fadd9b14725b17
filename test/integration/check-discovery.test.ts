/**
 * `credrot check` with a `discovery` entry, through the CLI, gitbeaker and credrot's HTTP
 * policy against the sandbox: which tokens of the instance it reports (those near expiry
 * that no credential of the configuration rotates), what it costs in calls, and what it
 * says when the token is not an administrator's.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoWorld, seedDemoWorld } from '../../sandbox/demo-world.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { marker } from '../../shared/sources/gitlab/marker.js';
import { credrot } from '../support/cli.js';

const DAY = 86_400_000;

let sandbox: Sandbox;
let world: DemoWorld;
let config: string;
let adminToken: string;
let gitlabUrl: string;
/** Every token value seeded here: none may ever be printed. */
const values: string[] = [];
const printed: string[] = [];
const ids: Record<string, number> = {};
let aliceId = 0;

interface JsonFinding {
  name: string;
  kind: string;
  location: string;
  subject: string;
  status: string;
  due: boolean;
  note?: string;
  error?: string;
}

async function check(env: Record<string, string>, ...argv: string[]) {
  const result = await credrot(['check', '--config', config, '--format', 'json', ...argv], env);
  printed.push(result.stdout, result.stderr);
  const findings = result.stdout
    ? (JSON.parse(result.stdout) as { findings: JsonFinding[] }).findings
    : [];
  return { ...result, findings, discovered: findings.filter((f) => f.name === 'instance') };
}

const asAdmin = () => ({ ...world.env, CREDROT_GITLAB_TOKEN: adminToken });

beforeAll(async () => {
  sandbox = await startSandbox();
  world = await seedDemoWorld(sandbox);
  const { gitlab } = sandbox;
  gitlabUrl = sandbox.endpoints.gitlab.url;
  const now = gitlab.now().getTime();
  const day = (offset: number) => new Date(now + offset * DAY).toISOString().slice(0, 10);
  const root = gitlab.createUser({ username: 'discovery-admin', admin: true });
  adminToken = gitlab.seedToken({
    userId: root.id,
    name: 'credrot-discovery',
    scopes: ['read_api'],
    expiresAt: day(300),
  }).token;
  values.push(sandbox.endpoints.gitlab.adminToken);
  const alice = gitlab.createUser({ username: 'alice' });
  aliceId = alice.id;
  const seed = (key: string, input: Parameters<typeof gitlab.seedToken>[0]) => {
    const t = gitlab.seedToken(input);
    ids[key] = t.id;
    values.push(t.token);
    return t;
  };
  // Near expiry, and nobody's credential: reported.
  seed('legacy', {
    projectId: world.projectId,
    name: 'legacy-deploy',
    scopes: ['read_repository'],
    expiresAt: day(3),
  });
  seed('group', { groupId: world.groupId, name: 'old-group', scopes: ['api'], expiresAt: day(20) });
  seed('laptop', { userId: alice.id, name: 'laptop', scopes: ['api'], expiresAt: day(10) });
  // Minted by credrot for a credential this configuration no longer has: reported, and said so.
  seed('orphan', {
    projectId: world.projectId,
    name: 'gone',
    scopes: ['read_api'],
    expiresAt: day(4),
    description: `${marker('gone', '00000000-0000-4000-8000-000000000099')} old CI token`,
  });
  // Revoked: not reported.
  const revoked = seed('revoked', {
    projectId: world.projectId,
    name: 'revoked-one',
    scopes: ['api'],
    expiresAt: day(2),
  });
  const res = await fetch(`${gitlabUrl}/api/v4/personal_access_tokens/${revoked.id}`, {
    method: 'DELETE',
    // Revoking needs the api scope; the discovery token has read_api only.
    headers: { 'private-token': sandbox.endpoints.gitlab.adminToken },
  });
  expect(res.status).toBe(204);
  // Far beyond the warning threshold: filtered out by GitLab, never listed.
  for (let i = 0; i < 150; i++) {
    seed(`far-${i}`, {
      projectId: world.projectId,
      name: `far-${i}`,
      scopes: ['read_api'],
      expiresAt: day(200 + (i % 50)),
    });
  }
  const scratch = await mkdtemp(join(tmpdir(), 'credrot-check-discovery-'));
  config = join(scratch, 'credrot.config.yaml');
  await writeFile(
    config,
    `${world.config}discovery:\n  - { name: instance, kind: gitlab-instance }\n`,
  );
});

afterAll(async () => {
  await sandbox?.close();
});

describe('credrot check discovers the tokens of the whole instance that nobody rotates', () => {
  it('reports each one near expiry with its owner, and leaves out those a credential rotates', async () => {
    const { gitlab } = sandbox;
    const before = gitlab.router.calls.length;
    const result = await check(asAdmin());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(2);
    const bySubject = new Map(result.discovered.map((f) => [f.subject, f]));
    expect([...bySubject.keys()].sort()).toEqual(
      [
        `gone (id ${ids['orphan']})`,
        `laptop (id ${ids['laptop']})`,
        `legacy-deploy (id ${ids['legacy']})`,
        `old-group (id ${ids['group']})`,
      ].sort(),
    );
    expect(bySubject.get(`legacy-deploy (id ${ids['legacy']})`)).toMatchObject({
      kind: 'gitlab-project-access-token',
      location: `${gitlabUrl} (project ${world.projectId})#legacy-deploy`,
      status: 'critical',
    });
    expect(bySubject.get(`legacy-deploy (id ${ids['legacy']})`)?.note).toMatch(
      /scopes read_repository; no credential of this configuration rotates it/,
    );
    expect(bySubject.get(`old-group (id ${ids['group']})`)).toMatchObject({
      kind: 'gitlab-group-access-token',
      location: `${gitlabUrl} (group ${world.groupId})#old-group`,
      status: 'warning',
    });
    expect(bySubject.get(`laptop (id ${ids['laptop']})`)).toMatchObject({
      kind: 'gitlab-personal-access-token',
      location: `${gitlabUrl} (user ${aliceId})#laptop`,
      status: 'warning',
    });
    expect(bySubject.get(`gone (id ${ids['orphan']})`)?.note).toMatch(
      /minted by credrot for credential 'gone', which this configuration does not define/,
    );
    // app-ci (5 days left) carries its credential's marker: the credential's own finding
    // reports it, discovery does not repeat it.
    expect(result.discovered.some((f) => f.subject.startsWith('app-ci'))).toBe(false);
    expect(result.findings.some((f) => f.name === 'app-ci' && f.status === 'critical')).toBe(true);

    // GitLab filtered the listing: 150 far-off tokens never crossed the wire, so one page.
    const listings = gitlab.router.calls
      .slice(before)
      .filter((c) => c.operation === 'gitlab.listPersonalTokens');
    expect(listings).toHaveLength(1);
  });

  it('follows --warn: a shorter horizon reports fewer tokens', async () => {
    const result = await check(asAdmin(), '--warn', '5d', '--critical', '1d');
    expect(result.discovered.map((f) => f.subject).sort()).toEqual(
      [`gone (id ${ids['orphan']})`, `legacy-deploy (id ${ids['legacy']})`].sort(),
    );
    expect(result.discovered.every((f) => f.status === 'warning')).toBe(true);
  });

  it('says an administrator token is needed, without a stack trace, when the token is not one', async () => {
    const result = await check(world.env);
    expect(result.code).toBe(2);
    expect(result.discovered).toHaveLength(1);
    const [finding] = result.discovered;
    expect(finding).toMatchObject({ status: 'unknown', kind: 'gitlab-instance' });
    expect(finding?.error).toMatch(/needs an administrator token/);
    expect(finding?.error).toMatch(/connections\.gitlab\.sandbox/);
    expect(result.stderr).toBe('');
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/\n\s+at /);
  });

  it('makes no call with --offline', async () => {
    const before = sandbox.gitlab.router.calls.length;
    const result = await credrot(['check', '--config', config, '--offline'], asAdmin());
    printed.push(result.stdout, result.stderr);
    expect(sandbox.gitlab.router.calls.length).toBe(before);
    expect(result.stdout).not.toContain('instance');
  });

  it('prints no token value, ever', () => {
    const text = printed.join('\n');
    expect(text.length).toBeGreaterThan(0);
    for (const value of [...values, adminToken, ...Object.values(world.before)]) {
      expect(text).not.toContain(value);
    }
  });
});
