/**
 * The fault matrix, in-process: for every source kind, a clean rotation is recorded call by
 * call, then rotations are run with one fault on one of those calls — crash after commit,
 * 429 with Retry-After, 5xx, timeout — sampled per step and step boundary by the seed
 * (every call with every fault from size 4). Each scenario probes the consumers every 10 ms,
 * runs a recovery pass, and checks every invariant; kinds run concurrently, each in its own
 * sandbox. A failing scenario prints its seed and the command that replays it.
 */
import { afterAll, describe, it } from 'vitest';
import { faultFile } from './fault-file.js';
import { inProcessPlan, KINDS, pointId, recordPoints } from './points.js';
import { rng, scaleFromEnv, selected, subSeed } from './scale.js';
import { openLane, reportScenario, runInProcess, type ScenarioResult, tally } from './scenario.js';

const scale = scaleFromEnv();
const file = faultFile('matrix-in-process');
const results: ScenarioResult[] = [];

afterAll(() => file.finish({ matrix: tally(results) }));

describe('a fault on any call of a rotation keeps every invariant once the next run recovers', () => {
  KINDS.forEach((kind, k) => {
    it.concurrent(`${kind.id}: crash after commit, 429, 5xx and timeout on the sampled calls`, async ({
      expect,
    }) => {
      const lane = await openLane();
      try {
        const points = await recordPoints(lane.sandbox, kind);
        for (const { point, fault } of inProcessPlan(points, k, scale.size, scale.seed)) {
          const id = pointId(kind, fault, point);
          if (!selected(scale, id)) continue;
          const random = rng(subSeed(scale.seed, id));
          const result = await runInProcess(lane, kind, point, fault, random, id, file.capture);
          results.push(result);
          reportScenario(expect, scale, id, result);
        }
      } finally {
        file.minted(lane.watch.issued().map((t) => t.value));
        await lane.close();
      }
    });
  });

  it('printed, logged and answered no secret value minted in the run', ({ expect }) => {
    const scan = file.scan();
    expect(scan.values).toBeGreaterThan(0);
    expect(scan.hits).toEqual([]);
  });
});
