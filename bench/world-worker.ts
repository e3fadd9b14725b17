/**
 * The bench's GitLab emulator in a worker thread (world-host.ts starts it): it builds and
 * serves the world, then answers the bench's requests on it (call counts, seeding) by
 * message. The emulator's CPU is then not credrot's: what the bench times is credrot.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { acceleratedClock } from './clock.js';
import { buildWorld, type SeedRotationInput, type WorldInfo, type WorldSize } from './world.js';

export interface WorldWorkerData {
  size: WorldSize;
  clock: { factor: number; start: number; origin: number };
  options: { rateLimitPerMinute: number; latencyMs: number };
}

export type WorldRequest =
  | { id: number; op: 'callCount' }
  | { id: number; op: 'countCalls'; from: number }
  | { id: number; op: 'seedRotation'; input: SeedRotationInput }
  | { id: number; op: 'setRateLimit'; perMinute: number }
  | { id: number; op: 'close' };

export type WorldMessage =
  | { ready: WorldInfo }
  | { id: number; result: unknown }
  | { id: number; error: string };

const port = parentPort;
if (port) {
  const data = workerData as WorldWorkerData;
  const clock = acceleratedClock(data.clock.factor, data.clock.start, data.clock.origin);
  const world = await buildWorld(data.size, clock, data.options);
  const { url, adminToken, groupIds, projectIds, horizon, tokenCount, dueCount } = world;
  port.postMessage({
    ready: { url, adminToken, groupIds, projectIds, horizon, tokenCount, dueCount },
  } satisfies WorldMessage);
  port.on('message', async (req: WorldRequest) => {
    try {
      let result: unknown;
      if (req.op === 'callCount') result = await world.callCount();
      else if (req.op === 'countCalls') result = await world.countCalls(req.from);
      else if (req.op === 'seedRotation') result = await world.seedRotation(req.input);
      else if (req.op === 'setRateLimit') result = await world.setRateLimit(req.perMinute);
      else {
        await world.close();
        result = null;
      }
      port.postMessage({ id: req.id, result } satisfies WorldMessage);
      if (req.op === 'close') port.close();
    } catch (err) {
      port.postMessage({ id: req.id, error: String(err) } satisfies WorldMessage);
    }
  });
}
