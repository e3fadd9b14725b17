/**
 * GitLabVariableSink through the real @gitbeaker/rest client (built by
 * createGitLabClient, with credrot's HTTP policy) against the GitLab emulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccessLevel } from '../../sandbox/gitlab/context.js';
import { createGitLabEmulator, type GitLabEmulator } from '../../sandbox/gitlab/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';
import { PermissionError, ValidationError } from '../../shared/errors.js';
import { HostLimiter } from '../../shared/http/host-limiter.js';
import { createPolicyFetch } from '../../shared/http/policy-fetch.js';
import {
  GitLabVariableSink,
  type GitLabVariableSinkOptions,
} from '../../shared/sinks/gitlab-variables/sink.js';
import { createGitLabClient } from '../../shared/sources/gitlab/client.js';

let gl: GitLabEmulator;
let server: RunningServer;
let projectId: number;
let groupId: number;
const tokens = { maintainer: '', developer: '', owner: '', groupMaintainer: '', admin: '' };

const TOKEN_A = 'glpat-AAAAaaaa1111bbbb2222';
const TOKEN_B = 'glpat-BBBBbbbb3333cccc4444';

function client(token: string) {
  // A short timeout and backoff keep fault tests fast; a private limiter keeps a
  // Retry-After in one test from pausing the next.
  const fetch = createPolicyFetch({ timeoutMs: 400, backoffMs: 5, limiter: new HostLimiter() });
  return createGitLabClient({ url: server.url, token, fetch });
}

function sink(options: Partial<GitLabVariableSinkOptions> = {}, token = tokens.maintainer) {
  return new GitLabVariableSink({
    client: client(token),
    level: { project: 'acme/app' },
    key: 'APP_TOKEN',
    ...options,
  });
}

/** The error a call throws; fails the test when it does not throw. */
async function rejection(call: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

const writes = () => {
  const counts = gl.router.callCounts();
  return Object.entries(counts)
    .filter(([op]) => /^gitlab\.(create|update|delete)\w*Variable$/.test(op))
    .reduce((n, [, c]) => n + c, 0);
};

/** Faults of `operation` fired since `gl.faults.fired` had `before` entries. */
const firedSince = (before: number, operation: string) =>
  gl.faults.fired.slice(before).filter((f) => f.operation === operation).length;

beforeAll(async () => {
  gl = createGitLabEmulator();
  server = await listen(gl.router.listener);
  const group = gl.createGroup({ path: 'acme' });
  const project = gl.createProject({ path: 'app', namespaceId: group.id });
  projectId = project.id;
  groupId = group.id;
  const seed = (username: string, target: object | null, level: number, admin = false) => {
    const user = gl.createUser({ username, admin });
    if (target) gl.addMember(target as { projectId: number }, user.id, level);
    return gl.seedToken({
      userId: user.id,
      name: username,
      scopes: ['api'],
      expiresAt: '2099-01-01',
    }).token;
  };
  tokens.maintainer = seed('maintainer', { projectId }, AccessLevel.maintainer);
  tokens.developer = seed('developer', { projectId }, AccessLevel.developer);
  tokens.owner = seed('owner', { groupId }, AccessLevel.owner);
  tokens.groupMaintainer = seed('group-maintainer', { groupId }, AccessLevel.maintainer);
  tokens.admin = seed('root', null, 0, true);
});

afterAll(() => server.close());

beforeEach(() => {
  gl.faults.clear();
  gl.router.resetCalls();
  for (const [level, id] of [
    ['project', projectId],
    ['group', groupId],
    ['instance', 0],
  ] as const) {
    for (const v of gl.variables.list(level, id)) {
      const live = gl.variables.matching(level, id, v.key, v.environment_scope)[0];
      if (live) gl.variables.remove(level, id, live);
    }
  }
});

describe('project variables', () => {
  it('creates the variable with the configured flags, then reports unchanged without writing', async () => {
    const s = sink({ protected: true, masked: true, environmentScope: 'production' });
    expect(s.label).toBe('gitlab variable APP_TOKEN on project acme/app (scope production)');
    expect(await s.push(TOKEN_A)).toBe('written');
    expect(gl.variables.read('project', projectId, 'APP_TOKEN', 'production')).toMatchObject({
      value: TOKEN_A,
      protected: true,
      masked: true,
      hidden: false,
      variable_type: 'env_var',
    });
    expect(await s.readBack()).toBe(TOKEN_A);

    gl.router.resetCalls();
    expect(await s.push(TOKEN_A)).toBe('unchanged');
    expect(writes()).toBe(0);

    expect(await s.push(TOKEN_B)).toBe('written');
    expect(gl.variables.read('project', projectId, 'APP_TOKEN', 'production')?.value).toBe(TOKEN_B);
  });

  it('changes only the variable of its own environment scope when one key exists in two scopes', async () => {
    const staging = sink({ environmentScope: 'staging' });
    const production = sink({ environmentScope: 'production' });
    await staging.push(TOKEN_A);
    await production.push(TOKEN_A);

    expect(await production.push(TOKEN_B)).toBe('written');
    expect(gl.variables.read('project', projectId, 'APP_TOKEN', 'production')?.value).toBe(TOKEN_B);
    expect(gl.variables.read('project', projectId, 'APP_TOKEN', 'staging')?.value).toBe(TOKEN_A);
    expect(await staging.readBack()).toBe(TOKEN_A);
    expect(await sink({ environmentScope: 'review/*' }).readBack()).toBeUndefined();
  });

  it('brings drifted flags back to the configuration even when the value is current', async () => {
    const s = sink({ protected: true });
    await sink({ protected: false, masked: false }).push(TOKEN_A);
    expect(await s.push(TOKEN_A)).toBe('written');
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')).toMatchObject({
      protected: true,
      masked: true,
    });
  });

  it('writes an unmasked file variable holding a Docker config rendered from the template', async () => {
    const s = sink({
      key: 'DOCKER_AUTH_CONFIG',
      masked: false,
      protected: true,
      variableType: 'file',
      template: '{{dockerAuthConfig}}',
    });
    const rendered = s.render({ token: TOKEN_A, username: 'deployer', registry: 'registry.test' });
    expect(await s.push(rendered)).toBe('written');
    const stored = gl.variables.read('project', projectId, 'DOCKER_AUTH_CONFIG');
    expect(stored).toMatchObject({ variable_type: 'file', masked: false, protected: true });
    expect(JSON.parse(stored!.value)).toEqual({
      auths: { 'registry.test': { auth: Buffer.from(`deployer:${TOKEN_A}`).toString('base64') } },
    });
  });

  it('refuses an unmaskable value in validate, naming the rule and the fix, and changes nothing', async () => {
    const s = sink({ template: '{{dockerAuthConfig}}' });
    await sink().push(TOKEN_A);
    const rendered = s.render({ token: TOKEN_B, username: 'deployer', registry: 'registry.test' });
    gl.router.resetCalls();

    const refused = await rejection(() => s.validate(rendered));
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused.message).toContain('gitlab variable APP_TOKEN on project acme/app (scope *)');
    expect(refused.message).toContain('characters GitLab cannot mask');
    expect(refused.message).toContain('use variableType: file and masked: false');
    expect(refused.message).toContain('protected: true');
    expect(refused.message).not.toContain(TOKEN_B);
    expect(refused.message).not.toContain(rendered);

    // push validates first too: nothing reaches GitLab.
    expect(await rejection(s.push(rendered))).toBeInstanceOf(ValidationError);
    expect(gl.router.calls).toHaveLength(0);
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')?.value).toBe(TOKEN_A);
  });

  it.each([
    ['abc123', 'shorter than 8 characters'],
    ['two\nlines-of-token', 'more than one line'],
    ['has a space', 'whitespace'],
  ])('names the masking rule a value breaks (%j)', async (value, rule) => {
    const err = await rejection(() => sink().validate(value));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain(rule);
    expect(err.message).not.toContain(value);
  });

  it('refuses a value over GitLab’s 10,000-character limit even when unmasked', async () => {
    const err = await rejection(() => sink({ masked: false }).validate('x'.repeat(10_001)));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain('at most 10000');
    expect(() => sink({ masked: false }).validate('x'.repeat(10_000))).not.toThrow();
  });
});

describe('hidden variables', () => {
  it('creates them masked and hidden, reads them back as unreadable, and always writes', async () => {
    const s = sink({ hidden: true, masked: false, protected: true });
    expect(await s.push(TOKEN_A)).toBe('written');
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')).toMatchObject({
      value: TOKEN_A,
      hidden: true,
      masked: true,
      protected: true,
    });
    expect(await s.readBack()).toBe('unreadable');

    // The value can never be compared, so the same value is written again.
    expect(await s.push(TOKEN_A)).toBe('written');
    expect(await s.push(TOKEN_B)).toBe('written');
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')).toMatchObject({
      value: TOKEN_B,
      hidden: true,
    });
  });

  it('updates a hidden variable without trying to unmask it when the configuration says visible', async () => {
    await sink({ hidden: true }).push(TOKEN_A);
    expect(await sink({ masked: false }).push(TOKEN_B)).toBe('written');
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')).toMatchObject({
      value: TOKEN_B,
      hidden: true,
      masked: true,
    });
    const unmaskable = await rejection(sink({ masked: false }).push('{"not":"maskable"}'));
    expect(unmaskable).toBeInstanceOf(ValidationError);
    expect(unmaskable.message).toContain('delete the variable once in GitLab');
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')?.value).toBe(TOKEN_B);
  });

  it('masks an existing visible variable configured hidden, since GitLab hides only at creation', async () => {
    await sink({ masked: false }).push(TOKEN_A);
    expect(await sink({ hidden: true }).push(TOKEN_B)).toBe('written');
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')).toMatchObject({
      value: TOKEN_B,
      masked: true,
      hidden: false,
    });
  });
});

describe('group and instance variables', () => {
  it('writes a group variable in its environment scope only', async () => {
    const opts = { level: { group: 'acme' }, key: 'GROUP_TOKEN' } as const;
    const prod = sink({ ...opts, environmentScope: 'production' }, tokens.owner);
    const all = sink(opts, tokens.owner);
    expect(prod.label).toBe('gitlab variable GROUP_TOKEN on group acme (scope production)');
    await all.push(TOKEN_A);
    expect(await prod.push(TOKEN_B)).toBe('written');
    expect(await prod.push(TOKEN_B)).toBe('unchanged');
    expect(gl.variables.read('group', groupId, 'GROUP_TOKEN', 'production')?.value).toBe(TOKEN_B);
    expect(gl.variables.read('group', groupId, 'GROUP_TOKEN', '*')?.value).toBe(TOKEN_A);
    expect(await all.readBack()).toBe(TOKEN_A);
  });

  it('tells a group Maintainer that managing group variables needs the Owner role', async () => {
    const err = await rejection(
      sink({ level: { group: groupId }, key: 'GROUP_TOKEN' }, tokens.groupMaintainer).push(TOKEN_A),
    );
    expect(err).toBeInstanceOf(PermissionError);
    expect(err.message).toContain('Owner role on the group');
  });

  it('writes an instance variable as an administrator', async () => {
    const s = sink(
      { level: { instance: true }, key: 'INSTANCE_TOKEN', protected: true },
      tokens.admin,
    );
    expect(s.label).toBe('gitlab variable INSTANCE_TOKEN on the instance');
    expect(await s.push(TOKEN_A)).toBe('written');
    expect(await s.push(TOKEN_A)).toBe('unchanged');
    expect(await s.push(TOKEN_B)).toBe('written');
    expect(gl.variables.read('instance', 0, 'INSTANCE_TOKEN')).toMatchObject({
      value: TOKEN_B,
      protected: true,
      masked: true,
    });
    expect(await s.readBack()).toBe(TOKEN_B);
  });

  it('refuses hidden or scoped instance variables when it is built', () => {
    expect(() => sink({ level: { instance: true }, hidden: true })).toThrow(/no hidden instance/);
    expect(() => sink({ level: { instance: true }, environmentScope: 'production' })).toThrow(
      /no environment scopes/,
    );
  });
});

describe('failures', () => {
  it('answers a Developer’s 403 with a PermissionError naming the sink, the status and the Maintainer role', async () => {
    const err = await rejection(sink({}, tokens.developer).push(TOKEN_A));
    expect(err).toBeInstanceOf(PermissionError);
    expect((err as PermissionError).status).toBe(403);
    expect(err.message).toContain('gitlab variable APP_TOKEN on project acme/app (scope *)');
    expect(err.message).toContain('403');
    expect(err.message).toContain('Maintainer role');
    expect(err.message).not.toContain(TOKEN_A);
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')).toBeUndefined();
  });

  it('answers a revoked connection token with a PermissionError that says to replace it', async () => {
    const err = await rejection(sink({}, 'glpat-not-a-real-token').readBack());
    expect(err).toBeInstanceOf(PermissionError);
    expect(err.message).toMatch(/401.*invalid, expired or revoked/);
  });

  it('names a missing project as a 404 instead of treating the variable as absent', async () => {
    const err = await rejection(sink({ level: { project: 'acme/nope' } }).readBack());
    expect(err.message).toMatch(/404.*check that the project exists/);
  });

  it('waits out a 429 with Retry-After on the update and a 502 on the read', async () => {
    await sink().push(TOKEN_A);
    gl.faults.addRule({
      operation: 'gitlab.updateProjectVariable',
      nth: 1,
      action: { type: 'status', status: 429, retryAfterSeconds: 0 },
    });
    gl.faults.addRule({
      operation: 'gitlab.getProjectVariable',
      nth: 1,
      action: { type: 'status', status: 502 },
    });
    expect(await sink().push(TOKEN_B)).toBe('written');
    expect(gl.faults.fired.map((f) => f.operation)).toEqual(
      expect.arrayContaining(['gitlab.getProjectVariable', 'gitlab.updateProjectVariable']),
    );
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')?.value).toBe(TOKEN_B);
  });

  it('retries a read that hangs past the timeout', async () => {
    await sink().push(TOKEN_A);
    gl.faults.addRule({
      operation: 'gitlab.getProjectVariable',
      nth: 1,
      action: { type: 'hang', ms: 1_000 },
    });
    expect(await sink().readBack()).toBe(TOKEN_A);
  });

  it('reconciles a create whose answer was lost after commit with a read, without a second POST', async () => {
    gl.faults.addRule({
      operation: 'gitlab.createProjectVariable',
      nth: 1,
      action: { type: 'crash-after-commit' },
    });
    expect(await sink().push(TOKEN_A)).toBe('written');
    expect(gl.router.callCounts()['gitlab.createProjectVariable']).toBe(1);
    expect(gl.variables.list('project', projectId)).toHaveLength(1);
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')?.value).toBe(TOKEN_A);
  });

  it('reconciles a hidden create lost after commit by writing it again, since it cannot be compared', async () => {
    gl.faults.addRule({
      operation: 'gitlab.createProjectVariable',
      nth: 1,
      action: { type: 'crash-after-commit' },
    });
    expect(await sink({ hidden: true }).push(TOKEN_A)).toBe('written');
    expect(gl.router.callCounts()['gitlab.updateProjectVariable']).toBe(1);
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')).toMatchObject({
      value: TOKEN_A,
      hidden: true,
    });
  });

  it('retries a create once when a read shows the lost POST never took effect', async () => {
    const before = gl.faults.fired.length;
    gl.faults.addRule({
      operation: 'gitlab.createProjectVariable',
      nth: 1,
      action: { type: 'hang', ms: 1_000 },
    });
    expect(await sink().push(TOKEN_A)).toBe('written');
    // The hung call is logged only when the emulator drops it; count the answered ones.
    expect(firedSince(before, 'gitlab.createProjectVariable')).toBe(1);
    expect(gl.router.callCounts()['gitlab.createProjectVariable']).toBe(1);
    expect(gl.variables.list('project', projectId)).toHaveLength(1);
    expect(gl.variables.read('project', projectId, 'APP_TOKEN')?.value).toBe(TOKEN_A);
  });

  it('gives up after the single retry when the create keeps failing, without the value in the error', async () => {
    const before = gl.faults.fired.length;
    gl.faults.addRule({
      operation: 'gitlab.createProjectVariable',
      times: 2,
      action: { type: 'hang', ms: 1_000 },
    });
    const err = await rejection(sink().push(TOKEN_A));
    expect(err.message).toContain('gitlab variable APP_TOKEN');
    expect(err.message).toContain('may have taken effect');
    expect(err.message).not.toContain(TOKEN_A);
    expect(firedSince(before, 'gitlab.createProjectVariable')).toBe(2);
  });

  it('surfaces a 500 on the create at once as a retryable ProviderError', async () => {
    gl.faults.addRule({
      operation: 'gitlab.createProjectVariable',
      nth: 1,
      action: { type: 'status', status: 500 },
    });
    const err = await rejection(sink().push(TOKEN_A));
    expect(err.message).toMatch(/answered 500.*next run retries/);
    expect((err as { retryable?: boolean }).retryable).toBe(true);
  });
});
