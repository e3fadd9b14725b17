/**
 * The goals as checks over one run's figures. The smoke run (CI) keeps only the
 * ones that do not depend on the machine's speed: call counts, 429s, and agreement.
 */
import type { DiscoveryBench } from './discovery.js';
import type { RotationBench } from './rotation.js';

export interface Check {
  goal: string;
  figure: string;
  ok: boolean;
  /** True when the check holds on any machine (call counts, not times). */
  speedIndependent: boolean;
}

const fixed = (n: number, digits = 2) => n.toFixed(digits);

export function discoveryChecks(d: DiscoveryBench): Check[] {
  return [
    {
      goal: `discovery calls <= ceil(N/100) + groups = ${d.callBound}, the same in every run`,
      figure: `${d.credrot.calls}${d.credrot.sameCalls ? '' : ' (runs differ)'}`,
      ok: d.credrot.calls <= d.callBound && d.credrot.sameCalls,
      speedIndependent: true,
    },
    {
      goal: 'credrot finds exactly the due tokens (and owners) the baseline finds, in every run',
      figure: `${d.credrot.found} vs ${d.naive.found} (${d.due} seeded due)`,
      ok: d.agree && d.tight.agree && d.credrot.found === d.due,
      speedIndependent: true,
    },
    {
      goal: 'no 429 left unhonoured (every 429 waited for and retried), in every run',
      figure: `${d.credrot.throttled + d.tight.throttled} x 429, ${d.credrot.retries + d.tight.retries} retries`,
      ok: d.credrot.retries >= d.credrot.throttled && d.tight.retries >= d.tight.throttled,
      speedIndependent: true,
    },
    {
      goal: 'discovery wall time <= 1.25 x rate-limit lower bound',
      figure: `${fixed(d.credrot.overLowerBound)} x (median of ${d.credrot.wallsMs.length}; cold, in a fresh process: ${fixed(d.credrot.cold.overLowerBound)} x)`,
      ok: d.credrot.overLowerBound <= 1.25,
      speedIndependent: false,
    },
    {
      goal: `rate-bound discovery (${d.tight.rateLimitPerMinute} requests/minute): wall time <= 1.25 x the windows its budget forces it to wait`,
      figure:
        d.tight.windowBoundMs > 0
          ? `${fixed(d.tight.overWindowBound)} x (${fixed(d.tight.overLowerBound)} x calls / rate), ${d.tight.throttled} x 429`
          : `the limit did not bind (${d.tight.calls} calls); set --tight-rate-limit below that`,
      ok: d.tight.overWindowBound <= 1.25,
      speedIndependent: false,
    },
    {
      goal: "peak memory < 256 MB (credrot's discovery in a process of its own)",
      figure: `${fixed(d.credrot.maxRssMb, 0)} MB max RSS`,
      ok: d.credrot.maxRssMb < 256,
      speedIndependent: false,
    },
  ];
}

export function rotationChecks(r: RotationBench): Check[] {
  return [
    {
      goal: 'every due credential rotated',
      figure: `${r.rotated} of ${r.credentials}`,
      ok: r.rotated === r.credentials,
      speedIndependent: true,
    },
    {
      goal: `rotation calls per credential <= ${4 + 3 * r.sinksEach} (4 source + 3 per sink)`,
      figure: fixed(r.calls / r.credentials),
      ok: r.calls <= r.credentials * (4 + 3 * r.sinksEach),
      speedIndependent: true,
    },
    {
      goal: 'no 429 storm during rotation (every 429 retried)',
      figure: `${r.throttled} x 429, ${r.retries} retries`,
      ok: r.retries >= r.throttled,
      speedIndependent: true,
    },
    {
      goal: 'rotation wall time <= 1.3 x ideal',
      figure: `${fixed(r.overIdeal)} x`,
      ok: r.overIdeal <= 1.3,
      speedIndependent: false,
    },
  ];
}
