import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoWorld, seedDemoWorld } from '../../sandbox/demo-world.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { fingerprint } from '../../shared/util/fingerprint.js';
import { credrot } from '../support/cli.js';

const REPO = resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;
const KINDS: Record<string, string> = {
  'app-ci': 'gitlab-project-access-token',
  'platform-ci': 'gitlab-group-access-token',
  'app-registry': 'gitlab-deploy-token',
};

let sandbox: Sandbox;
let world: DemoWorld;
let scratch: string;
let config: string;
/** Everything the CLI printed in this file, searched for secrets at the end. */
const printed: string[] = [];

async function cli(file: string, ...argv: string[]) {
  const result = await credrot(['check', '--config', file, ...argv], world.env);
  printed.push(result.stdout, result.stderr);
  return result;
}

async function writeConfig(name: string, text: string): Promise<string> {
  const file = join(scratch, name);
  await writeFile(file, text);
  return file;
}

/** The table row of `name` of `kind`, split into its columns. */
function row(stdout: string, name: string, kind: string): string[] | undefined {
  return stdout
    .split('\n')
    .map((line) => line.split(/\s{2,}/))
    .find((cells) => cells[1] === name && cells[2] === kind);
}

interface JsonFinding {
  name: string;
  kind: string;
  location: string;
  status: string;
  due: boolean;
  reason: string;
  fingerprint: string;
  notAfter?: string;
  note?: string;
  error?: string;
}

function findings(stdout: string): JsonFinding[] {
  return (JSON.parse(stdout) as { findings: JsonFinding[] }).findings;
}

/** A localhost port with nothing listening: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  return typeof address === 'object' && address ? address.port : 1;
}

beforeAll(async () => {
  sandbox = await startSandbox();
  world = await seedDemoWorld(sandbox, {
    gracePeriod: '1h',
    watchers: `\n  - { name: root-ca, kind: certificate, path: ${join(REPO, 'examples/pki/ca.pem')} }`,
  });
  scratch = await mkdtemp(join(tmpdir(), 'credrot-check-live-'));
  config = await writeConfig('credrot.config.yaml', world.config);
});

afterAll(async () => {
  await sandbox?.close();
});

describe('credrot check on the live credentials of the sandbox', () => {
  it('reports each credential with the status of the expiry GitLab reports and the due flag credrot plan uses', async () => {
    const [check, plan] = await Promise.all([
      cli(config),
      credrot(['plan', '--json', '--config', config], world.env),
    ]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(2);
    const appCi = row(check.stdout, 'app-ci', 'gitlab-project-access-token');
    const platform = row(check.stdout, 'platform-ci', 'gitlab-group-access-token');
    const registry = row(check.stdout, 'app-registry', 'gitlab-deploy-token');
    const gitlab = sandbox.endpoints.gitlab.url;
    expect(appCi?.slice(0, 4)).toEqual([
      'CRITICAL',
      'app-ci',
      'gitlab-project-access-token',
      `${gitlab}/platform/app`,
    ]);
    expect(appCi?.at(-1)).toBe('yes');
    expect(registry?.[0]).toBe('CRITICAL');
    expect(registry?.at(-1)).toBe('yes');
    expect(platform?.slice(0, 4)).toEqual([
      'OK',
      'platform-ci',
      'gitlab-group-access-token',
      `${gitlab}/platform`,
    ]);
    expect(platform?.at(-1)).toMatch(/^no \(in 29d( \d+h)?\)$/);
    // Most urgent first: the deploy token (3 days left), the project token (5 days), then
    // the OK ones by expiry: the group token (60 days) before the file's CA (10 years).
    const order = check.stdout.split('\n').map((line) => line.split(/\s{2,}/)[1]);
    expect(
      ['app-registry', 'app-ci', 'platform-ci', 'root-ca'].map((name) => order.indexOf(name)),
    ).toEqual([1, 2, 3, 4]);

    const planned = (
      JSON.parse(plan.stdout) as { plan: Array<{ credential: string; action: string }> }
    ).plan;
    expect(planned).toHaveLength(3);
    for (const entry of planned) {
      const cells = row(check.stdout, entry.credential, KINDS[entry.credential]!);
      expect(cells?.at(-1) === 'yes', entry.credential).toBe(entry.action === 'rotate');
    }
    expect(check.stdout).toMatch(
      /^ {2}app-ci: app-ci \(id \d+\) \[sha256:[0-9a-f]{8}\]: GitLab: active; plan: rotate, in the last third of its lifetime \(expires \d{4}-\d\d-\d\d\); /m,
    );
    const project = sandbox.endpoints.gcp.project;
    expect(check.stdout).toMatch(
      new RegExp(
        `platform-ci: .*; plan: nothing, not due until .*; aws-secrets-manager credrot/platform-ci: current sha256:[0-9a-f]{8}, no schedule or expiry of its own; gcp-secret-manager projects/${project}/secrets/platform-ci: same current value, no schedule or expiry of its own$`,
        'm',
      ),
    );
  });

  it('gives the expiry, fingerprint and reason of each current value in JSON', async () => {
    const run = await cli(config, '--format', 'json');
    expect(run.code).toBe(2);
    const byName = new Map(
      findings(run.stdout)
        .filter((f) => f.kind.startsWith('gitlab-'))
        .map((f) => [f.name, f]),
    );
    expect([...byName.keys()].sort()).toEqual(['app-ci', 'app-registry', 'platform-ci']);
    const appCi = byName.get('app-ci')!;
    expect(appCi).toMatchObject({
      status: 'critical',
      due: true,
      reason: 'LastThirdOfLifetime',
      fingerprint: fingerprint(world.before.appToken),
    });
    // GitLab's expires_at is a date; the token stops working at 00:00 UTC that day.
    const expires = new Date(appCi.notAfter!);
    expect(expires.getUTCHours()).toBe(0);
    expect(expires.getTime() - Date.now()).toBeGreaterThan(4 * DAY);
    expect(expires.getTime() - Date.now()).toBeLessThanOrEqual(5 * DAY);
    expect(byName.get('platform-ci')).toMatchObject({ status: 'ok', due: false, reason: 'Valid' });
    expect(byName.get('app-registry')).toMatchObject({
      status: 'critical',
      due: true,
      fingerprint: fingerprint(world.before.deployToken),
    });
  });

  it('exports the three credentials as Prometheus metrics', async () => {
    const run = await cli(config, '--format', 'prometheus');
    expect(run.code).toBe(2);
    const labels = (kind: string, name: string, location: string) =>
      `{kind="${kind}",name="${name}",location="${sandbox.endpoints.gitlab.url}/${location}"`;
    const appCi = labels('gitlab-project-access-token', 'app-ci', 'platform/app');
    const platform = labels('gitlab-group-access-token', 'platform-ci', 'platform');
    const registry = labels('gitlab-deploy-token', 'app-registry', 'platform/app');
    expect(run.stdout).toContain(`credrot_credential_due${appCi}} 1`);
    expect(run.stdout).toContain(`credrot_credential_due${platform}} 0`);
    expect(run.stdout).toContain(`credrot_credential_due${registry}} 1`);
    expect(run.stdout).toContain(`credrot_credential_status${appCi},status="critical"} 1`);
    expect(run.stdout).toContain(`credrot_credential_status${platform},status="ok"} 1`);
    expect(run.stdout).toMatch(
      new RegExp(`credrot_credential_expiry_timestamp_seconds${escapeRegExp(registry)}\\} \\d+`),
    );
    expect(run.stdout).toContain(`credrot_credential_read_error${appCi}} 0`);
  });

  it("reports a store's own expiry as a finding of its own", async () => {
    const name = `projects/${sandbox.endpoints.gcp.project}/secrets/app-registry`;
    const expireAt = Math.floor(Date.now() / 1000) + 2 * 86_400;
    await world.gcp.updateSecret({
      secret: { name, expireTime: { seconds: expireAt } },
      updateMask: { paths: ['expire_time'] },
    });
    const run = await cli(config, '--format', 'json');
    const store = findings(run.stdout).find((f) => f.kind === 'gcp-secret');
    expect(store).toMatchObject({
      name: 'app-registry',
      location: `gcp-secret-manager ${name}#expire_time`,
      status: 'critical',
      notAfter: new Date(expireAt * 1000).toISOString(),
    });
    expect(store?.note).toContain('the secret is deleted at expire_time');
  });

  it('reports a credential that no store holds yet as unknown and due, exit code 1', async () => {
    const header = world.config.slice(0, world.config.indexOf('credentials:'));
    const file = await writeConfig(
      'unstored.yaml',
      `${header}credentials:
  - name: new-token
    kind: gitlab-project-access-token
    source: { project: platform/app }
    stores:
      - { type: aws-secrets-manager, secretId: credrot/new-token }
      - { type: gcp-secret-manager, secret: new-token }
`,
    );
    const run = await cli(file);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(row(run.stdout, 'new-token', 'gitlab-project-access-token')?.[0]).toBe('UNKNOWN');
    expect(row(run.stdout, 'new-token', 'gitlab-project-access-token')?.at(-1)).toBe('yes');
    expect(run.stdout).toContain(
      "new-token: new-token [sha256:-]: no stored value yet: the first rotation mints one: run 'credrot rotate new-token'",
    );
  });

  it('turns an unreachable GitLab into an unknown finding per credential, one clear line each, exit code 2, and still checks the files', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const file = await writeConfig(
      'unreachable.yaml',
      world.config.replace(`url: ${sandbox.endpoints.gitlab.url}`, `url: ${dead}`),
    );
    const run = await cli(file);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    for (const [name, kind] of [
      ['app-ci', 'gitlab-project-access-token'],
      ['platform-ci', 'gitlab-group-access-token'],
      ['app-registry', 'gitlab-deploy-token'],
    ] as const) {
      expect(row(run.stdout, name, kind)?.[0], name).toBe('UNKNOWN');
      const lines = run.stdout.split('\n').filter((line) => line.startsWith(`  ${name}: `));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        `${name}: error: cannot reach GitLab connection 'sandbox' (${dead}): GET ${dead}/api/v4/`,
      );
      expect(lines[0]).toContain(
        'failed before an answer (connection lost) after 5 attempts [ECONNREFUSED]; check connections.gitlab.sandbox.url',
      );
      expect(lines[0]).toContain(
        "check connections.gitlab.sandbox.url and the network path, or run 'credrot check --offline'",
      );
    }
    expect(run.stdout).toMatch(/^OK\s+root-ca/m);
    expect(run.stdout).not.toMatch(/^\s+at /m);
  });

  it('checks only the watched files with --offline, without contacting any connection', async () => {
    const port = await closedPort();
    const { gitlab, aws, gcp } = sandbox.endpoints;
    const file = await writeConfig(
      'offline.yaml',
      world.config
        .replace(`url: ${gitlab.url}`, `url: http://127.0.0.1:${port}`)
        .replace(`endpoint: ${aws.endpoint}`, `endpoint: http://127.0.0.1:${port}`)
        .replace(`endpoint: ${gcp.endpoint}`, `endpoint: 127.0.0.1:${port}`),
    );
    const started = Date.now();
    const run = await cli(file, '--offline');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^OK\s+root-ca/m);
    expect(run.stdout).not.toContain('app-ci');
  });

  it('reports a current value that GitLab has revoked as expired, whatever the stores say', async () => {
    const token = world.before.groupToken;
    const self = await fetch(`${sandbox.endpoints.gitlab.url}/api/v4/personal_access_tokens/self`, {
      headers: { 'private-token': token },
    });
    const { id } = (await self.json()) as { id: number };
    const revoked = await fetch(
      `${sandbox.endpoints.gitlab.url}/api/v4/groups/${world.groupId}/access_tokens/${id}`,
      { method: 'DELETE', headers: { 'private-token': world.env['CREDROT_GITLAB_TOKEN']! } },
    );
    expect(revoked.status).toBe(204);
    const run = await cli(config, '--format', 'json');
    expect(run.code).toBe(2);
    expect(findings(run.stdout).find((f) => f.name === 'platform-ci')).toMatchObject({
      status: 'expired',
      due: true,
      reason: 'RevokedAtSource',
    });
  });

  it('never prints a secret value in any of the outputs above', () => {
    const secrets = [
      world.before.appToken,
      world.before.groupToken,
      world.before.deployToken,
      world.env['CREDROT_GITLAB_TOKEN']!,
      world.env['CREDROT_GITHUB_TOKEN']!,
      world.env['CREDROT_AWS_SECRET_ACCESS_KEY']!,
    ];
    expect(printed.length).toBeGreaterThan(10);
    for (const text of printed) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
