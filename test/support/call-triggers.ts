/**
 * Aiming faults at a precise point of a rotation through the sandbox alone, with no hook
 * in production code: watch the emulators' call logs as calls complete (synchronously,
 * before the answer leaves the server) and arm the next fault at that instant. Used to
 * crash a call after it committed, or to hold a child process at a step boundary (every
 * later call hangs) so it can be killed there deterministically.
 */
import type { FaultAction, FaultController } from '../../sandbox/faults.js';
import type { CallRecord } from '../../sandbox/http.js';
import type { Sandbox } from '../../sandbox/index.js';

export type EmulatorName = 'gitlab' | 'github' | 'aws' | 'gcp';
export const EMULATORS: readonly EmulatorName[] = ['gitlab', 'github', 'aws', 'gcp'];

/** A call of one emulator, by operation name (exact, or a regular expression source). */
export interface CallMatch {
  emulator: EmulatorName;
  operation: string;
}

export function faultsOf(sandbox: Sandbox, emulator: EmulatorName): FaultController {
  if (emulator === 'gcp') return sandbox.gcp.faults;
  return sandbox[emulator].router.faults;
}

export function callsOf(sandbox: Sandbox, emulator: EmulatorName): CallRecord[] {
  if (emulator === 'gcp') return sandbox.gcp.calls;
  return sandbox[emulator].router.calls;
}

function matches(match: CallMatch, record: CallRecord): boolean {
  return new RegExp(`^(?:${match.operation})$`).test(record.operation);
}

/**
 * Calls `then` synchronously when the calls in `sequence` have completed in that order
 * (other calls may come between), at the moment the last is logged: before its answer is
 * sent, so the caller cannot have started its next call yet. Returns a disarm function.
 */
export function afterCalls(sandbox: Sandbox, sequence: CallMatch[], then: () => void): () => void {
  let next = 0;
  const restores: Array<() => void> = [];
  const disarm = () => {
    for (const r of restores.splice(0)) r();
  };
  for (const emulator of EMULATORS) {
    const calls = callsOf(sandbox, emulator);
    const push = calls.push;
    calls.push = (...records: CallRecord[]) => {
      const out = push.apply(calls, records);
      for (const record of records) {
        const want = sequence[next];
        if (want && want.emulator === emulator && matches(want, record)) {
          next += 1;
          if (next === sequence.length) {
            disarm();
            then();
          }
        }
      }
      return out;
    };
    restores.push(() => {
      calls.push = push;
    });
  }
  if (sequence.length === 0) then();
  return disarm;
}

/** Arms `action` on the next call matching `match` (once). */
export function faultNext(sandbox: Sandbox, match: CallMatch, action: FaultAction): void {
  faultsOf(sandbox, match.emulator).addRule({ operation: match.operation, nth: 1, action });
}

/** Every later call to any emulator hangs (no work is done) for `ms`. */
export function hangEverything(sandbox: Sandbox, ms = 5_000): void {
  for (const e of EMULATORS)
    faultsOf(sandbox, e).addRule({ operation: '.*', action: { type: 'hang', ms } });
}

/** Calls matching `match` hang (no work is done) for `ms`, however many come. */
export function hangOn(sandbox: Sandbox, match: CallMatch, ms = 5_000): void {
  faultsOf(sandbox, match.emulator).addRule({
    operation: match.operation,
    action: { type: 'hang', ms },
  });
}

/** Whether a hang fault fired on any emulator since `since` (counts of `fired`). */
export function hangFired(sandbox: Sandbox, since: Record<EmulatorName, number>): boolean {
  return EMULATORS.some((e) =>
    faultsOf(sandbox, e)
      .fired.slice(since[e])
      .some((f) => f.action.type === 'hang'),
  );
}

export function firedCounts(sandbox: Sandbox): Record<EmulatorName, number> {
  return Object.fromEntries(EMULATORS.map((e) => [e, faultsOf(sandbox, e).fired.length])) as Record<
    EmulatorName,
    number
  >;
}

export function clearFaults(sandbox: Sandbox): void {
  for (const e of EMULATORS) faultsOf(sandbox, e).clear();
}
