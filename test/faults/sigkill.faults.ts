/**
 * The fault matrix's process deaths: `credrot rotate` runs as a child process and is
 * SIGKILLed while one call of the rotation is in flight (the sandbox holds that call), for
 * every source kind. Sampled by the seed across steps and step boundaries at the default
 * size (a child costs a Node start), every call from size 4. Then a recovery pass once the
 * dead run's lease expired, and every invariant; consumers are probed every 10 ms.
 */
import { afterAll, describe, it } from 'vitest';
import { faultFile } from './fault-file.js';
import { KINDS, pointId, recordPoints, sigkillPlan } from './points.js';
import { scaleFromEnv, selected } from './scale.js';
import { openLane, reportScenario, runSigkill, type ScenarioResult, tally } from './scenario.js';

const scale = scaleFromEnv();
const file = faultFile('matrix-sigkill');
const results: ScenarioResult[] = [];

afterAll(() => file.finish({ matrix: tally(results) }));

describe('a rotation process killed in the middle of any call is recovered by the next run', () => {
  KINDS.forEach((kind, k) => {
    it.concurrent(`${kind.id}: SIGKILL while the sampled calls are in flight`, async ({
      expect,
    }) => {
      const lane = await openLane();
      try {
        const points = await recordPoints(lane.sandbox, kind);
        for (const point of sigkillPlan(points, k, scale.size, scale.seed)) {
          const id = pointId(kind, 'sigkill', point);
          if (!selected(scale, id)) continue;
          const result = await runSigkill(lane, kind, point, id, file.capture);
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
