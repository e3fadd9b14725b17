/**
 * What credrot measures, independent of where it goes: rotations by outcome, each step's
 * duration, and each credential's expiry as a timestamp (so an alarm can fire on
 * "expires within N days" whatever triggered the last rotation). `MetricSink` has a
 * CloudWatch EMF implementation (emf.ts, Powertools) and a log-line one (log-metrics.ts,
 * for GCP log-based metrics).
 */
import type { RotationOutcome } from '../rotation/engine.js';

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds';

export interface MetricSink {
  /** Records one data point of `name` with `dimensions` (low-cardinality values only). */
  put(name: string, value: number, unit: MetricUnit, dimensions: Record<string, string>): void;
}

export const METRIC = {
  rotations: 'Rotations',
  stepDuration: 'RotationStepDuration',
  expiresAt: 'CredentialExpiresAt',
  jobsEnqueued: 'RotationJobsEnqueued',
  notices: 'NoticesSent',
} as const;

/**
 * Records a rotation outcome: one `Rotations` count dimensioned by credential and result,
 * one `RotationStepDuration` per step that ran, and `CredentialExpiresAt` (epoch seconds)
 * when the outcome knows the current value's expiry.
 */
export function recordRotation(sink: MetricSink, outcome: RotationOutcome, trigger: string): void {
  sink.put(METRIC.rotations, 1, 'Count', {
    credential: outcome.credential,
    result: outcome.result,
    trigger,
  });
  for (const step of outcome.steps) {
    if (step.status === 'skipped') continue;
    sink.put(METRIC.stepDuration, step.durationMs, 'Milliseconds', {
      step: step.step,
      status: step.status,
    });
  }
  if (outcome.expiresAt) {
    const at = Date.parse(outcome.expiresAt);
    if (!Number.isNaN(at))
      sink.put(METRIC.expiresAt, Math.floor(at / 1000), 'Seconds', {
        credential: outcome.credential,
      });
  }
}

/** A sink that keeps every data point, for tests and `credrot invoke`. */
export function memoryMetrics(): MetricSink & {
  points: Array<{
    name: string;
    value: number;
    unit: MetricUnit;
    dimensions: Record<string, string>;
  }>;
} {
  const points: Array<{
    name: string;
    value: number;
    unit: MetricUnit;
    dimensions: Record<string, string>;
  }> = [];
  return {
    points,
    put: (name, value, unit, dimensions) => {
      points.push({ name, value, unit, dimensions });
    },
  };
}
