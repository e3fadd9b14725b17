/**
 * Concurrent runs and rate limits through the real SDKs against the sandbox: concurrent
 * `rotate` runs on one credential, each with its own Connections and store instances (as
 * separate processes would have), mint exactly once; a 429 with Retry-After on the mint or
 * on a sink is retried once, after the wait; `credrot status` shows who holds a lease;
 * GitLab's reuse detection never fires and no secret is ever printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { type RotationOutcome, rotate } from '../../shared/rotation/engine.js';
import { credrot } from '../support/cli.js';
import {
  checkAtRest,
  leakedSecrets,
  noFamilyRevocation,
  type SandboxWatch,
  startProbing,
  watchSandbox,
} from '../support/invariants.js';
import { type RotationWorld, seedWorld, startRotationSandbox } from '../support/rotation-world.js';

let sandbox: Sandbox;
let watch: SandboxWatch;
const printed: string[] = [];

beforeAll(async () => {
  sandbox = await startRotationSandbox();
  watch = watchSandbox(sandbox);
});

afterAll(async () => {
  watch?.stop();
  await sandbox?.close();
});

function options() {
  return {
    trigger: 'schedule' as const,
    holder: `run-${Math.random().toString(36).slice(2, 8)}`,
    now: () => new Date(),
  };
}

/** `n` runs started together, each on its own target (own SDK clients and store instances). */
async function concurrentRuns(w: RotationWorld, n: number): Promise<RotationOutcome[]> {
  const targets = await Promise.all(Array.from({ length: n }, () => w.target()));
  const outcomes = await Promise.all(targets.map((t) => rotate(t, options())));
  printed.push(...outcomes.map((o) => JSON.stringify(o)));
  return outcomes;
}

function callsOf(operation: string, from: number) {
  return sandbox.gitlab.router.calls.slice(from).filter((c) => c.operation === operation);
}

describe('concurrent rotations of one credential', () => {
  for (const [n, stores] of [
    [2, ['aws', 'gcp']],
    [2, ['gcp', 'aws']],
    [10, ['aws', 'gcp']],
    [10, ['gcp']],
  ] as const) {
    it(`${n} concurrent runs with ${stores[0]} as the lease store mint exactly once`, async () => {
      const w = await seedWorld(sandbox, {
        kind: 'gitlab-project-access-token',
        stores: [...stores],
      });
      const from = sandbox.gitlab.router.calls.length;
      const probing = startProbing(sandbox, w.credential);
      const outcomes = await concurrentRuns(w, n);
      expect(probing.stop().violations).toEqual([]);
      const results = outcomes.map((o) => o.result);
      expect(
        results.filter((r) => r === 'rotated'),
        JSON.stringify(outcomes),
      ).toHaveLength(1);
      for (const r of results) expect(['rotated', 'in-progress', 'not-due']).toContain(r);
      expect(callsOf('gitlab.createProjectToken', from)).toHaveLength(1);
      expect(await checkAtRest(sandbox, w.credential, watch, new Date())).toEqual([]);
    });
  }
});

describe("honouring GitLab's and GitHub's rate limits", () => {
  it('a 429 with Retry-After on the mint is retried once, after the wait', async () => {
    const w = await seedWorld(sandbox, { kind: 'gitlab-group-access-token' });
    sandbox.gitlab.faults.addRule({
      operation: 'gitlab.createGroupToken',
      nth: 1,
      action: { type: 'status', status: 429, retryAfterSeconds: 1 },
    });
    const from = sandbox.gitlab.router.calls.length;
    const [outcome] = await concurrentRuns(w, 1);
    expect(outcome?.result, outcome?.error).toBe('rotated');
    const mints = callsOf('gitlab.createGroupToken', from);
    expect(mints.map((c) => c.status)).toEqual([429, 201]);
    expect(mints[1]!.at - mints[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(await checkAtRest(sandbox, w.credential, watch, new Date())).toEqual([]);
  });

  it('a 429 with Retry-After on a CI/CD variable and an Actions secret is retried once, after the wait', async () => {
    const w = await seedWorld(sandbox, { kind: 'gitlab-deploy-token' });
    sandbox.gitlab.faults.addRule({
      operation: 'gitlab.updateProjectVariable',
      nth: 1,
      action: { type: 'status', status: 429, retryAfterSeconds: 1 },
    });
    sandbox.github.router.faults.addRule({
      operation: 'github.createOrUpdateRepoSecret',
      nth: 1,
      action: { type: 'status', status: 429, retryAfterSeconds: 1 },
    });
    const gitlabFrom = sandbox.gitlab.router.calls.length;
    const githubFrom = sandbox.github.router.calls.length;
    const probing = startProbing(sandbox, w.credential);
    const [outcome] = await concurrentRuns(w, 1);
    expect(probing.stop().violations).toEqual([]);
    expect(outcome?.result, outcome?.error).toBe('rotated');
    const variable = callsOf('gitlab.updateProjectVariable', gitlabFrom);
    expect(variable.map((c) => c.status)).toEqual([429, 200]);
    expect(variable[1]!.at - variable[0]!.at).toBeGreaterThanOrEqual(1_000);
    const secret = sandbox.github.router.calls
      .slice(githubFrom)
      .filter((c) => c.operation === 'github.createOrUpdateRepoSecret');
    expect(secret.map((c) => c.status)).toEqual([429, 204]);
    expect(secret[1]!.at - secret[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(await checkAtRest(sandbox, w.credential, watch, new Date())).toEqual([]);
  });
});

describe('the lease as credrot status shows it', () => {
  for (const primary of ['aws', 'gcp'] as const) {
    it(`shows who holds the ${primary} lease and until when, and free once released or expired`, async () => {
      const w = await seedWorld(sandbox, {
        kind: 'gitlab-project-access-token',
        stores: primary === 'aws' ? ['aws', 'gcp'] : ['gcp', 'aws'],
      });
      const store = w.credential.stores[0]!.store;
      const now = new Date();
      const lease = await store.acquireLease('someone@host:42', 60_000, now);
      expect(await store.leaseInfo?.(now)).toEqual({
        holder: 'someone@host:42',
        expiresAt: lease.expiresAt,
      });
      // An expired lease is nobody's.
      expect(await store.leaseInfo?.(new Date(now.getTime() + 61_000))).toBeUndefined();
      const held = await credrot(['status', w.name, '--config', w.config], w.env);
      printed.push(held.stdout, held.stderr);
      expect(held.stdout).toMatch(/lease\s+held by someone@host:42 until /);
      const rotating = await credrot(['rotate', w.name, '--config', w.config], w.env);
      printed.push(rotating.stdout, rotating.stderr);
      expect(rotating.code).toBe(0);
      expect(rotating.stdout).toMatch(/in progress|being rotated|someone@host:42/);

      await store.releaseLease(lease);
      expect(await store.leaseInfo?.(new Date())).toBeUndefined();
      const free = await credrot(['status', w.name, '--config', w.config], w.env);
      printed.push(free.stdout, free.stderr);
      expect(free.stdout).toMatch(/lease\s+free/);
      expect(await checkAtRest(sandbox, w.credential, watch, new Date())).toEqual([]);
    });
  }
});

describe('across every run in this file', () => {
  it('reuse detection never fired', () => {
    expect(noFamilyRevocation(watch)).toEqual([]);
  });

  it('no secret value, nor its base64 form, was printed or put in an outcome', () => {
    const values = watch.issued().map((t) => t.value);
    expect(values.length).toBeGreaterThan(5);
    expect(leakedSecrets(printed, values)).toEqual([]);
  });
});
