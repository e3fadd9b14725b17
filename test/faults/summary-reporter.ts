/**
 * Prints the fault run's summary block after vitest's own: the same lines in the same
 * order on every run (a section that did not run says so), so CI logs and RESULTS.md can
 * be compared line by line. Figures come from the files' `writeFigures` (figures.ts).
 */
import type { Reporter } from 'vitest/node';
import { readFigures } from './figures.js';
import { scaleFromEnv } from './scale.js';

type Section = Record<string, number> | undefined;

const n = (s: Section, key: string): number => s?.[key] ?? 0;

/** The summary block's lines for the figures in `dir`. */
export function summaryLines(dir: string): string[] {
  const { matrix, concurrency, hostile, hygiene, availability } = readFigures(dir);
  const scale = scaleFromEnv();
  const row = (label: string, value: string) => `${label.padEnd(28)}${value}`;
  const lines = [
    `── credrot fault summary (seed ${scale.seed}, size ${scale.size}${scale.only ? `, only '${scale.only}'` : ''}) ──`,
  ];
  lines.push(
    row(
      'scenarios run',
      matrix
        ? `${n(matrix, 'scenarios')} (in-process ${n(matrix, 'inProcess')}, SIGKILL ${n(matrix, 'sigkill')}; failed ${n(matrix, 'failed')})`
        : 'not run',
    ),
    row('consumer probes', matrix ? String(n(matrix, 'probes')) : 'not run'),
    row('outages', matrix ? `${n(matrix, 'outages')} (goal 0)` : 'not run'),
    row('lost credentials', matrix ? `${n(matrix, 'lost')} (goal 0)` : 'not run'),
    row('valid orphans', matrix ? `${n(matrix, 'validOrphans')} (goal 0)` : 'not run'),
    row('family revocations', matrix ? `${n(matrix, 'familyRevocations')} (goal 0)` : 'not run'),
    row(
      'store ends clean',
      matrix
        ? `${n(matrix, 'unclean')} unclean, ${n(matrix, 'unrecovered')} unrecovered (goal 0)`
        : 'not run',
    ),
    row(
      'concurrent triggers',
      concurrency?.['triggers']
        ? `${n(concurrency, 'triggers')} on one credential (schedule ${n(concurrency, 'schedule')}, webhook ${n(concurrency, 'webhook')}, cli ${n(concurrency, 'cli')}): ${n(concurrency, 'mints')} mint (goal 1)`
        : 'not run',
    ),
    row(
      'concurrent credentials',
      concurrency?.['fleet']
        ? `${n(concurrency, 'rotatedOnce')} of ${n(concurrency, 'fleet')} rotated exactly once under latency, cross-talk ${n(concurrency, 'crossTalk')} (goal 0)`
        : 'not run',
    ),
    row(
      'hostile webhooks',
      hostile
        ? `${n(hostile, 'requests')} requests (gitlab ${n(hostile, 'gitlab')}, github ${n(hostile, 'github')}): unexpected status ${n(hostile, 'unexpectedStatus')}, enqueued ${n(hostile, 'enqueued')}, rotated ${n(hostile, 'rotated')}, crashes ${n(hostile, 'crashes')} (goal 0)`
        : 'not run',
    ),
    row(
      'secret hygiene',
      hygiene
        ? `${n(hygiene, 'values')} values checked in ${n(hygiene, 'texts')} captured texts: ${n(hygiene, 'hits')} hits (goal 0)`
        : 'not run',
    ),
    row(
      'webhook availability',
      availability
        ? `${n(availability, 'deliveries')} deliveries at ${n(availability, 'ratePerSecond')}/s for ${n(availability, 'seconds')} s: ${n(availability, 'ok')} 2xx, ${n(availability, 'failed')} not, slowest ${n(availability, 'maxMs')} ms, p99 ${n(availability, 'p99Ms')} ms (GitLab waits 10000 ms)`
        : 'not run',
    ),
    '── end of fault summary ──',
  );
  return lines;
}

export default class FaultSummaryReporter implements Reporter {
  onTestRunEnd(): void {
    const dir = process.env['FAULTS_OUT'];
    if (!dir) return;
    process.stdout.write(`\n${summaryLines(dir).join('\n')}\n`);
  }
}
