/**
 * Where the bench's GitLab emulator runs. By default in a worker thread: in the bench's
 * own thread the emulator (routing, JSON, rate limiting for thousands of calls) shares one
 * event loop with credrot, and rotation throughput then measures both. `in-process` keeps
 * the old arrangement (the CI smoke may use either; its call counts are the same).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BenchClock } from './clock.js';
import type { PhaseCounts } from './meter.js';
import {
  type BenchWorld,
  buildWorld,
  type RotationSeed,
  type WorldInfo,
  type WorldSize,
} from './world.js';
import type { WorldMessage, WorldRequest, WorldWorkerData } from './world-worker.js';

export type EmulatorPlacement = 'worker' | 'in-process';

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Builds the world, in a worker thread or in this one. */
export async function startWorld(
  size: WorldSize,
  clock: BenchClock,
  options: { rateLimitPerMinute: number; latencyMs: number; where?: EmulatorPlacement },
): Promise<BenchWorld> {
  const { where = 'worker', ...emulator } = options;
  if (where === 'in-process') return buildWorld(size, clock, emulator);
  const data: WorldWorkerData = {
    size,
    clock: { factor: clock.factor, start: clock.start, origin: clock.origin },
    options: emulator,
  };
  // The worker runs TypeScript: it registers tsx's loader first (Node 20 does not apply a
  // parent's `--import tsx` to a worker's own modules), then imports world-worker.ts.
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = new URL('./world-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
  const worker = new Worker(boot, { eval: true, workerData: data });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let failed: Error | undefined;
  const info = await new Promise<WorldInfo>((resolve, reject) => {
    worker.on('message', (m: WorldMessage) => {
      if ('ready' in m) return resolve(m.ready);
      const p = pending.get(m.id);
      pending.delete(m.id);
      if ('error' in m) p?.reject(new Error(`bench world: ${m.error}`));
      else p?.resolve(m.result);
    });
    worker.on('error', (err) => {
      failed = err;
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
  });
  const call = <T>(req: Distribute<WorldRequest>): Promise<T> => {
    if (failed) return Promise.reject(failed);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id });
    });
  };
  return {
    ...info,
    where: 'worker',
    callCount: () => call<number>({ op: 'callCount' }),
    countCalls: (from) => call<PhaseCounts>({ op: 'countCalls', from }),
    seedRotation: (input) => call<RotationSeed[]>({ op: 'seedRotation', input }),
    setRateLimit: async (perMinute) => {
      await call({ op: 'setRateLimit', perMinute });
    },
    close: async () => {
      await call({ op: 'close' }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
