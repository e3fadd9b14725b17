/** Renders a bench run as the Markdown that goes into bench/RESULTS.md and the README. */
import type { Check } from './checks.js';
import type { DiscoverySide } from './discovery.js';
import type { BenchRun } from './run.js';

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const x = (n: number) => `${n.toFixed(2)}x`;
const row = (label: string, r: DiscoverySide) =>
  `| ${label} | ${r.calls} | ${r.callsPerCredential.toFixed(4)} | ${s(r.wallMs)} | ${s(r.lowerBoundMs)} | ${x(r.overLowerBound)} | ${r.throttled} | ${r.retries} |`;

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
    row('(a) naive baseline (bench/baseline-naive.ts), one run', d.naive),
    row(
      `(b) credrot (shared/discovery, join: ${d.credrot.join}), median of ${d.credrot.wallsMs.length} run${d.credrot.wallsMs.length === 1 ? '' : 's'} in the bench process`,
      d.credrot,
    ),
    row('(b) credrot, cold: one run in a fresh process, after those', {
      ...d.credrot,
      wallMs: d.credrot.cold.wallMs,
      overLowerBound: d.credrot.cold.overLowerBound,
    }),
    `| credrot (median) vs baseline | ${x(d.credrot.calls / d.naive.calls)} | | ${x(d.credrot.wallMs / d.naive.wallMs)} | | | | |`,
    row(
      `(c) credrot under ${d.tight.rateLimitPerMinute} requests/minute (rate-bound), one run`,
      d.tight,
    ),
    '',
    `Both found the same ${d.credrot.found} due tokens with the same owners, in every run: ${d.agree && d.tight.agree ? 'yes' : 'NO'}. The 429s and retries in row (b) are totals over all ${d.credrot.wallsMs.length + 1} runs; each run starts in a fresh rate-limit window with a fresh client, and the runs in the bench process took ${d.credrot.wallsMs.map((ms) => `${ms.toFixed(0)}`).join(', ')} ms. Peak memory of credrot's discovery, in the fresh process (esbuild bundle of bench/discovery-process.ts, no TypeScript loader; the emulator and its world live in the bench process): ${d.credrot.maxRssMb.toFixed(0)} MB max RSS, ${d.credrot.peakHeapMb.toFixed(0)} MB peak heap.`,
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
      ? "- The GitLab emulator runs in a worker thread of the bench process (bench/world-host.ts), so credrot's event loop is its own; the emulator still shares the machine's CPUs, and its own cost per call (it filters a listing once, until the data or the day changes, and slices pages from it, serialising each page as JSON in its one thread) adds to the injected latency. Memory is measured apart, in the fresh process of the cold run."
      : "- The GitLab emulator runs in the bench thread (seeded in-process), so credrot and the emulator share one event loop: wall times include the emulator's work.",
    "- Discovery needs two dependent rounds of calls (the first pages, which give `x-total-pages`; then every other page side by side, up to the limiter's per-host concurrency), so besides the rate its floor is two round trips plus the time to serve and parse the second round. The first run in the bench process also pays for the emulator's first build of its listing indexes (the median leaves it out), and the cold run for a new process's first use of its code paths and connections; the runs in the bench process show what a long-running scan of many instances spends per walk.",
    `- GitLab counts requests in a fixed window per minute, not at a steady rate, so a run that needs less than a window's budget (row b) or ends part-way into a window (row c) can finish under calls / allowed rate. Row (c) is the one the budget bounds: its ${d.tight.calls} calls need ${Math.ceil(d.tight.calls / d.tight.rateLimitPerMinute)} windows of ${d.tight.rateLimitPerMinute}, so no client can finish before the last one opens, ${s(d.tight.windowBoundMs)} in; it finished ${s(d.tight.wallMs)} in (${x(d.tight.overWindowBound)}), having spent each window's budget and then waited for \`RateLimit-Reset\` rather than drawing 429s (${d.tight.throttled} here).`,
    '- Cold start: see the section above for what "loaded at cold start" and "ships" mean for a split bundle.',
    '- Call counts, 429s and agreement with the baseline do not depend on the machine; `npm run bench -- --smoke` (and test/integration/bench-smoke.test.ts) asserts those.',
  );
  const checks = [...run.checks, ...extras.flatMap((e) => e.checks)];
  lines.push('', '### Goals', '', '| goal | figure | met |', '|---|---:|:---:|');
  for (const c of checks) lines.push(`| ${c.goal} | ${c.figure} | ${c.ok ? 'yes' : '**no**'} |`);
  return `${lines.join('\n')}\n`;
}
