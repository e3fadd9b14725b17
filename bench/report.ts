/** Renders a bench run as the Markdown that goes into bench/RESULTS.md and the README. */
import type { Check } from './checks.js';
import type { BenchRun } from './run.js';

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const x = (n: number) => `${n.toFixed(2)}x`;

export interface ExtraSection {
  title: string;
  lines: string[];
  checks: Check[];
}

export function renderMarkdown(
  run: BenchRun,
  command: string,
  extras: ExtraSection[] = [],
): string {
  const { options: o, discovery: d, rotation: r } = run;
  const lines = [
    `Command: \`${command}\``,
    '',
    `World: ${o.tokens} access tokens (${d.due} due before the horizon) across ${o.projects} projects and ${o.groups} groups, ${o.variables} CI/CD variables; ${o.latencyMs} ms latency per GitLab call; GitLab's ${o.rateLimitPerMinute} requests/minute per user with a time factor of ${o.timeFactor} (one emulated minute lasts ${(60 / o.timeFactor).toFixed(1)} s), so the allowed rate is ${((o.rateLimitPerMinute * o.timeFactor) / 60).toFixed(0)} requests/s. Seeded in ${s(run.seedMs)}, the emulator in ${run.emulator === 'worker' ? 'a worker thread' : 'the bench thread'}.`,
    '',
    '### Discovery: what is due across the instance',
    '',
    '| | API calls | calls per credential checked | wall time | rate-limit lower bound | wall / lower bound | 429s | retries |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    `| (a) naive baseline (bench/baseline-naive.ts) | ${d.naive.calls} | ${d.naive.callsPerCredential.toFixed(4)} | ${s(d.naive.wallMs)} | ${s(d.naive.lowerBoundMs)} | ${x(d.naive.overLowerBound)} | ${d.naive.throttled} | ${d.naive.retries} |`,
    `| (b) credrot (shared/discovery, join: ${d.credrot.join}) | ${d.credrot.calls} | ${d.credrot.callsPerCredential.toFixed(4)} | ${s(d.credrot.wallMs)} | ${s(d.credrot.lowerBoundMs)} | ${x(d.credrot.overLowerBound)} | ${d.credrot.throttled} | ${d.credrot.retries} |`,
    `| credrot vs baseline | ${x(d.credrot.calls / d.naive.calls)} | | ${x(d.credrot.wallMs / d.naive.wallMs)} | | | | |`,
    '',
    `Both found the same ${d.credrot.found} due tokens with the same owners: ${d.agree ? 'yes' : 'NO'}. Peak memory during credrot's discovery: ${d.credrot.peakRssMb.toFixed(0)} MB RSS (the whole process, including the emulator and its world), ${d.credrot.peakHeapMb.toFixed(0)} MB heap.`,
    '',
    '### Rotation throughput',
    '',
    '| credentials | sinks each | rotations in flight | rotated | GitLab calls | wall time | ideal (latency) | ideal (rate) | wall / ideal | 429s | retries |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${r.credentials} | ${r.sinksEach} | ${r.concurrency} | ${r.rotated} | ${r.calls} | ${s(r.wallMs)} | ${s(r.latencyIdealMs)} | ${s(r.rateIdealMs)} | ${x(r.overIdeal)} | ${r.throttled} | ${r.retries} |`,
    '',
    'Ideal = max(critical-path calls (7) x latency x ceil(credentials / rotations in flight), calls counted against the administrator / allowed rate).',
  ];
  for (const extra of extras) lines.push('', `### ${extra.title}`, '', ...extra.lines);
  const m = run.machine;
  lines.push(
    '',
    '### Reading these figures',
    '',
    `- Machine: ${m.cpus} CPUs; 1-minute load average ${m.loadBefore.toFixed(1)} before the discovery and rotation parts, ${m.loadAfter.toFixed(1)} after. Wall times on a busy machine are upper bounds.`,
    run.emulator === 'worker'
      ? "- The GitLab emulator runs in a worker thread of the bench process (bench/world-host.ts), so credrot's event loop is its own; the emulator still shares the machine's CPUs, and its own cost per call (it filters a listing once per walk and slices pages from it, serialising each page as JSON in its one thread) adds to the injected latency. Peak memory is the whole process's RSS, the worker and its world included; heap is the bench thread's."
      : "- The GitLab emulator runs in the bench thread (seeded in-process), so credrot and the emulator share one event loop: wall times include the emulator's work.",
    "- Discovery needs two dependent rounds of calls (the first pages, which give `x-total-pages`; then every other page side by side, up to the limiter's per-host concurrency), so its floor is two round trips plus the emulator's time to serve the second round; the rate-limit lower bound (calls / allowed rate) is below that floor while, as here, the budget is far from spent.",
    '- Cold start: see the section above for what "loaded at cold start" and "ships" mean for a split bundle.',
    '- Call counts, 429s and agreement with the baseline do not depend on the machine; `npm run bench -- --smoke` (and test/integration/bench-smoke.test.ts) asserts those.',
  );
  const checks = [...run.checks, ...extras.flatMap((e) => e.checks)];
  lines.push('', '### Goals', '', '| goal | figure | met |', '|---|---:|:---:|');
  for (const c of checks) lines.push(`| ${c.goal} | ${c.figure} | ${c.ok ? 'yes' : '**no**'} |`);
  return `${lines.join('\n')}\n`;
}
