import {
  GitbeakerRequestError,
  GitbeakerTimeoutError,
  GroupVariables,
  InstanceLevelCICDVariables,
  ProjectVariables,
} from '@gitbeaker/rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccessLevel } from '../../sandbox/gitlab/context.js';
import { createGitLabEmulator, type GitLabEmulator } from '../../sandbox/gitlab/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';

let gl: GitLabEmulator;
let server: RunningServer;
let projectId: number;
let groupId: number;
const tokens = {
  maintainer: '',
  developer: '',
  owner: '',
  groupMaintainer: '',
  admin: '',
  readOnly: '',
};

/**
 * The HTTP status and the error gitbeaker read from GitLab's body (`message` or `error`;
 * object messages are parsed back from the JSON gitbeaker turned them into).
 */
async function failure(p: Promise<unknown>): Promise<{ status: number; message: unknown }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GitbeakerRequestError) {
      const cause = err.cause as { response: globalThis.Response; description: string };
      let message: unknown = cause.description;
      if (cause.description.startsWith('{')) message = JSON.parse(cause.description);
      return { status: cause.response.status, message };
    }
    throw err;
  }
  throw new Error('expected the request to fail');
}

function projectApi(token: string, extra: { queryTimeout?: number } = {}) {
  return new ProjectVariables({ host: server.url, token, ...extra });
}

beforeAll(async () => {
  gl = createGitLabEmulator();
  server = await listen(gl.router.listener);
  const group = gl.createGroup({ path: 'acme' });
  const project = gl.createProject({ path: 'app', namespaceId: group.id });
  projectId = project.id;
  groupId = group.id;
  const seed = (username: string, level: number | null, scopes = ['api'], admin = false) => {
    const user = gl.createUser({ username, admin });
    if (level !== null)
      gl.addMember(username.startsWith('g-') ? { groupId } : { projectId }, user.id, level);
    return gl.seedToken({ userId: user.id, name: username, scopes, expiresAt: '2099-01-01' }).token;
  };
  tokens.maintainer = seed('maintainer', AccessLevel.maintainer);
  tokens.developer = seed('developer', AccessLevel.developer);
  tokens.readOnly = seed('reader', AccessLevel.maintainer, ['read_api']);
  tokens.owner = seed('g-owner', AccessLevel.owner);
  tokens.groupMaintainer = seed('g-maintainer', AccessLevel.maintainer);
  tokens.admin = seed('root', null, ['api'], true);
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  gl.faults.clear();
  for (const v of gl.variables.list('project', projectId)) {
    gl.variables.remove(
      'project',
      projectId,
      gl.variables.matching('project', projectId, v.key)[0]!,
    );
  }
});

describe('project variables', () => {
  it('creates a variable with GitLab defaults and returns it from list and show', async () => {
    const api = projectApi(tokens.maintainer);
    const created = await api.create(projectId, 'DEPLOY_URL', 'https://example.test');
    expect(created).toEqual({
      variable_type: 'env_var',
      key: 'DEPLOY_URL',
      value: 'https://example.test',
      hidden: false,
      protected: false,
      masked: false,
      raw: false,
      environment_scope: '*',
      description: null,
    });
    expect(await api.all(projectId)).toEqual([created]);
    expect(await api.show(projectId, 'DEPLOY_URL')).toEqual(created);
  });

  it('answers 400 "(KEY) has already been taken" for a duplicate key in the same scope', async () => {
    const api = projectApi(tokens.maintainer);
    await api.create(projectId, 'TOKEN', 'one');
    expect(await failure(api.create(projectId, 'TOKEN', 'two'))).toEqual({
      status: 400,
      message: { key: ['(TOKEN) has already been taken'] },
    });
    const scoped = await api.create(projectId, 'TOKEN', 'prod-value', {
      environmentScope: 'production',
    });
    expect(scoped.environment_scope).toBe('production');
  });

  it('rejects keys with characters other than letters, digits and underscores, and keys over 255', async () => {
    const api = projectApi(tokens.maintainer);
    expect(await failure(api.create(projectId, 'BAD-KEY', 'x'))).toEqual({
      status: 400,
      message: { key: ["can contain only letters, digits and '_'."] },
    });
    const long = await failure(api.create(projectId, 'K'.repeat(256), 'x'));
    expect(long.message).toEqual({ key: ['is too long (maximum is 255 characters)'] });
  });

  it('answers 400 "value is invalid" for values that cannot be masked', async () => {
    const api = projectApi(tokens.maintainer);
    for (const value of ['short', 'has a space in it', 'line-one\nline-two', 'pipe|char|value']) {
      expect(await failure(api.create(projectId, 'MASKED', value, { masked: true }))).toEqual({
        status: 400,
        message: { value: ['is invalid'] },
      });
    }
    expect(gl.variables.read('project', projectId, 'MASKED')).toBeUndefined();
    const ok = await api.create(projectId, 'MASKED', 'glpat-AbC:d.e~f@g/h+i=', { masked: true });
    expect(ok.masked).toBe(true);
    // With expansion off (raw), any 8+ characters without whitespace can be masked.
    const raw = await api.create(projectId, 'RAW_MASKED', 'pipe|char|value', {
      masked: true,
      raw: true,
    });
    expect(raw.masked).toBe(true);
  });

  it('never returns the value of a masked-and-hidden variable, while the store still holds it', async () => {
    const api = projectApi(tokens.maintainer);
    const secret = 'glpat-hidden-secret-0001';
    const created = await api.create(projectId, 'HIDDEN', secret, { masked_and_hidden: true });
    expect(created).toMatchObject({ key: 'HIDDEN', value: null, hidden: true, masked: true });
    expect((await api.show(projectId, 'HIDDEN')).value).toBeNull();
    expect(JSON.stringify(await api.all(projectId))).not.toContain(secret);
    expect(gl.variables.read('project', projectId, 'HIDDEN')?.value).toBe(secret);

    expect(
      await failure(
        api.edit(projectId, 'HIDDEN', secret, {
          masked: false,
          filter: { environment_scope: '*' },
        }),
      ),
    ).toEqual({
      status: 400,
      message: {
        base: ['The visibility setting cannot be changed for masked and hidden variables.'],
      },
    });
    const updated = await api.edit(projectId, 'HIDDEN', 'glpat-hidden-secret-0002');
    expect(updated).toMatchObject({ value: null, hidden: true });
    expect(gl.variables.read('project', projectId, 'HIDDEN')?.value).toBe(
      'glpat-hidden-secret-0002',
    );
  });

  it('updates, shows and deletes exactly the scope named by filter[environment_scope]', async () => {
    const api = projectApi(tokens.maintainer);
    await api.create(projectId, 'REGISTRY_PASSWORD', 'staging-old', {
      environmentScope: 'staging',
    });
    await api.create(projectId, 'REGISTRY_PASSWORD', 'prod-old', {
      environmentScope: 'production',
    });

    const updated = await api.edit(projectId, 'REGISTRY_PASSWORD', 'prod-new', {
      filter: { environment_scope: 'production' },
    });
    expect(updated).toMatchObject({ value: 'prod-new', environment_scope: 'production' });
    expect(gl.variables.read('project', projectId, 'REGISTRY_PASSWORD', 'staging')?.value).toBe(
      'staging-old',
    );

    const shown = await api.show(projectId, 'REGISTRY_PASSWORD', {
      filter: { environment_scope: 'staging' },
    });
    expect(shown.value).toBe('staging-old');

    expect(await failure(api.edit(projectId, 'REGISTRY_PASSWORD', 'x'))).toEqual({
      status: 409,
      message:
        "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'",
    });

    await api.remove(projectId, 'REGISTRY_PASSWORD', { filter: { environment_scope: 'staging' } });
    expect(gl.variables.read('project', projectId, 'REGISTRY_PASSWORD', 'staging')).toBeUndefined();
    expect((await api.show(projectId, 'REGISTRY_PASSWORD')).value).toBe('prod-new');
  });

  it('answers 404 "Variable Not Found" for an unknown key', async () => {
    expect(await failure(projectApi(tokens.maintainer).show(projectId, 'NOPE'))).toEqual({
      status: 404,
      message: '404 Variable Not Found',
    });
  });

  it('validates required parameters and the variable type the way Grape does', async () => {
    const res = await fetch(`${server.url}/api/v4/projects/${projectId}/variables`, {
      method: 'POST',
      headers: { 'private-token': tokens.maintainer, 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'key is missing, value is missing' });
    expect(
      await failure(
        projectApi(tokens.maintainer).create(projectId, 'T', 'v', {
          variableType: 'yaml' as 'file',
        }),
      ),
    ).toEqual({ status: 400, message: 'variable_type does not have a valid value' });
  });

  it('forbids a Developer and lets a read_api token read but not write', async () => {
    expect((await failure(projectApi(tokens.developer).all(projectId))).status).toBe(403);
    expect((await failure(projectApi(tokens.developer).create(projectId, 'X', 'y'))).message).toBe(
      '403 Forbidden',
    );
    await projectApi(tokens.maintainer).create(projectId, 'VISIBLE', 'v');
    expect(await projectApi(tokens.readOnly).all(projectId)).toHaveLength(1);
    expect((await failure(projectApi(tokens.readOnly).create(projectId, 'X', 'y'))).status).toBe(
      403,
    );
  });

  it('pages lists 20 at a time with the headers @gitbeaker follows', async () => {
    const api = projectApi(tokens.maintainer);
    for (let i = 0; i < 25; i++) await api.create(projectId, `VAR_${i}`, `v${i}`);
    const res = await fetch(`${server.url}/api/v4/projects/${projectId}/variables`, {
      headers: { 'private-token': tokens.maintainer },
    });
    expect(res.headers.get('x-total')).toBe('25');
    expect(await res.json()).toHaveLength(20);
    expect(await api.all(projectId)).toHaveLength(25);
  });
});

describe('group and instance variables', () => {
  it('requires the Owner role on the group, not Maintainer', async () => {
    const asMaintainer = new GroupVariables({ host: server.url, token: tokens.groupMaintainer });
    expect((await failure(asMaintainer.create(groupId, 'GROUP_TOKEN', 'v'))).status).toBe(403);
    const asOwner = new GroupVariables({ host: server.url, token: tokens.owner });
    const created = await asOwner.create(groupId, 'GROUP_TOKEN', 'group-value', {
      environmentScope: 'prod',
    });
    expect(created).toMatchObject({ key: 'GROUP_TOKEN', environment_scope: 'prod', hidden: false });
    expect(gl.variables.read('group', groupId, 'GROUP_TOKEN', 'prod')?.value).toBe('group-value');
    await asOwner.edit(groupId, 'GROUP_TOKEN', 'group-value-2', {
      filter: { environment_scope: 'prod' },
    });
    expect((await asOwner.show(groupId, 'GROUP_TOKEN')).value).toBe('group-value-2');
    // gitbeaker's types omit `filter` on group remove, though it sends it in the body.
    const prodOnly = { filter: { environment_scope: 'prod' }, showExpanded: false as const };
    await asOwner.remove(groupId, 'GROUP_TOKEN', prodOnly);
    expect(await failure(asOwner.show(groupId, 'GROUP_TOKEN'))).toEqual({
      status: 404,
      message: '404 GroupVariable Not Found',
    });
  });

  it('lets only administrators manage instance variables, which have no scope', async () => {
    const asUser = new InstanceLevelCICDVariables({ host: server.url, token: tokens.maintainer });
    expect((await failure(asUser.all())).status).toBe(403);
    const asAdmin = new InstanceLevelCICDVariables({ host: server.url, token: tokens.admin });
    const created = await asAdmin.create('INSTANCE_KEY', 'instance-value', { protected: true });
    expect(created).toEqual({
      variable_type: 'env_var',
      key: 'INSTANCE_KEY',
      value: 'instance-value',
      protected: true,
      masked: false,
      raw: false,
      description: null,
    });
    expect((await asAdmin.edit('INSTANCE_KEY', 'instance-value-2')).value).toBe('instance-value-2');
    // @gitbeaker 43's InstanceLevelCICDVariables.remove sends GET; call DELETE directly.
    const del = await fetch(`${server.url}/api/v4/admin/ci/variables/INSTANCE_KEY`, {
      method: 'DELETE',
      headers: { 'private-token': tokens.admin },
    });
    expect(del.status).toBe(204);
    expect(gl.variables.read('instance', 0, 'INSTANCE_KEY')).toBeUndefined();
  });
});

describe('faults', () => {
  it('answers an injected 429 with Retry-After, which @gitbeaker retries to success', async () => {
    gl.faults.addRule({
      operation: 'gitlab.createProjectVariable',
      nth: 1,
      action: { type: 'status', status: 429, retryAfterSeconds: 1 },
    });
    const raw = await fetch(`${server.url}/api/v4/projects/${projectId}/variables`, {
      method: 'POST',
      headers: { 'private-token': tokens.maintainer, 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'RETRIED', value: 'v' }),
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('1');
    expect(gl.variables.read('project', projectId, 'RETRIED')).toBeUndefined();
    gl.faults.addRule({
      operation: 'gitlab.createProjectVariable',
      times: 1,
      action: { type: 'status', status: 429, retryAfterSeconds: 1 },
    });
    await projectApi(tokens.maintainer).create(projectId, 'RETRIED', 'v');
    expect(gl.variables.read('project', projectId, 'RETRIED')?.value).toBe('v');
  });

  it('answers an injected 500 without changing anything', async () => {
    gl.faults.addRule({
      operation: 'gitlab.updateProjectVariable',
      times: 1,
      action: { type: 'status', status: 500 },
    });
    await projectApi(tokens.maintainer).create(projectId, 'STABLE', 'before');
    expect(
      (await failure(projectApi(tokens.maintainer).edit(projectId, 'STABLE', 'after'))).message,
    ).toBe('500 Internal Server Error');
    expect(gl.variables.read('project', projectId, 'STABLE')?.value).toBe('before');
  });

  it('hangs until the client times out', async () => {
    gl.faults.addRule({
      operation: 'gitlab.listProjectVariable',
      times: 1,
      action: { type: 'hang', ms: 400 },
    });
    await expect(
      projectApi(tokens.maintainer, { queryTimeout: 100 }).all(projectId),
    ).rejects.toBeInstanceOf(GitbeakerTimeoutError);
  });

  it('commits a create and then drops the connection (crash after commit)', async () => {
    gl.faults.addRule({
      operation: 'gitlab.createProjectVariable',
      times: 1,
      action: { type: 'crash-after-commit' },
    });
    await expect(
      projectApi(tokens.maintainer).create(projectId, 'COMMITTED', 'v1'),
    ).rejects.toThrow();
    expect(gl.variables.read('project', projectId, 'COMMITTED')?.value).toBe('v1');
    expect(
      await failure(projectApi(tokens.maintainer).create(projectId, 'COMMITTED', 'v1')),
    ).toMatchObject({
      status: 400,
    });
  });
});
