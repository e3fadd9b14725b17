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
    `World: ${o.tokens} access tokens (${d.due} due before the horizon) across ${o.projects} projects and ${o.groups} groups, ${o.variables} CI/CD variables; ${o.latencyMs} ms latency per GitLab call; GitLab's ${o.rateLimitPerMinute} requests/minute per user with a time factor of ${o.timeFactor} (one emulated minute lasts ${(60 / o.timeFactor).toFixed(1)} s), so the allowed rate is ${((o.rateLimitPerMinute * o.timeFactor) / 60).toFixed(0)} requests/s. Seeded in-process in ${s(run.seedMs)}.`,
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
    "- The GitLab emulator runs in the bench process (seeded in-process), so credrot and the emulator share one event loop: rotation throughput is bound by that CPU (about 13 calls per credential through gitbeaker on both sides), not by the API budget; no request was refused or delayed by the rate limit beyond the limiter's own pacing.",
    '- Discovery needs two dependent rounds of calls (first pages, then the rest side by side), so its floor is about 2 round trips plus pages / concurrency x latency, above the rate-limit lower bound when, as here, the budget is far from spent.',
    '- Call counts, 429s and agreement with the baseline do not depend on the machine; `npm run bench -- --smoke` (and test/integration/bench-smoke.test.ts) asserts those.',
  );
  const checks = [...run.checks, ...extras.flatMap((e) => e.checks)];
  lines.push('', '### Goals', '', '| goal | figure | met |', '|---|---:|:---:|');
  for (const c of checks) lines.push(`| ${c.goal} | ${c.figure} | ${c.ok ? 'yes' : '**no**'} |`);
  return `${lines.join('\n')}\n`;
}
