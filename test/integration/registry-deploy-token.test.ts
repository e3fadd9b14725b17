/**
 * A registry deploy token rotated through the CLI and proven against the sandbox's real
 * docker-registry (token auth via the GitLab emulator's /jwt/auth) before promotion.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoWorld, seedDemoWorld } from '../../sandbox/demo-world.js';
import { type Sandbox, startSandbox } from '../../sandbox/index.js';
import { dockerLogin } from '../../sandbox/registry/index.js';
import { ProviderError, VerificationError } from '../../shared/errors.js';
import { verifyRegistryCredential } from '../../shared/registry/verify.js';
import type { RotationOutcome } from '../../shared/rotation/engine.js';
import { credrot } from '../support/cli.js';

let sandbox: Sandbox;
let world: DemoWorld;
let dir: string;
let config: string;

async function rotate(file: string, ...argv: string[]) {
  const result = await credrot(['rotate', ...argv, '--json', '--config', file], world.env);
  const outcomes = (JSON.parse(result.stdout) as { outcomes: RotationOutcome[] }).outcomes;
  return { ...result, outcomes };
}

/** The deploy token DOCKER_AUTH_CONFIG holds now. */
function published(): { username: string; password: string } {
  const text = sandbox.gitlab.variables.read(
    'project',
    world.projectId,
    'DOCKER_AUTH_CONFIG',
    '*',
  )?.value;
  const auths = (JSON.parse(text ?? '{}') as { auths: Record<string, { auth: string }> }).auths;
  const decoded = Buffer.from(Object.values(auths)[0]!.auth, 'base64').toString();
  const colon = decoded.indexOf(':');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

async function currentToken(): Promise<string> {
  const out = await world.aws.send(new GetSecretValueCommand({ SecretId: 'credrot/app-registry' }));
  return (JSON.parse(out.SecretString ?? '{}') as { token: string }).token;
}

beforeAll(async () => {
  sandbox = await startSandbox();
  sandbox.requireRegistry();
  world = await seedDemoWorld(sandbox, { gracePeriod: '1h' });
  dir = await mkdtemp(join(tmpdir(), 'credrot-registry-'));
  config = join(dir, 'credrot.config.yaml');
  await writeFile(config, world.config);
});

afterAll(async () => {
  await sandbox?.close();
});

describe('a deploy token rotated and verified against the real registry', () => {
  it('logs in with the new token and reads the image manifest before any consumer gets it', async () => {
    const before = published();
    const { code, outcomes } = await rotate(config, 'app-registry', '--force');
    expect(code).toBe(0);
    const outcome = outcomes[0]!;
    expect(outcome.result).toBe('rotated');
    const steps = outcome.steps.map((s) => s.step);
    expect(steps.indexOf('verify')).toBeLessThan(steps.indexOf('distribute'));
    const verify = outcome.steps.find((s) => s.step === 'verify')!;
    expect(verify.detail).toMatch(
      new RegExp(
        `^verified before promotion: registry ${sandbox.registry!.host.replace(/\./g, '\\.')}: login and pull of platform/app:latest \\(sha256:[0-9a-f]{12}\\) succeeded \\(401 -> 200 -> 200 -> 200 -> 200\\)$`,
      ),
    );

    const now = published();
    expect(now.password).not.toBe(before.password);
    expect(now.password).toBe(await currentToken());
    const login = await dockerLogin(sandbox.registry!, now, { repository: 'platform/app' });
    expect(login.ok).toBe(true);
    expect(login.digest).toMatch(/^sha256:/);
    // The replaced token keeps working through its grace period.
    expect((await dockerLogin(sandbox.registry!, before, { repository: 'platform/app' })).ok).toBe(
      true,
    );
  });

  it('retires the old token, which the registry then refuses at the token hop', async () => {
    const before = published();
    const { code, outcomes } = await rotate(config, 'app-registry', '--reason', 'leak');
    expect(code).toBe(0);
    expect(outcomes[0]!.steps.find((s) => s.step === 'retire')?.status).toBe('done');
    const old = await dockerLogin(sandbox.registry!, before, { repository: 'platform/app' });
    expect(old).toMatchObject({ ok: false, loggedIn: false, failedAt: 'login-token' });
    expect(old.steps.at(-1)).toMatchObject({ status: 401, error: 'UNAUTHORIZED' });
    expect(
      (await dockerLogin(sandbox.registry!, published(), { repository: 'platform/app' })).ok,
    ).toBe(true);
  });

  it('refuses a new token whose scope is too small at the manifest hop, rolls back and keeps the old one current', async () => {
    const held = published();
    const stored = await currentToken();
    const narrow = join(dir, 'narrow.yaml');
    // The same credential, now minting tokens that may read the repository but not the registry.
    await writeFile(
      narrow,
      world.config.replace(
        'policy: { lifetime: 30d, gracePeriod: 1h, scopes: [read_registry] }',
        'policy: { lifetime: 30d, gracePeriod: 1h, scopes: [read_repository] }\n    verify: { repository: platform/app, reference: latest }',
      ),
    );
    const { code, outcomes, stdout, stderr } = await rotate(narrow, 'app-registry', '--force');
    expect(code).toBe(1);
    const outcome = outcomes[0]!;
    expect(outcome.result).toBe('rolled-back');
    expect(outcome.errorName).toBe('VerificationError');
    expect(outcome.error).toContain(`registry ${sandbox.registry!.host}: the manifest read`);
    expect(outcome.error).toContain('HTTP 401 (insufficient_scope)');
    expect(outcome.error).toContain('scope asked for: repository:platform/app:pull');
    expect(outcome.steps.map((s) => `${s.step}:${s.status}`)).toContain('verify:failed');
    expect(outcome.steps.some((s) => s.step === 'distribute')).toBe(false);
    // Secret-free: neither the held nor any minted deploy token value appears.
    expect(`${stdout}${stderr}`).not.toMatch(/gldt-/);
    expect(`${stdout}${stderr}`).not.toContain(held.password);
    // The old credential stays current everywhere and still pulls.
    expect(await currentToken()).toBe(stored);
    expect(published()).toEqual(held);
    expect((await dockerLogin(sandbox.registry!, held, { repository: 'platform/app' })).ok).toBe(
      true,
    );
  });
});

describe('the production verifier on its own', () => {
  it('reports a registry that is down as a retryable ProviderError, not a refused credential', async () => {
    const err = await verifyRegistryCredential({
      registry: '127.0.0.1:9', // discard port: nothing listens
      credentials: { username: 'u', password: 'secret-value-1' },
      repository: 'platform/app',
      timeoutMs: 500,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).not.toBeInstanceOf(VerificationError);
    expect((err as ProviderError).retryable).toBe(true);
    expect((err as Error).message).toContain('registry 127.0.0.1:9');
    expect((err as Error).message).not.toContain('secret-value-1');
  });

  it('refuses wrong credentials at the login token hop with 401 and names the hop', async () => {
    const err = await verifyRegistryCredential({
      registry: sandbox.registry!.host,
      credentials: { username: 'nobody', password: 'wrong-secret-value' },
      repository: 'platform/app',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as Error).message).toMatch(
      /the token request for login answered HTTP 401 \(UNAUTHORIZED\); scope asked for: none \(login\)/,
    );
    expect((err as Error).message).not.toContain('wrong-secret-value');
  });

  it('refuses a missing image with a message naming verify.repository', async () => {
    const err = await verifyRegistryCredential({
      registry: sandbox.registry!.host,
      credentials: published(),
      repository: 'platform/app',
      reference: 'no-such-tag',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as Error).message).toContain('HTTP 404');
    expect((err as Error).message).toContain('verify.repository');
  });
});
