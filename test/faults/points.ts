/**
 * Where a fault can land: every external call of one clean rotation of a credential kind,
 * recorded from the emulators' own call logs and labelled with the step that made it
 * (`mint`) or the boundary between two steps it falls on (`mint→`, e.g. the status read
 * before mint, the store reads after the lease). A point is an operation and its
 * occurrence in the rotation, which a fault rule hits with `nth`: a faulted run makes the
 * same calls as the clean one up to the fault.
 */
import type { FaultAction } from '../../sandbox/faults.js';
import type { CallRecord } from '../../sandbox/http.js';
import type { Sandbox } from '../../sandbox/index.js';
import type { CredentialKind } from '../../shared/config/schema.js';
import { rotate } from '../../shared/rotation/engine.js';
import { callsOf, EMULATORS, type EmulatorName } from '../support/call-triggers.js';
import { seedWorld, type WorldSpec } from '../support/rotation-world.js';
import { rng, sample, subSeed } from './scale.js';
import { quickTarget } from './targets.js';

export interface KindUnderTest {
  /** Short id used in scenario ids: project, group, personal, deploy. */
  id: string;
  spec: WorldSpec & { kind: CredentialKind };
}

/** Every source kind credrot mints at GitLab. */
export const KINDS: readonly KindUnderTest[] = [
  { id: 'project', spec: { kind: 'gitlab-project-access-token' } },
  { id: 'group', spec: { kind: 'gitlab-group-access-token' } },
  { id: 'personal', spec: { kind: 'gitlab-personal-access-token', admin: true } },
  { id: 'deploy', spec: { kind: 'gitlab-deploy-token' } },
];

export interface CallPoint {
  emulator: EmulatorName;
  operation: string;
  /** 1-based occurrence of the operation on its emulator within the rotation. */
  nth: number;
  /** The step that made the call, or `<step>→` for a call between that step and the next. */
  label: string;
}

export type FaultKind = 'crash' | '429' | '5xx' | 'timeout';
export const FAULT_KINDS: readonly FaultKind[] = ['crash', '429', '5xx', 'timeout'];

/** How long a `timeout` fault holds a call: well past the clients' timeout (targets.ts). */
export const HANG_MS = 4_000;

/** The emulator action for a fault kind; the 5xx status is drawn from the seed. */
export function faultAction(fault: FaultKind, random: () => number): FaultAction {
  if (fault === 'crash') return { type: 'crash-after-commit' };
  if (fault === '429') return { type: 'status', status: 429, retryAfterSeconds: 1 };
  if (fault === '5xx')
    return { type: 'status', status: [500, 502, 503][Math.floor(random() * 3)]! };
  return { type: 'hang', ms: HANG_MS };
}

/** A fault rule's `operation` that matches exactly this operation (rules take regular expressions). */
export function exactly(operation: string): string {
  return operation.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function pointId(kind: KindUnderTest, fault: string, p: CallPoint): string {
  return `${kind.id}/${fault}/${p.label}/${p.operation}#${p.nth}`;
}

/** Records the calls of one clean rotation of `kind` in `sandbox` (nothing else may run there). */
export async function recordPoints(sandbox: Sandbox, kind: KindUnderTest): Promise<CallPoint[]> {
  const w = await seedWorld(sandbox, { ...kind.spec, gracePeriod: '0s' });
  const target = await quickTarget(w);
  let label = 'lease';
  const points: CallPoint[] = [];
  const seen = new Map<string, number>();
  const restores: Array<() => void> = [];
  for (const emulator of EMULATORS) {
    const calls = callsOf(sandbox, emulator);
    const push = calls.push;
    calls.push = (...records: CallRecord[]) => {
      for (const r of records) {
        const key = `${emulator}:${r.operation}`;
        const nth = (seen.get(key) ?? 0) + 1;
        seen.set(key, nth);
        points.push({ emulator, operation: r.operation, nth, label });
      }
      return push.apply(calls, records);
    };
    restores.push(() => {
      calls.push = push;
    });
  }
  try {
    const outcome = await rotate(target, {
      trigger: 'cli',
      holder: 'faults-recorder',
      now: () => new Date(),
      onStep: (e) => {
        label = e.status === 'started' ? e.step : `${e.step}→`;
      },
    });
    if (outcome.result !== 'rotated')
      throw new Error(`the clean ${kind.id} rotation ended ${outcome.result}: ${outcome.error}`);
  } finally {
    for (const r of restores) r();
  }
  return points;
}

/** Points grouped by label, in the order the rotation reached them. */
function byLabel(points: readonly CallPoint[]): CallPoint[][] {
  const groups = new Map<string, CallPoint[]>();
  for (const p of points) groups.set(p.label, [...(groups.get(p.label) ?? []), p]);
  return [...groups.values()];
}

/**
 * The in-process scenarios of one kind: at size ≥ 4 every point with every fault; below,
 * `4 × size` (point, fault) pairs per label, the faults taken in turn (so at size 1 every
 * step and step boundary meets every fault, for every kind) and the call within the label
 * drawn from the seed.
 */
export function inProcessPlan(
  points: readonly CallPoint[],
  kindIndex: number,
  size: number,
  seed: number,
): Array<{ point: CallPoint; fault: FaultKind }> {
  const groups = byLabel(points);
  if (size >= 4)
    return groups.flat().flatMap((point) => FAULT_KINDS.map((fault) => ({ point, fault })));
  const plan: Array<{ point: CallPoint; fault: FaultKind }> = [];
  groups.forEach((group, g) => {
    const random = rng(subSeed(seed, `${kindIndex}:${group[0]!.label}`));
    for (let i = 0; i < 4 * size; i++) {
      const fault = FAULT_KINDS[(kindIndex + g + i) % FAULT_KINDS.length]!;
      plan.push({ point: group[Math.floor(random() * group.length)]!, fault });
    }
  });
  return plan;
}

/**
 * The SIGKILL scenarios of one kind: at size ≥ 4 every point; below, `4 × size` points
 * from distinct labels, starting at an offset drawn from the seed and shifted per kind so
 * the kinds together cover the labels, the call within each label drawn from the seed.
 */
export function sigkillPlan(
  points: readonly CallPoint[],
  kindIndex: number,
  size: number,
  seed: number,
): CallPoint[] {
  const groups = byLabel(points);
  if (size >= 4) return groups.flat();
  const random = rng(subSeed(seed, `kill:${kindIndex}`));
  const count = Math.min(groups.length, 4 * size);
  const start = (seed + kindIndex * count) % groups.length;
  const chosen: CallPoint[] = [];
  for (let i = 0; i < count; i++) {
    const group = groups[(start + i) % groups.length]!;
    chosen.push(...sample(group, 1, random));
  }
  return chosen;
}
