/**
 * Metrics to CloudWatch through Powertools Metrics (Embedded Metric Format: one JSON log
 * line per data point that CloudWatch turns into a metric, no API call in the hot path).
 * Each data point is a single metric with its own dimensions, so dimensions of one
 * credential never leak onto another's data point.
 *
 * https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricSink, MetricUnit as Unit } from './metrics.js';

const UNITS: Record<Unit, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  Seconds: MetricUnit.Seconds,
};

export function emfMetrics(metrics: Metrics): MetricSink {
  return {
    put(name, value, unit, dimensions) {
      const single = metrics.singleMetric();
      for (const [key, v] of Object.entries(dimensions)) single.addDimension(key, v);
      single.addMetric(name, UNITS[unit], value);
    },
  };
}
