/**
 * Crashes at every point of a rotation, for every source kind, through the real SDKs:
 * - the sandbox's crash-after-commit on each external call (the mint, each store write,
 *   each sink write, the promote, the retire), with the engine in-process;
 * - a `credrot rotate` child process SIGKILLed at each step boundary: every call after the
 *   boundary hangs in the sandbox, and the child is killed once it is waiting on one.
 * Then a recovery run, and every invariant of DESIGN.md; the consumers are probed every
 * 20 ms throughout. Kinds run concurrently, each in its own sandbox.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { type RotationOutcome, rotate } from '../../shared/rotation/engine.js';
import {
  afterCalls,
  type CallMatch,
  clearFaults,
  EMULATORS,
  faultNext,
  faultsOf,
  firedCounts,
  hangEverything,
  hangFired,
  hangOn,
} from '../support/call-triggers.js';
import {
  checkAtRest,
  leakedSecrets,
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

const BIN = fileURLToPath(new URL('../../bin/credrot.js', import.meta.url));
const LEASE_EXPIRED_MS = 11 * 60_000;

interface KindPlan {
  title: string;
  spec: WorldSpec;
  mint: string;
  revoke: string;
  verify: string;
}

const KINDS: KindPlan[] = [
  {
    title: 'a project access token',
    spec: { kind: 'gitlab-project-access-token' },
    mint: 'gitlab.createProjectToken',
    revoke: 'gitlab.revokeProjectToken',
    verify: 'gitlab.getSelfPersonalToken',
  },
  {
    title: 'a group access token',
    spec: { kind: 'gitlab-group-access-token' },
    mint: 'gitlab.createGroupToken',
    revoke: 'gitlab.revokeGroupToken',
    verify: 'gitlab.getSelfPersonalToken',
  },
  {
    title: 'a personal access token (administrator connection)',
    spec: { kind: 'gitlab-personal-access-token', admin: true },
    mint: 'gitlab.createUserPersonalToken',
    revoke: 'gitlab.revokePersonalToken',
    verify: 'gitlab.getSelfPersonalToken',
  },
  {
    title: 'a deploy token',
    spec: { kind: 'gitlab-deploy-token' },
    mint: 'gitlab.createDeployToken',
    revoke: 'gitlab.deleteDeployToken',
    verify: 'gitlab.registryAuth',
  },
];

const gl = (operation: string): CallMatch => ({ emulator: 'gitlab', operation });
const aws = (operation: string): CallMatch => ({ emulator: 'aws', operation: `aws.${operation}` });
const gcp = (operation: string): CallMatch => ({ emulator: 'gcp', operation: `gcp.${operation}` });
const CRASH = { type: 'crash-after-commit' } as const;

/** Each external call of a rotation, and how to crash it after it committed. */
function crashPoints(k: KindPlan): Array<{ call: string; arm: (s: Sandbox) => void }> {
  const after = (s: Sandbox, seq: CallMatch[], next: CallMatch) =>
    afterCalls(s, seq, () => faultNext(s, next, CRASH));
  return [
    { call: 'the mint', arm: (s) => faultNext(s, gl(k.mint), CRASH) },
    { call: 'the AWS stage write', arm: (s) => after(s, [gl(k.mint)], aws('PutSecretValue')) },
    { call: 'the GCP stage version', arm: (s) => after(s, [gl(k.mint)], gcp('AddSecretVersion')) },
    {
      call: 'the GCP stage alias',
      arm: (s) => after(s, [gl(k.mint), gcp('AddSecretVersion')], gcp('UpdateSecret')),
    },
    {
      call: 'the CI/CD variable write',
      arm: (s) => faultNext(s, gl('gitlab.updateProjectVariable'), CRASH),
    },
    {
      call: 'the Actions secret write',
      arm: (s) =>
        faultNext(s, { emulator: 'github', operation: 'github.createOrUpdateRepoSecret' }, CRASH),
    },
    { call: 'the AWS promote tag', arm: (s) => faultNext(s, aws('TagResource'), CRASH) },
    {
      call: 'the AWS promote label move',
      arm: (s) => after(s, [aws('TagResource')], aws('UpdateSecretVersionStage')),
    },
    {
      call: 'the GCP promote',
      arm: (s) =>
        after(
          s,
          [{ emulator: 'github', operation: 'github.createOrUpdateRepoSecret' }],
          gcp('UpdateSecret'),
        ),
    },
    { call: 'the retire revoke', arm: (s) => faultNext(s, gl(k.revoke), CRASH) },
    { call: 'the GCP retire mark', arm: (s) => faultNext(s, gcp('DisableSecretVersion'), CRASH) },
  ];
}

/** Each step boundary, and how to hold the child there: every call after it hangs. */
function killPoints(k: KindPlan): Array<{ after: string; arm: (s: Sandbox) => void }> {
  return [
    { after: 'lease', arm: (s) => hangOn(s, gl('.*')) },
    { after: 'recover', arm: (s) => hangOn(s, gl(k.mint)) },
    { after: 'mint', arm: (s) => afterCalls(s, [gl(k.mint)], () => hangEverything(s)) },
    { after: 'stage', arm: (s) => hangOn(s, gl(k.verify)) },
    {
      after: 'verify',
      arm: (s) => {
        hangOn(s, gl('gitlab.getProjectVariable'));
        hangOn(s, { emulator: 'github', operation: 'github.getRepoPublicKey' });
      },
    },
    { after: 'distribute', arm: (s) => hangOn(s, aws('TagResource')) },
    { after: 'promote', arm: (s) => hangOn(s, gl(k.revoke)) },
    {
      after: 'retire',
      arm: (s) =>
        afterCalls(s, [gcp('DisableSecretVersion'), gcp('UpdateSecret')], () => hangEverything(s)),
    },
  ];
}

const printed: string[] = [];

function runOptions(offsetMs = 0) {
  return {
    trigger: 'cli' as const,
    holder: `test-${Math.random().toString(36).slice(2)}`,
    now: () => new Date(Date.now() + offsetMs),
  };
}

/** A recovery run in-process, through fresh SDK clients, as the next scheduled run would be. */
async function recover(w: RotationWorld, offsetMs = 0): Promise<RotationOutcome> {
  const outcome = await rotate(await w.target(), runOptions(offsetMs));
  printed.push(JSON.stringify(outcome));
  return outcome;
}

/** Runs `credrot rotate` as a child and SIGKILLs it once it waits on a hung call. */
async function runAndKill(
  s: Sandbox,
  w: RotationWorld,
): Promise<{ signal: string | null; output: string }> {
  const since = firedCounts(s);
  const child = spawn(process.execPath, [BIN, 'rotate', w.name, '--config', w.config, '--json'], {
    env: { PATH: process.env['PATH'] ?? '', ...w.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<string | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const deadline = Date.now() + 25_000;
  while (!done && !hangFired(s, since) && Date.now() < deadline) await sleep(5);
  if (!done) child.kill('SIGKILL');
  const signal = await exited;
  printed.push(out);
  return { signal, output: out };
}

/** Whether a crash-after-commit fired on any emulator since `since`. */
function crashFired(s: Sandbox, since: ReturnType<typeof firedCounts>): boolean {
  return EMULATORS.some((e) =>
    faultsOf(s, e)
      .fired.slice(since[e])
      .some((f) => f.action.type === 'crash-after-commit'),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const RECOVERED = ['rotated', 'resumed', 'not-due', 'retired-previous'];

describe('a crash anywhere in a rotation is recovered by the next run', () => {
  for (const k of KINDS) {
    it.concurrent(`${k.title}: a crash after each committed call keeps every invariant`, async ({
      expect,
    }) => {
      const s = await startRotationSandbox({ gitlab: { mode: 'self-managed' } });
      const watch: SandboxWatch = watchSandbox(s);
      try {
        for (const point of crashPoints(k)) {
          const w = await seedWorld(s, { ...k.spec, gracePeriod: '0s' });
          const probing = startProbing(s, w.credential);
          const since = firedCounts(s);
          point.arm(s);
          const first = await rotate(await w.target(), runOptions());
          printed.push(JSON.stringify(first));
          expect.soft(crashFired(s, since), `${k.title}: no crash after ${point.call}`).toBe(true);
          clearFaults(s);
          const second = await recover(w);
          const { violations } = probing.stop();
          const context = `${k.title}, crash after ${point.call}: ${first.result} ${first.error ?? ''} / ${second.result} ${second.error ?? ''}`;
          expect.soft(violations, context).toEqual([]);
          expect.soft(RECOVERED, context).toContain(second.result);
          expect.soft(s.gitlab.tokenState(w.seeded.token), context).toBe('revoked');
          expect.soft(await checkAtRest(s, w.credential, watch, new Date()), context).toEqual([]);
        }
        expect(
          leakedSecrets(
            printed,
            watch.issued().map((t) => t.value),
          ),
        ).toEqual([]);
      } finally {
        watch.stop();
        await s.close();
      }
    }, 240_000);

    it.concurrent(`${k.title}: a process killed after each step keeps every invariant`, async ({
      expect,
    }) => {
      const s = await startRotationSandbox({ gitlab: { mode: 'self-managed' } });
      const watch: SandboxWatch = watchSandbox(s);
      try {
        for (const point of killPoints(k)) {
          const w = await seedWorld(s, { ...k.spec, gracePeriod: '0s' });
          const probing = startProbing(s, w.credential);
          point.arm(s);
          const { signal, output } = await runAndKill(s, w);
          clearFaults(s);
          const context = `${k.title}, killed after ${point.after}`;
          expect.soft(signal, `${context}: the child ended by itself: ${output}`).toBe('SIGKILL');
          // The lease of the killed run is taken over once it expired.
          const second = await recover(w, LEASE_EXPIRED_MS);
          const { violations } = probing.stop();
          expect.soft(violations, context).toEqual([]);
          expect
            .soft(RECOVERED, `${context}: ${second.result} ${second.error ?? ''}`)
            .toContain(second.result);
          expect.soft(s.gitlab.tokenState(w.seeded.token), context).toBe('revoked');
          expect
            .soft(
              await checkAtRest(s, w.credential, watch, new Date(Date.now() + LEASE_EXPIRED_MS)),
              context,
            )
            .toEqual([]);
        }
        expect(
          leakedSecrets(
            printed,
            watch.issued().map((t) => t.value),
          ),
        ).toEqual([]);
      } finally {
        watch.stop();
        await s.close();
      }
    }, 240_000);
  }
});
