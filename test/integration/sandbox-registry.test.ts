/**
 * The sandbox registry end to end: Debian's real docker-registry (Distribution 2.8) with
 * token auth, fed by the GitLab-style `/jwt/auth` served through the sandbox Router.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listen, Router, type RunningServer } from '../../sandbox/http.js';
import {
  createRegistryAuthority,
  dockerLogin,
  issueRegistryToken,
  parseBearerChallenge,
  pushTestImage,
  type RegistryAuthority,
  type RegistryAuthorize,
  RegistryUnavailableError,
  type RunningRegistry,
  registryTokenHandler,
  startRegistry,
} from '../../sandbox/registry/index.js';
import { PermissionError } from '../../shared/errors.js';
import { MS } from '../../shared/util/clock.js';

const REPO = 'credrot/app';

/** username → password and what it may do, per repository. */
const credentials: Record<
  string,
  { password: string; registry: boolean; repos: Record<string, string[]> }
> = {
  pusher: { password: 'push-secret-1', registry: true, repos: { [REPO]: ['pull', 'push'] } },
  reader: { password: 'read-secret-1', registry: true, repos: { [REPO]: ['pull'] } },
  outsider: { password: 'out-secret-1', registry: true, repos: {} },
  // A deploy token with only read_repository: authenticates, but has no registry scope.
  'gitlab+deploy-token-7': { password: 'repo-only-secret', registry: false, repos: {} },
};

const authorize: RegistryAuthorize = (username, password, repository) => {
  const entry = credentials[username];
  if (!entry || entry.password !== password) return { ok: false };
  if (!entry.registry) return { ok: false, reason: 'no_registry_scope' };
  return { ok: true, subject: username, granted: entry.repos[repository] ?? [] };
};

const login = (username: string) => ({ username, password: credentials[username]?.password ?? '' });

let authority: RegistryAuthority;
let router: Router;
let tokenServer: RunningServer;
let registry: RunningRegistry;
let realm: string;
/** Milliseconds added to the token endpoint's clock. */
let clockSkewMs = 0;
let startMs = 0;
let pushedDigest = '';

beforeAll(async () => {
  authority = await createRegistryAuthority();
  router = new Router({ defaultHangMs: 1_000 });
  router.on(
    'GET',
    '/jwt/auth',
    'gitlab.registryToken',
    registryTokenHandler(authority, authorize, { now: () => new Date(Date.now() + clockSkewMs) }),
  );
  router.on(
    'GET',
    '/gitlab-shape/jwt/auth',
    'gitlab.registryTokenGitLabShape',
    registryTokenHandler(authority, authorize, { responseFields: 'gitlab' }),
  );
  tokenServer = await listen(router.listener);
  realm = `${tokenServer.url}/jwt/auth`;
  const t0 = performance.now();
  registry = await startRegistry({ realm, authority });
  startMs = performance.now() - t0;
  pushedDigest = (await pushTestImage(registry, REPO, 'v1', login('pusher'))).digest;
});

afterAll(async () => {
  await registry?.stop();
  await tokenServer?.close();
});

afterEach(() => {
  clockSkewMs = 0;
  router.faults.clear();
});

async function tokenFor(username: string, password: string, scope?: string): Promise<Response> {
  const url = new URL(realm);
  url.searchParams.set('service', 'container_registry');
  if (scope) url.searchParams.set('scope', scope);
  const basic = Buffer.from(`${username}:${password}`).toString('base64');
  return await fetch(url, { headers: { authorization: `Basic ${basic}` } });
}

async function getManifest(token: string, reference = 'v1'): Promise<Response> {
  return await fetch(`${registry.url}/v2/${REPO}/manifests/${reference}`, {
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/vnd.docker.distribution.manifest.v2+json',
    },
  });
}

describe('starting the real registry', () => {
  it('starts, answering its 401 challenge, in well under 2 seconds', () => {
    expect(startMs).toBeLessThan(2_000);
    expect(registry.startMs).toBeLessThan(2_000);
    expect(registry.host).toBe(new URL(registry.url).host);
  });

  it('challenges an anonymous /v2/ with the exact Bearer header naming the realm and service', async () => {
    const res = await fetch(`${registry.url}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="${realm}",service="container_registry"`,
    );
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it('names the needed scope in the challenge for a repository request', async () => {
    const res = await fetch(`${registry.url}/v2/${REPO}/manifests/v1`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="${realm}",service="container_registry",scope="repository:${REPO}:pull"`,
    );
  });

  it('refuses to start without the binary and names the apt-get command', async () => {
    const err = await startRegistry({
      realm,
      authority,
      binary: '/nonexistent/docker-registry',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryUnavailableError);
    expect((err as Error).message).toContain('apt-get install -y docker-registry');
  });

  it('stop() ends the process, frees the port and may be called twice', async () => {
    const other = await startRegistry({ realm, authority });
    await other.stop();
    expect(isRunning(other.pid)).toBe(false);
    await expect(fetch(`${other.url}/v2/`)).rejects.toThrow();
    await other.stop(); // idempotent
  });
});

describe('the token endpoint, as GitLab answers it', () => {
  it('issues a token whose header names the signing key by its libtrust id', async () => {
    const res = await tokenFor('reader', 'read-secret-1', `repository:${REPO}:pull`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'issued_at', 'token']);
    expect(body['expires_in']).toBe(300);
    const token = body['token'] as string;
    expect(body['access_token']).toBe(token);
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: authority.keyId });
    expect(authority.keyId).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'gitlab-issuer',
      aud: 'container_registry',
      sub: 'reader',
      access: [{ type: 'repository', name: REPO, actions: ['pull'] }],
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300);
    expect(typeof claims.jti).toBe('string');
  });

  it('drops the actions a credential lacks instead of refusing the token', async () => {
    const res = await tokenFor('reader', 'read-secret-1', `repository:${REPO}:pull,push`);
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(decodeJwt(token)['access']).toEqual([
      { type: 'repository', name: REPO, actions: ['pull'] },
    ]);
  });

  it('answers 401 with GitLab’s UNAUTHORIZED body for a wrong password', async () => {
    const res = await tokenFor('reader', 'wrong-password', `repository:${REPO}:pull`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { errors: Array<{ code: string; message: string }> };
    expect(body.errors[0]?.code).toBe('UNAUTHORIZED');
    expect(body.errors[0]?.message).toMatch(
      /^HTTP Basic: Access denied\. If a password was provided/,
    );
    expect(JSON.stringify(body)).not.toContain('wrong-password');
  });

  it('answers 403 DENIED for a credential without any registry scope', async () => {
    const res = await tokenFor(
      'gitlab+deploy-token-7',
      'repo-only-secret',
      `repository:${REPO}:pull`,
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ errors: [{ code: 'DENIED', message: 'access forbidden' }] });
  });

  it('answers 403 DENIED to a caller without credentials, as GitLab does without public projects', async () => {
    const res = await fetch(`${realm}?service=container_registry&scope=repository:${REPO}:pull`);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ errors: [{ code: 'DENIED', message: 'access forbidden' }] });
  });

  it('answers 404 with an empty body for a service other than the registry', async () => {
    const res = await fetch(`${realm}?service=other`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('');
  });

  it('issues a token with empty access for a login request without scope', async () => {
    const res = await tokenFor('reader', 'read-secret-1');
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(decodeJwt(token)['access']).toEqual([]);
  });

  it('answers only the token field when set to GitLab’s response shape', async () => {
    const basic = Buffer.from('reader:read-secret-1').toString('base64');
    const res = await fetch(`${tokenServer.url}/gitlab-shape/jwt/auth?service=container_registry`, {
      headers: { authorization: `Basic ${basic}` },
    });
    expect(res.status).toBe(200);
    expect(Object.keys((await res.json()) as object)).toEqual(['token']);
  });
});

describe('the docker login flow against the real registry', () => {
  it('pushes the test image with a credential that has push', () => {
    expect(pushedDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('logs in and reads the manifest with a read-only credential', async () => {
    const result = await dockerLogin(registry, login('reader'), {
      repository: REPO,
      reference: 'v1',
    });
    expect(result.ok).toBe(true);
    expect(result.loggedIn).toBe(true);
    expect(result.digest).toBe(pushedDigest);
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['ping', 401],
      ['login-token', 200],
      ['authenticated-ping', 200],
      ['scoped-token', 200],
      ['manifest', 200],
    ]);
    expect(result.steps[3]?.granted).toEqual({ [REPO]: ['pull'] });
    expect(JSON.stringify(result)).not.toContain('read-secret-1');
  });

  it('refuses a push by a read-only credential at the registry with 401 insufficient_scope', async () => {
    const result = await dockerLogin(registry, login('reader'), { repository: REPO, push: true });
    expect(result.loggedIn).toBe(true);
    expect(result.ok).toBe(false);
    expect(result.failedAt).toBe('push-upload');
    const upload = result.steps.at(-1);
    expect(upload).toMatchObject({
      status: 401,
      error: 'UNAUTHORIZED',
      challengeError: 'insufficient_scope',
    });
  });

  it('probes a push successfully with a credential that has push', async () => {
    const result = await dockerLogin(registry, login('pusher'), { repository: REPO, push: true });
    expect(result.ok).toBe(true);
    expect(result.steps.at(-1)).toMatchObject({ name: 'push-upload', status: 202 });
  });

  it('lets a credential without access to the repository log in, then refuses the pull at the registry', async () => {
    const result = await dockerLogin(registry, login('outsider'), {
      repository: REPO,
      reference: 'v1',
    });
    expect(result.loggedIn).toBe(true);
    expect(result.failedAt).toBe('manifest');
    expect(result.steps[3]).toMatchObject({ name: 'scoped-token', status: 200, granted: {} });
    expect(result.steps[4]).toMatchObject({ status: 401, challengeError: 'insufficient_scope' });
  });

  it('refuses a credential without registry scope with 403 at the token hop', async () => {
    const result = await dockerLogin(registry, login('gitlab+deploy-token-7'));
    expect(result).toMatchObject({ ok: false, loggedIn: false, failedAt: 'login-token' });
    expect(result.steps.at(-1)).toMatchObject({ status: 403, error: 'DENIED' });
  });

  it('refuses a wrong password with 401 at the token hop', async () => {
    const result = await dockerLogin(registry, { username: 'reader', password: 'nope' });
    expect(result).toMatchObject({ ok: false, loggedIn: false, failedAt: 'login-token' });
    expect(result.steps.at(-1)).toMatchObject({ status: 401, error: 'UNAUTHORIZED' });
  });

  it('throws PermissionError when pushing without push access', async () => {
    await expect(pushTestImage(registry, REPO, 'v2', login('reader'))).rejects.toBeInstanceOf(
      PermissionError,
    );
  });
});

describe('the registry verifies the token itself', () => {
  it('refuses an expired token with invalid_token', async () => {
    // Distribution allows 60 s of leeway on exp, so the token must be well past it.
    clockSkewMs = -10 * MS.minute;
    const res = await tokenFor('reader', 'read-secret-1', `repository:${REPO}:pull`);
    const { token } = (await res.json()) as { token: string };
    const manifest = await getManifest(token);
    expect(manifest.status).toBe(401);
    expect(parseBearerChallenge(manifest.headers.get('www-authenticate'))?.error).toBe(
      'invalid_token',
    );
    await manifest.arrayBuffer();
  });

  it('refuses a token signed by a key outside its root bundle', async () => {
    const stranger = await createRegistryAuthority({ algorithm: 'ES256' });
    const { token } = await issueRegistryToken(stranger, {
      subject: 'reader',
      access: [{ type: 'repository', name: REPO, actions: ['pull'] }],
    });
    const res = await getManifest(token);
    expect(res.status).toBe(401);
    expect(parseBearerChallenge(res.headers.get('www-authenticate'))?.error).toBe('invalid_token');
    await res.arrayBuffer();
  });

  it('accepts a token that carries its certificate in x5c instead of kid', async () => {
    const { token } = await issueRegistryToken(authority, {
      subject: 'reader',
      access: [{ type: 'repository', name: REPO, actions: ['pull'] }],
      keyReference: 'x5c',
    });
    expect(decodeProtectedHeader(token).kid).toBeUndefined();
    const res = await getManifest(token);
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(pushedDigest);
    await res.arrayBuffer();
  });
});

describe('faults injected at the token endpoint', () => {
  it('reports a 429 with its Retry-After at the token hop', async () => {
    router.faults.addRule({
      operation: 'gitlab.registryToken',
      action: { type: 'status', status: 429, retryAfterSeconds: 7 },
      times: 1,
    });
    const result = await dockerLogin(registry, login('reader'));
    expect(result.failedAt).toBe('login-token');
    expect(result.steps.at(-1)).toMatchObject({ status: 429, retryAfter: 7 });
  });

  it('reports a 503 at the token hop and succeeds once the fault is spent', async () => {
    router.faults.addRule({
      operation: 'gitlab.registryToken',
      action: { type: 'status', status: 503 },
      times: 1,
    });
    const failed = await dockerLogin(registry, login('reader'));
    expect(failed.steps.at(-1)).toMatchObject({ name: 'login-token', status: 503 });
    const retried = await dockerLogin(registry, login('reader'));
    expect(retried.loggedIn).toBe(true);
  });

  it('reports a hung token endpoint as a timeout', async () => {
    router.faults.addRule({
      operation: 'gitlab.registryToken',
      action: { type: 'hang', ms: 1_000 },
      times: 1,
    });
    const result = await dockerLogin(registry, login('reader'), { timeoutMs: 200 });
    expect(result.steps.at(-1)).toMatchObject({ name: 'login-token', status: 0, error: 'timeout' });
  });

  it('reports a token endpoint that drops the connection after issuing', async () => {
    router.faults.addRule({
      operation: 'gitlab.registryToken',
      action: { type: 'crash-after-commit' },
      times: 1,
    });
    const result = await dockerLogin(registry, login('reader'));
    expect(result.steps.at(-1)).toMatchObject({
      name: 'login-token',
      status: 0,
      error: 'connection-dropped',
    });
    expect(router.calls.at(-1)).toMatchObject({ operation: 'gitlab.registryToken', status: 200 });
  });
});

/** Alive and not a zombie: a killed orphan stays a zombie until init reaps it. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('process hygiene', () => {
  it('leaves no registry behind when the process that started it is killed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'credrot-orphan-'));
    const script = join(dir, 'start.mts');
    const entry = pathToFileURL(join(process.cwd(), 'sandbox/registry/index.ts')).href;
    await writeFile(
      script,
      [
        `import { createRegistryAuthority, startRegistry } from '${entry}';`,
        'const authority = await createRegistryAuthority({ algorithm: "ES256" });',
        `const r = await startRegistry({ realm: '${realm}', authority });`,
        "process.stdout.write(String(r.pid) + '\\n');",
        'setInterval(() => {}, 1000);',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', () => reject(new Error('starter exited early')));
    });
    expect(isRunning(pid)).toBe(true);
    // The killed starter cannot remove its work directory; find it from the config argument.
    const configFile = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .at(-1);
    child.kill('SIGKILL');
    const deadline = Date.now() + 3_000;
    while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await rm(dir, { recursive: true, force: true });
    if (configFile?.endsWith('config.yml'))
      await rm(dirname(configFile), { recursive: true, force: true });
    expect(isRunning(pid)).toBe(false);
  });
});
