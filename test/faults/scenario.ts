/**
 * One fault scenario: seed a fresh credential in a lane's sandbox, probe its consumers
 * continuously, run a rotation with one fault aimed at one call (in-process), or run
 * `credrot rotate` as a child and SIGKILL it while that call is in flight; then clear the
 * faults, run a recovery pass (as the next scheduled run would, once a dead run's lease has
 * expired) and check every invariant of DESIGN.md with test/support/invariants.ts.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ExpectStatic } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { type RotationOutcome, rotate } from '../../shared/rotation/engine.js';
import { clearFaults, faultsOf } from '../support/call-triggers.js';
import {
  type CredentialUnderTest,
  nothingLost,
  noValidOrphans,
  probeConsumers,
  type SandboxWatch,
  storeClean,
  watchSandbox,
} from '../support/invariants.js';
import { type RotationWorld, seedWorld, startRotationSandbox } from '../support/rotation-world.js';
import type { Capture } from './capture.js';
import type { MatrixFigures } from './figures.js';
import {
  type CallPoint,
  exactly,
  type FaultKind,
  faultAction,
  type KindUnderTest,
} from './points.js';
import { replayCommand, type Scale } from './scale.js';
import { quickTarget } from './targets.js';

const BIN = fileURLToPath(new URL('../../bin/credrot.js', import.meta.url));
/** Past the default 10-minute lease: the recovery pass takes over a dead run's lease. */
const LEASE_EXPIRED_MS = 11 * 60_000;
const RECOVERED = ['rotated', 'resumed', 'not-due', 'retired-previous'];

/** A sandbox of its own and what it watches; scenarios in one lane run one at a time. */
export interface Lane {
  sandbox: Sandbox;
  watch: SandboxWatch;
  close(): Promise<void>;
}

export async function openLane(): Promise<Lane> {
  const sandbox = await startRotationSandbox({ gitlab: { mode: 'self-managed' } });
  const watch = watchSandbox(sandbox);
  return {
    sandbox,
    watch,
    async close() {
      watch.stop();
      await sandbox.close();
    },
  };
}

export interface ScenarioResult {
  id: string;
  via: 'in-process' | 'sigkill';
  probes: number;
  /** Probes at which some consumer held a value GitLab refused. */
  outages: number;
  violations: string[];
  lost: string[];
  validOrphans: string[];
  familyRevocations: string[];
  unclean: string[];
  unrecovered: string[];
  /** The fault did not land where it was aimed (the scenario proved nothing). */
  missed: string[];
  /** What the faulted run and the recovery pass ended as (fingerprints only). */
  story: string;
}

export function problemsOf(r: ScenarioResult): string[] {
  return [
    ...r.violations.map((p) => `outage: ${p}`),
    ...r.lost.map((p) => `lost: ${p}`),
    ...r.validOrphans.map((p) => `valid orphan: ${p}`),
    ...r.familyRevocations.map((p) => `family revocation: ${p}`),
    ...r.unclean.map((p) => `store not clean: ${p}`),
    ...r.unrecovered.map((p) => `not recovered: ${p}`),
    ...r.missed.map((p) => `fault missed: ${p}`),
  ];
}

/**
 * Reports one scenario: its story when FAULTS_VERBOSE is set, a failure with the seed and
 * the one command that replays it, and a soft assertion so the other scenarios still run.
 */
export function reportScenario(
  expect: ExpectStatic,
  scale: Scale,
  id: string,
  result: ScenarioResult,
): void {
  const problems = problemsOf(result);
  if (process.env['FAULTS_VERBOSE']) console.log(`${id}: ${result.story}`);
  if (problems.length > 0)
    console.error(
      `fault scenario ${id} failed (seed ${scale.seed}): ${result.story}\n  ${problems.join('\n  ')}\n  replay: ${replayCommand(scale, id)}`,
    );
  expect.soft(problems, `${id}: ${result.story}; replay: ${replayCommand(scale, id)}`).toEqual([]);
}

function options(offsetMs = 0) {
  return {
    trigger: 'schedule' as const,
    holder: `faults-${Math.random().toString(36).slice(2, 8)}`,
    now: () => new Date(Date.now() + offsetMs),
  };
}

/**
 * Probes every consumer every `everyMs` with `probeConsumers` until stopped: answers how
 * many probes ran, how many found a consumer holding a value GitLab refuses (an outage),
 * and each distinct violation.
 */
function probeContinuously(sandbox: Sandbox, credential: CredentialUnderTest, everyMs = 10) {
  let probes = 0;
  let failed = 0;
  const seen = new Set<string>();
  const probe = () => {
    probes += 1;
    const problems = probeConsumers(sandbox, credential);
    if (problems.length > 0) failed += 1;
    for (const p of problems) seen.add(p);
  };
  probe();
  const timer = setInterval(probe, everyMs);
  return {
    stop() {
      clearInterval(timer);
      probe();
      return { probes, failed, violations: [...seen] };
    },
  };
}

function firedSince(lane: Lane, point: CallPoint, before: number): boolean {
  return faultsOf(lane.sandbox, point.emulator).fired.length > before;
}

/** Runs `faulted` against a fresh world, then the recovery pass and every check. */
async function scenario(
  lane: Lane,
  kind: KindUnderTest,
  id: string,
  via: ScenarioResult['via'],
  capture: Capture,
  faulted: (w: RotationWorld) => Promise<{ story: string; missed?: string }>,
): Promise<ScenarioResult> {
  const { sandbox, watch } = lane;
  const w = await seedWorld(sandbox, { ...kind.spec, gracePeriod: '0s' });
  const families = watch.familyRevocations().length;
  const probing = probeContinuously(sandbox, w.credential);
  let first: { story: string; missed?: string };
  try {
    first = await faulted(w);
  } finally {
    clearFaults(sandbox);
  }
  // The next scheduled run: production clients (default timeouts), once a dead run's lease expired.
  const recovery: RotationOutcome = await rotate(await w.target(), options(LEASE_EXPIRED_MS));
  capture.add(JSON.stringify(recovery));
  const { violations, probes, failed } = probing.stop();
  const unrecovered: string[] = [];
  if (!RECOVERED.includes(recovery.result))
    unrecovered.push(`recovery pass ended ${recovery.result}: ${recovery.error ?? ''}`);
  const seeded = sandbox.gitlab.tokenState(w.seeded.token);
  if (seeded !== 'revoked') unrecovered.push(`the replaced value is still ${seeded}`);
  return {
    id,
    via,
    probes,
    outages: failed,
    violations,
    lost: await nothingLost(sandbox, w.credential, watch),
    validOrphans: await noValidOrphans(sandbox, w.credential),
    familyRevocations: watch
      .familyRevocations()
      .slice(families)
      .map((f) => `reuse detection fired on token ${f.tokenId} (${f.revoked} revoked)`),
    unclean: await storeClean(w.credential, new Date(Date.now() + LEASE_EXPIRED_MS)),
    unrecovered,
    missed: first.missed ? [first.missed] : [],
    story: `${first.story} / recovery ${recovery.result}${recovery.error ? ` (${recovery.error})` : ''}`,
  };
}

/** The engine in-process, with `fault` on the point's call. */
export function runInProcess(
  lane: Lane,
  kind: KindUnderTest,
  point: CallPoint,
  fault: FaultKind,
  random: () => number,
  id: string,
  capture: Capture,
): Promise<ScenarioResult> {
  return scenario(lane, kind, id, 'in-process', capture, async (w) => {
    const target = await quickTarget(w);
    const faults = faultsOf(lane.sandbox, point.emulator);
    const before = faults.fired.length;
    faults.addRule({
      operation: exactly(point.operation),
      nth: point.nth,
      action: faultAction(fault, random),
    });
    const outcome = await rotate(target, options());
    capture.add(JSON.stringify(outcome));
    const story = `run ${outcome.result}${outcome.error ? ` (${outcome.error})` : ''}`;
    return firedSince(lane, point, before)
      ? { story }
      : { story, missed: `${point.operation} #${point.nth} was never called` };
  });
}

/** `credrot rotate` as a child process, SIGKILLed while the point's call hangs. */
export function runSigkill(
  lane: Lane,
  kind: KindUnderTest,
  point: CallPoint,
  id: string,
  capture: Capture,
): Promise<ScenarioResult> {
  return scenario(lane, kind, id, 'sigkill', capture, async (w) => {
    const faults = faultsOf(lane.sandbox, point.emulator);
    const before = faults.fired.length;
    faults.addRule({
      operation: exactly(point.operation),
      nth: point.nth,
      action: { type: 'hang', ms: 60_000 },
    });
    const child = spawn(process.execPath, [BIN, 'rotate', w.name, '--config', w.config, '--json'], {
      env: { PATH: process.env['PATH'] ?? '', ...w.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (d: Buffer) => {
      output += d.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let exited = false;
    const exit = new Promise<string | null>((resolve) =>
      child.on('exit', (_code, signal) => {
        exited = true;
        resolve(signal);
      }),
    );
    const deadline = Date.now() + 60_000;
    while (!exited && !firedSince(lane, point, before) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    if (!exited) child.kill('SIGKILL');
    const signal = await exit;
    capture.add(output);
    return signal === 'SIGKILL'
      ? { story: 'child SIGKILLed while the call hung' }
      : {
          story: 'child exited by itself',
          missed: `the child never reached ${point.operation} #${point.nth}: ${output.slice(-300)}`,
        };
  });
}

/** Adds scenario results to the matrix figures. */
export function tally(results: readonly ScenarioResult[]): MatrixFigures {
  const count = (f: (r: ScenarioResult) => number) => results.reduce((n, r) => n + f(r), 0);
  return {
    scenarios: results.length,
    inProcess: results.filter((r) => r.via === 'in-process').length,
    sigkill: results.filter((r) => r.via === 'sigkill').length,
    probes: count((r) => r.probes),
    outages: count((r) => r.outages),
    lost: count((r) => r.lost.length),
    validOrphans: count((r) => r.validOrphans.length),
    familyRevocations: count((r) => r.familyRevocations.length),
    unclean: count((r) => r.unclean.length),
    unrecovered: count((r) => r.unrecovered.length),
    failed: results.filter((r) => problemsOf(r).length > 0).length,
  };
}
