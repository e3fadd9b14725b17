/**
 * Every source kind through the CLI and the real SDKs against the sandbox, with every store
 * and every sink at least once: project and group tokens with both strategies, personal
 * tokens by self-rotation (scope api or self_rotate) and through an administrator,
 * deploy tokens; expired and revoked current values are recreated, never rotated. The
 * consumers are probed every 20 ms throughout, and every invariant is checked at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../../sandbox/gitlab/identity.js';
import type { Sandbox } from '../../sandbox/index.js';
import { credrot } from '../support/cli.js';
import {
  checkAtRest,
  consumerToken,
  leakedSecrets,
  noFamilyRevocation,
  nothingLost,
  type SandboxWatch,
  startProbing,
  watchSandbox,
} from '../support/invariants.js';
import {
  type RotationWorld,
  seedWorld,
  startRotationSandbox,
  type WorldSpec,
} from '../support/rotation-world.js';

const DAY = 86_400_000;
let sandbox: Sandbox;
let watch: SandboxWatch;
const printed: string[] = [];

beforeAll(async () => {
  sandbox = await startRotationSandbox({ gitlab: { mode: 'self-managed' } });
  watch = watchSandbox(sandbox);
});

afterAll(async () => {
  watch?.stop();
  await sandbox?.close();
});

/** Runs `credrot rotate <name> --json` in-process; keeps what it printed for the secret scan. */
async function rotateCli(w: RotationWorld, ...extra: string[]) {
  const result = await credrot(['rotate', w.name, '--config', w.config, '--json', ...extra], w.env);
  printed.push(result.stdout, result.stderr);
  const outcome = JSON.parse(result.stdout || '{"outcomes":[]}').outcomes[0] as {
    result: string;
    error?: string;
  };
  return { ...result, outcome };
}

/** Operations the GitLab emulator answered since `from`, in order. */
function gitlabOps(from: number): string[] {
  return sandbox.gitlab.router.calls.slice(from).map((c) => `${c.operation} ${c.status}`);
}

/** The `expires_at` date GitLab holds for the token now held by the first consumer. */
function heldExpiry(w: RotationWorld): string | null | undefined {
  const token = consumerToken(sandbox, w.credential.consumers[0]!)!;
  const world = sandbox.gitlab.ctx as World;
  const access = world.tokens.findByValue(token);
  if (access) return access.expiresAt;
  return sandbox.gitlab.deployTokens.findByValue(token)?.expiresAt?.toISOString().slice(0, 10);
}

const in30Days = () =>
  new Date(sandbox.gitlab.now().getTime() + 30 * DAY).toISOString().slice(0, 10);

interface Case {
  title: string;
  spec: WorldSpec;
  /** The operation that must mint, and the ones that must never be called. */
  mint: string;
  never: string[];
  /** Whether the replaced value stays valid through the grace period. */
  oldStaysValid: boolean;
}

const cases: Case[] = [
  {
    title:
      'a project access token is recreated into AWS then GCP, a CI/CD variable and an Actions secret',
    spec: {
      kind: 'gitlab-project-access-token',
      stores: ['aws', 'gcp'],
      sinks: ['gitlab', 'github'],
    },
    mint: 'gitlab.createProjectToken 201',
    never: ['gitlab.rotateProjectToken'],
    oldStaysValid: true,
  },
  {
    title:
      "a project access token is rotated with GitLab's rotate endpoint into GCP then AWS and an Actions secret",
    spec: {
      kind: 'gitlab-project-access-token',
      strategy: 'rotate',
      stores: ['gcp', 'aws'],
      sinks: ['github'],
    },
    mint: 'gitlab.rotateProjectToken 200',
    never: ['gitlab.createProjectToken'],
    oldStaysValid: false,
  },
  {
    title: 'a group access token is recreated into GCP and a CI/CD variable',
    spec: { kind: 'gitlab-group-access-token', stores: ['gcp'], sinks: ['gitlab'] },
    mint: 'gitlab.createGroupToken 201',
    never: ['gitlab.rotateGroupToken'],
    oldStaysValid: true,
  },
  {
    title: "a group access token is rotated with GitLab's rotate endpoint into AWS and both sinks",
    spec: { kind: 'gitlab-group-access-token', strategy: 'rotate', stores: ['aws'] },
    mint: 'gitlab.rotateGroupToken 200',
    never: ['gitlab.createGroupToken'],
    oldStaysValid: false,
  },
  {
    title:
      'a personal access token with the api scope rotates itself into AWS and a CI/CD variable',
    spec: {
      kind: 'gitlab-personal-access-token',
      scopes: ['api'],
      stores: ['aws'],
      sinks: ['gitlab'],
    },
    mint: 'gitlab.rotateSelfPersonalToken 200',
    never: ['gitlab.createUserPersonalToken'],
    oldStaysValid: false,
  },
  {
    title:
      'a personal access token with only self_rotate and read_api rotates itself into GCP and an Actions secret',
    spec: {
      kind: 'gitlab-personal-access-token',
      scopes: ['self_rotate', 'read_api'],
      stores: ['gcp'],
      sinks: ['github'],
    },
    mint: 'gitlab.rotateSelfPersonalToken 200',
    never: ['gitlab.createUserPersonalToken'],
    oldStaysValid: false,
  },
  {
    title:
      'a personal access token is recreated through an administrator connection, keeping the old one through the grace period',
    spec: { kind: 'gitlab-personal-access-token', admin: true },
    mint: 'gitlab.createUserPersonalToken 201',
    never: ['gitlab.rotateSelfPersonalToken', 'gitlab.rotatePersonalToken'],
    oldStaysValid: true,
  },
  {
    title:
      'a registry deploy token is created anew into both stores, a file variable and an Actions secret',
    spec: { kind: 'gitlab-deploy-token' },
    mint: 'gitlab.createDeployToken 201',
    never: [],
    oldStaysValid: true,
  },
];

describe('rotating every source kind through the CLI', () => {
  for (const c of cases) {
    it(c.title, async () => {
      const w = await seedWorld(sandbox, c.spec);
      const from = sandbox.gitlab.router.calls.length;
      const probing = startProbing(sandbox, w.credential);
      const { code, outcome, stderr } = await rotateCli(w);
      const { violations } = probing.stop();
      expect(code, `${outcome.error ?? ''}${stderr}`).toBe(0);
      expect(outcome.result).toBe('rotated');

      const ops = gitlabOps(from);
      expect(ops.filter((o) => o === c.mint)).toHaveLength(1);
      for (const op of c.never) expect(ops.some((o) => o.startsWith(op))).toBe(false);
      // expires_at was sent: GitLab's own default would be a week (rotate) or a refusal (create).
      expect(heldExpiry(w)).toBe(in30Days());

      const held = consumerToken(sandbox, w.credential.consumers[0]!)!;
      expect(held).not.toBe(w.seeded.token);
      for (const consumer of w.credential.consumers)
        expect(consumerToken(sandbox, consumer)).toBe(held);
      expect(sandbox.gitlab.tokenState(w.seeded.token)).toBe(
        c.oldStaysValid ? 'active' : 'revoked',
      );
      for (const { store } of w.credential.stores) {
        const state = await store.read();
        expect(state.current?.value.token === held).toBe(true);
        expect(state.previous?.value.sourceId).toBe(w.seeded.sourceId);
      }
      // Strategies that revoke at once leave consumers on a revoked value until distribute.
      if (c.oldStaysValid) expect(violations).toEqual([]);
      expect(await checkAtRest(sandbox, w.credential, watch, new Date())).toEqual([]);
    });
  }

  it('an expired project token under the rotate strategy is recreated with the owner credential, never rotated', async () => {
    const w = await seedWorld(sandbox, {
      kind: 'gitlab-project-access-token',
      strategy: 'rotate',
      current: 'expired',
    });
    const from = sandbox.gitlab.router.calls.length;
    const { code, outcome } = await rotateCli(w);
    expect(code, outcome.error).toBe(0);
    const ops = gitlabOps(from);
    expect(ops).toContain('gitlab.createProjectToken 201');
    expect(ops.some((o) => o.startsWith('gitlab.rotateProjectToken'))).toBe(false);
    expect(await checkAtRest(sandbox, w.credential, watch, new Date())).toEqual([]);
  });

  it('a revoked group token under the rotate strategy is recreated, never rotated, and reuse detection never fires', async () => {
    const w = await seedWorld(sandbox, {
      kind: 'gitlab-group-access-token',
      strategy: 'rotate',
      current: 'revoked',
    });
    const from = sandbox.gitlab.router.calls.length;
    const { code, outcome } = await rotateCli(w);
    expect(code, outcome.error).toBe(0);
    const ops = gitlabOps(from);
    expect(ops).toContain('gitlab.createGroupToken 201');
    expect(ops.some((o) => o.startsWith('gitlab.rotateGroupToken'))).toBe(false);
    expect(await checkAtRest(sandbox, w.credential, watch, new Date())).toEqual([]);
  });

  it('a revoked personal token is never self-rotated: the run fails saying how to recover, and its family survives', async () => {
    const w = await seedWorld(sandbox, {
      kind: 'gitlab-personal-access-token',
      current: 'revoked',
    });
    const from = sandbox.gitlab.router.calls.length;
    const { code, outcome } = await rotateCli(w);
    expect(code).toBe(1);
    expect(outcome.result).toBe('failed');
    expect(outcome.error).toMatch(/is revoked, and rotating it would make GitLab revoke/);
    expect(outcome.error).toMatch(/administrator connection/);
    expect(gitlabOps(from).some((o) => o.includes('rotate'))).toBe(false);
    expect(noFamilyRevocation(watch)).toEqual([]);
  });

  it('an expired personal token is recreated through an administrator connection', async () => {
    const w = await seedWorld(sandbox, {
      kind: 'gitlab-personal-access-token',
      admin: true,
      current: 'expired',
    });
    const from = sandbox.gitlab.router.calls.length;
    const { code, outcome } = await rotateCli(w);
    expect(code, outcome.error).toBe(0);
    const ops = gitlabOps(from);
    expect(ops).toContain('gitlab.createUserPersonalToken 201');
    expect(ops.some((o) => o.includes('rotate'))).toBe(false);
    expect(await checkAtRest(sandbox, w.credential, watch, new Date())).toEqual([]);
  });

  it('retires the replaced personal token through the administrator after the grace period', async () => {
    const w = await seedWorld(sandbox, {
      kind: 'gitlab-personal-access-token',
      admin: true,
      gracePeriod: '0s',
    });
    const { code, outcome } = await rotateCli(w);
    expect(code, outcome.error).toBe(0);
    expect(sandbox.gitlab.tokenState(w.seeded.token)).toBe('revoked');
    expect(await checkAtRest(sandbox, w.credential, watch, new Date())).toEqual([]);
  });

  it("a crash after GitLab's rotate endpoint committed is recovered: the orphan is revoked by its marker and a new token recreated, without reuse detection", async () => {
    const w = await seedWorld(sandbox, { kind: 'gitlab-project-access-token', strategy: 'rotate' });
    sandbox.gitlab.faults.addRule({
      operation: 'gitlab.rotateProjectToken',
      nth: 1,
      action: { type: 'crash-after-commit' },
    });
    const crashed = await rotateCli(w);
    expect(crashed.outcome.result).toBe('failed');
    expect(crashed.outcome.error).toMatch(/not retried because it may have taken effect/);
    // GitLab revoked the old value at once: the documented cost of the rotate strategy.
    expect(sandbox.gitlab.tokenState(w.seeded.token)).toBe('revoked');
    const from = sandbox.gitlab.router.calls.length;
    const { code, outcome } = await rotateCli(w);
    expect(code, outcome.error).toBe(0);
    const ops = gitlabOps(from);
    expect(ops).toContain('gitlab.revokeProjectToken 204');
    expect(ops).toContain('gitlab.createProjectToken 201');
    expect(ops.some((o) => o.startsWith('gitlab.rotateProjectToken'))).toBe(false);
    expect(await checkAtRest(sandbox, w.credential, watch, new Date())).toEqual([]);
  });

  it('a self-rotated personal token lost to a crash cannot be recovered without an administrator: the next run says so and never presents the revoked value to rotate', async () => {
    const w = await seedWorld(sandbox, { kind: 'gitlab-personal-access-token' });
    sandbox.gitlab.faults.addRule({
      operation: 'gitlab.rotateSelfPersonalToken',
      nth: 1,
      action: { type: 'crash-after-commit' },
    });
    const crashed = await rotateCli(w);
    expect(crashed.outcome.result).toBe('failed');
    const from = sandbox.gitlab.router.calls.length;
    const again = await rotateCli(w);
    expect(again.code).toBe(1);
    expect(again.outcome.error).toMatch(/is revoked, and rotating it would make GitLab revoke/);
    expect(gitlabOps(from).some((o) => o.includes('rotate'))).toBe(false);
    expect(noFamilyRevocation(watch)).toEqual([]);
    // The limitation, stated by the invariant checker itself: the lost token is still valid.
    expect(await nothingLost(sandbox, w.credential, watch)).toHaveLength(1);
  });

  it('never printed a secret value, nor its base64 form', () => {
    const values = watch.issued().map((t) => t.value);
    expect(values.length).toBeGreaterThan(10);
    expect(leakedSecrets(printed, values)).toEqual([]);
  });

  it('never triggered GitLab reuse detection', () => {
    expect(noFamilyRevocation(watch)).toEqual([]);
  });
});
