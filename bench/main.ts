/**
 * `npm run bench`: fleet-scale figures, side by side in one run (issue 8). Options:
 *   --smoke              small world; asserts only the call-count bounds (exit 1 if broken)
 *   --out <file>         also write the Markdown report there (e.g. bench/RESULTS.md)
 *   --tokens --projects --groups --variables --rotations --latency --time-factor
 *   --concurrency --rotation-concurrency --discovery-repeats --tight-rate-limit
 *                        override the defaults (bench/run.ts)
 *   --skip-cold-start --skip-webhook       leave those parts out
 *   --emulator worker|in-process           where the GitLab emulator runs (default worker)
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { benchColdStart } from './cold-start.js';
import { type ExtraSection, renderMarkdown } from './report.js';
import { type BenchOptions, DEFAULTS, runBench, SMOKE } from './run.js';
import { benchWebhook } from './webhook.js';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    tokens: { type: 'string' },
    projects: { type: 'string' },
    groups: { type: 'string' },
    variables: { type: 'string' },
    rotations: { type: 'string' },
    latency: { type: 'string' },
    'time-factor': { type: 'string' },
    concurrency: { type: 'string' },
    'discovery-repeats': { type: 'string' },
    'tight-rate-limit': { type: 'string' },
    'rotation-concurrency': { type: 'string' },
    'skip-cold-start': { type: 'boolean', default: false },
    'skip-webhook': { type: 'boolean', default: false },
    emulator: { type: 'string' },
  },
});

const base = values.smoke ? SMOKE : DEFAULTS;
function num(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) {
    process.stderr.write(
      `bench: "${raw}" is not a number; give every size, rate and count as a non-negative number (see bench/main.ts)\n`,
    );
    process.exit(2);
  }
  return n;
}
const options: BenchOptions = {
  ...base,
  tokens: num(values.tokens, base.tokens),
  projects: num(values.projects, base.projects),
  groups: num(values.groups, base.groups),
  variables: num(values.variables, base.variables),
  rotations: num(values.rotations, base.rotations),
  latencyMs: num(values.latency, base.latencyMs),
  timeFactor: num(values['time-factor'], base.timeFactor),
  concurrency: num(values.concurrency, base.concurrency),
  discoveryRepeats: num(values['discovery-repeats'], base.discoveryRepeats),
  tightRateLimitPerMinute: num(values['tight-rate-limit'], base.tightRateLimitPerMinute),
  rotationConcurrency: num(values['rotation-concurrency'], base.rotationConcurrency),
  emulator: values.emulator === 'in-process' ? 'in-process' : 'worker',
};

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const run = await runBench(options, log);
const extras: ExtraSection[] = [];
if (!values.smoke && !values['skip-cold-start']) {
  log('cold start: bundling and importing every function ...');
  extras.push(await benchColdStart());
}
if (!values.smoke && !values['skip-webhook']) {
  log('webhook acknowledgement: autocannon, 300 req/s for 10 s ...');
  extras.push(await benchWebhook());
}
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const markdown = renderMarkdown(run, command, extras);
process.stdout.write(markdown);
if (values.out) await writeFile(values.out, markdown);

const checks = [...run.checks, ...extras.flatMap((e) => e.checks)];
const failed = values.smoke
  ? checks.filter((c) => c.speedIndependent && !c.ok)
  : checks.filter((c) => !c.ok);
for (const c of failed) log(`goal missed: ${c.goal}: ${c.figure}`);
// A full run reports missed speed goals without failing; the smoke fails on broken bounds.
process.exitCode = values.smoke && failed.length > 0 ? 1 : 0;
