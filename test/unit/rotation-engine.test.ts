import { describe, expect, it } from 'vitest';
import { type RotateOptions, type RotationTarget, rotate } from '../../shared/rotation/engine.js';
import type { StepName } from '../../shared/rotation/types.js';
import { MemorySink, MemorySource, MemoryStore } from './support/memory-world.js';

const DAY = 86_400_000;
const T0 = new Date('2026-11-22T09:00:00Z');

/** A credential minted 25 days ago with 30 days of life: in its last third, so due. */
function world(options: { sinks?: number; gracePeriodMs?: number } = {}) {
  const source = new MemorySource('app-ci');
  const store = new MemoryStore();
  const mirror = new MemoryStore();
  const sinks = Array.from({ length: options.sinks ?? 2 }, (_, i) => new MemorySink(`sink ${i}`));
  const seeded = source.seed(
    new Date(T0.getTime() + 5 * DAY).toISOString(),
    new Date(T0.getTime() - 25 * DAY).toISOString(),
  );
  store.seedCurrent(seeded);
  mirror.seedCurrent(seeded);
  for (const s of sinks) s.value = seeded.token;
  let now = T0;
  const clock = {
    now: () => now,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
  const target: RotationTarget = {
    name: 'app-ci',
    source,
    stores: [store, mirror],
    sinks,
    policy: { lifetimeMs: 30 * DAY, gracePeriodMs: options.gracePeriodMs ?? 3_600_000 },
  };
  const opts = (extra: Partial<RotateOptions> = {}): RotateOptions => ({
    trigger: 'cli',
    holder: `test-${Math.random()}`,
    leaseTtlMs: 60_000,
    now: clock.now,
    ...extra,
  });
  return { source, store, mirror, sinks, seeded, clock, target, opts };
}

/** Every consumer holds a value the source accepts. */
function everyConsumerWorks(w: ReturnType<typeof world>): boolean {
  return w.sinks.every((s) => s.value !== undefined && w.source.isValid(s.value));
}

/** Every token ever minted is stored somewhere or revoked. */
function nothingLost(w: ReturnType<typeof world>): boolean {
  const stored = new Set([...w.store.storedValues(), ...w.mirror.storedValues()]);
  return [...w.source.tokens.values()].every((t) => t.state === 'revoked' || stored.has(t.value));
}

/** No active token credrot minted that no store references. */
function noValidOrphans(w: ReturnType<typeof world>): boolean {
  const stored = new Set([...w.store.storedValues(), ...w.mirror.storedValues()]);
  return [...w.source.tokens.values()].every((t) => t.state === 'revoked' || stored.has(t.value));
}

describe('the rotation engine', () => {
  it('rotates a due credential into every store and sink and keeps the old value valid through the grace period', async () => {
    const w = world();
    const outcome = await rotate(w.target, w.opts());
    expect(outcome.result).toBe('rotated');
    expect(outcome.steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'lease:done',
      'recover:done',
      'mint:done',
      'stage:done',
      'verify:done',
      'distribute:done',
      'promote:done',
      'retire:skipped',
    ]);
    const state = await w.store.read();
    expect(state.current?.value.token).not.toBe(w.seeded.token);
    expect(state.previous?.value.token).toBe(w.seeded.token);
    expect(state.pending).toBeUndefined();
    expect((await w.mirror.read()).current?.value.token).toBe(state.current?.value.token);
    for (const s of w.sinks) expect(s.value).toBe(state.current?.value.token);
    expect(w.source.isValid(w.seeded.token)).toBe(true);
    expect(w.store.lease).toBeUndefined();
  });

  it('retires the old value on the first run after the grace period, and not before', async () => {
    const w = world();
    await rotate(w.target, w.opts());
    w.clock.advance(30 * 60_000);
    expect((await rotate(w.target, w.opts())).result).toBe('not-due');
    expect(w.source.isValid(w.seeded.token)).toBe(true);
    w.clock.advance(31 * 60_000);
    expect((await rotate(w.target, w.opts())).result).toBe('retired-previous');
    expect(w.source.isValid(w.seeded.token)).toBe(false);
    expect((await w.store.read()).previousRetired).toBe(true);
  });

  it('does nothing for a credential that is not due', async () => {
    const w = world();
    await rotate(w.target, w.opts());
    const minted = w.source.tokens.size;
    const outcome = await rotate(w.target, w.opts());
    expect(outcome.result).toBe('not-due');
    expect(w.source.tokens.size).toBe(minted);
  });

  it('retires a leaked value at once', async () => {
    const w = world();
    const outcome = await rotate(w.target, w.opts({ reason: 'leak' }));
    expect(outcome.result).toBe('rotated');
    expect(w.source.isValid(w.seeded.token)).toBe(false);
    expect(everyConsumerWorks(w)).toBe(true);
  });

  it('lets only one of two concurrent runs mint', async () => {
    const w = world();
    const [a, b] = await Promise.all([rotate(w.target, w.opts()), rotate(w.target, w.opts())]);
    expect([a.result, b.result].sort()).toEqual(['in-progress', 'rotated']);
    expect(w.source.tokens.size).toBe(2);
  });

  it('rolls back when the new value fails verification, leaving every consumer on the old value', async () => {
    const w = world();
    w.source.failVerify = true;
    const outcome = await rotate(w.target, w.opts());
    expect(outcome.result).toBe('rolled-back');
    for (const s of w.sinks) expect(s.value).toBe(w.seeded.token);
    expect((await w.store.read()).pending).toBeUndefined();
    expect(noValidOrphans(w)).toBe(true);
    expect(w.source.isValid(w.seeded.token)).toBe(true);
  });

  it('resumes a rotation whose distribution failed half-way, and every consumer works throughout', async () => {
    const w = world();
    w.sinks[1]!.failPush = true;
    const first = await rotate(w.target, w.opts());
    expect(first.result).toBe('failed');
    expect(first.error).toMatch(/could not update 1 of 2 consumers/);
    expect(everyConsumerWorks(w)).toBe(true);
    w.sinks[1]!.failPush = false;
    const second = await rotate(w.target, w.opts());
    expect(second.result).toBe('resumed');
    expect(w.source.tokens.size).toBe(2);
    expect(w.sinks[0]!.value).toBe(w.sinks[1]!.value);
  });

  const boundaries: Array<[StepName, 'before' | 'after']> = (
    ['lease', 'recover', 'mint', 'stage', 'verify', 'distribute', 'promote'] as StepName[]
  ).flatMap((s) => [
    [s, 'before'],
    [s, 'after'],
  ]);

  it.each(boundaries)(
    'recovers from a process killed %s %s, with no outage, no loss and no orphan',
    async (step, phase) => {
      const w = world();
      const probes: boolean[] = [];
      const killed = await rotate(
        w.target,
        w.opts({
          boundary: (s, p) => {
            probes.push(everyConsumerWorks(w));
            if (s === step && p === phase) {
              w.store.dead = true;
              throw new Error('SIGKILL');
            }
          },
        }),
      );
      expect(killed.result).toBe('failed');
      w.store.dead = false;
      // The dead run's lease must expire before anyone else can act.
      expect((await rotate(w.target, w.opts())).result).toBe(
        step === 'lease' && phase === 'before' ? 'rotated' : 'in-progress',
      );
      w.clock.advance(61_000);
      await rotate(w.target, w.opts({ boundary: () => void probes.push(everyConsumerWorks(w)) }));
      w.clock.advance(2 * 3_600_000);
      await rotate(w.target, w.opts({ boundary: () => void probes.push(everyConsumerWorks(w)) }));

      expect(probes.every(Boolean)).toBe(true);
      expect(everyConsumerWorks(w)).toBe(true);
      expect(nothingLost(w)).toBe(true);
      expect(noValidOrphans(w)).toBe(true);
      const state = await w.store.read();
      expect(state.pending).toBeUndefined();
      expect(state.current?.value.token).not.toBe(w.seeded.token);
      expect(w.source.isValid(w.seeded.token)).toBe(false);
      for (const s of w.sinks) expect(s.value).toBe(state.current?.value.token);
    },
  );
});
