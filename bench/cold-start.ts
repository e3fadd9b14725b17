/**
 * Cold start of every deployed function: the esbuild bundle's size, and the median time
 * (of 10, each in a fresh Node process) to import it, against the same entry point
 * imported unbundled through tsx (every module loaded and transpiled from the tree and
 * node_modules). Goals: every bundle under 1.5 MB, every bundled median under 150 ms.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { parse } from 'yaml';
import type { Check } from './checks.js';
import type { ExtraSection } from './report.js';

const RUNS = 10;
const MAX_BUNDLE_BYTES = 1.5 * 1024 * 1024;
const MAX_IMPORT_MS = 150;

/** The entry points: `functions/aws/*.ts` and `functions/gcp/index.ts`. */
export function functionEntries(root: string): string[] {
  const aws = join(root, 'functions', 'aws');
  const out = existsSync(aws)
    ? readdirSync(aws)
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
        .map((f) => join(aws, f))
    : [];
  const gcp = join(root, 'functions', 'gcp', 'index.ts');
  if (existsSync(gcp)) out.push(gcp);
  return out;
}

/** Milliseconds to import `specifier` in a fresh process, measured inside it. */
function importMs(specifier: string, nodeArgs: string[], cwd: string): number {
  const script =
    'const t = performance.now(); await import(process.env.BENCH_IMPORT); process.stdout.write(String(performance.now() - t));';
  const res = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
    cwd,
    env: { ...process.env, BENCH_IMPORT: specifier, NODE_ENV: 'production' },
    encoding: 'utf8',
  });
  if (res.status !== 0) {
    // Minified bundles print whole source lines: keep only the error's own line.
    const line = res.stderr.split('\n').find((l) => /^\w*Error\b/.test(l.trim()));
    throw new Error((line ?? 'import failed').slice(0, 200));
  }
  return Number(res.stdout);
}

/**
 * The bundling the deployment uses: serverless.yml's `custom.esbuild` (serverless-esbuild),
 * so the sizes are those of what is deployed.
 */
export function deployedBuildOptions(root: string): BuildOptions {
  const file = join(root, 'serverless.yml');
  const fallback: BuildOptions = {
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
  };
  if (!existsSync(file)) return fallback;
  const doc = parse(readFileSync(file, 'utf8'), { logLevel: 'silent' }) as {
    custom?: { esbuild?: Record<string, unknown> };
  };
  const e = doc.custom?.esbuild ?? {};
  const out: BuildOptions = { ...fallback };
  if (typeof e['minify'] === 'boolean') out.minify = e['minify'];
  if (e['format'] === 'esm' || e['format'] === 'cjs') out.format = e['format'];
  if (typeof e['target'] === 'string') out.target = e['target'];
  if (Array.isArray(e['mainFields'])) out.mainFields = e['mainFields'].map(String);
  if (Array.isArray(e['external'])) out.external = e['external'].map(String);
  const banner = (e['banner'] as { js?: unknown } | undefined)?.js;
  if (typeof banner === 'string') out.banner = { js: banner };
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function benchColdStart(root = process.cwd()): Promise<ExtraSection> {
  const entries = functionEntries(resolve(root));
  const lines = [
    `Median of ${RUNS} imports, each in a fresh \`node\` process, timed inside it; unbundled = the same entry point through \`node --import tsx\`.`,
    '',
    '| function | bundle size | import, bundled (median) | import, unbundled via tsx (median) |',
    '|---|---:|---:|---:|',
  ];
  const checks: Check[] = [];
  if (entries.length === 0) {
    lines.push('| (no functions/aws/*.ts or functions/gcp/index.ts yet) | | | |');
    checks.push({
      goal: 'cold start measured',
      figure: 'no functions found',
      ok: false,
      speedIndependent: false,
    });
    return { title: 'Cold start', lines, checks };
  }
  const buildOptions = deployedBuildOptions(resolve(root));
  const dir = mkdtempSync(join(tmpdir(), 'credrot-bench-'));
  try {
    for (const entry of entries) {
      const name = entry.includes(`${join('functions', 'gcp')}`)
        ? 'gcp/index'
        : `aws/${basename(entry, '.ts')}`;
      const outfile = join(dir, `${name.replace('/', '-')}.mjs`);
      let figures: string;
      try {
        await build({
          ...buildOptions,
          entryPoints: [entry],
          outfile,
          bundle: true,
          platform: 'node',
          logLevel: 'silent',
        });
        const bytes = statSync(outfile).size;
        const bundled = median(
          Array.from({ length: RUNS }, () => importMs(pathToFileURL(outfile).href, [], root)),
        );
        const unbundled = median(
          Array.from({ length: RUNS }, () =>
            importMs(pathToFileURL(entry).href, ['--import', 'tsx'], root),
          ),
        );
        figures = `${(bytes / 1024).toFixed(0)} KiB | ${bundled.toFixed(0)} ms | ${unbundled.toFixed(0)} ms`;
        checks.push(
          {
            goal: `${name}: bundle < 1.5 MB`,
            figure: `${(bytes / 1024 / 1024).toFixed(2)} MB`,
            ok: bytes < MAX_BUNDLE_BYTES,
            speedIndependent: true,
          },
          {
            goal: `${name}: median import < ${MAX_IMPORT_MS} ms`,
            figure: `${bundled.toFixed(0)} ms`,
            ok: bundled < MAX_IMPORT_MS,
            speedIndependent: false,
          },
        );
      } catch (err) {
        figures = `failed: ${(err as Error).message.slice(0, 120)} | | `;
        checks.push({
          goal: `${name}: bundles and imports`,
          figure: 'failed',
          ok: false,
          speedIndependent: true,
        });
      }
      lines.push(`| ${name} | ${figures} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { title: 'Cold start', lines, checks };
}
