/**
 * Metrics as structured log lines, for GCP: a log-based metric counts (or distributes)
 * entries whose `jsonPayload.metric` equals the metric name, with labels extracted from
 * the other fields, e.g. filter `jsonPayload.metric="Rotations"`, label
 * `result = EXTRACT(jsonPayload.result)`.
 *
 * https://cloud.google.com/logging/docs/logs-based-metrics
 */
import type { Log } from './log.js';
import type { MetricSink } from './metrics.js';

export function logMetrics(log: Log): MetricSink {
  return {
    put(name, value, unit, dimensions) {
      log.info(`metric ${name}`, { metric: name, value, unit, ...dimensions });
    },
  };
}
