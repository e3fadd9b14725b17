/**
 * Cold start of every deployed function, built as it is deployed: split bundles
 * (serverless.yml's `custom.esbuild` for AWS, scripts/bundle-gcp.ts for GCP). For each:
 * the entry module's size; what Node loads at cold start (the entry and the chunks it
 * imports statically: issue 8's "bundle size", see bundle-graph.ts); what the package
 * ships (every chunk) and its zip; the median time (of 10, each in a fresh Node process)
 * to import the entry, and to import the entry and every chunk it can ever load (the most
 * module loading any first invocation can add); and the same entry imported unbundled
 * through tsx. Goals: loaded at cold start under 1.5 MB, zip under 1.5 MB, median import
 * under 150 ms.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { parse } from 'yaml';
import { GCP_BUILD_OPTIONS } from '../scripts/bundle-gcp.js';
import { type BundleGraph, bundleGraph, zipBytes } from './bundle-graph.js';
import type { Check } from './checks.js';
import type { ExtraSection } from './report.js';

const RUNS = 10;
const MAX_BUNDLE_BYTES = 1.5 * 1024 * 1024;
const MAX_IMPORT_MS = 150;
/** Packages a webhook that verifies, matches and enqueues must not load at cold start. */
export const NOT_AT_WEBHOOK_COLD_START = [
  '@gitbeaker/core',
  '@gitbeaker/rest',
  '@octokit/rest',
  '@octokit/core',
  'google-gax',
  '@grpc/grpc-js',
  '@google-cloud/secret-manager',
  '@google-cloud/pubsub',
  'libsodium-wrappers',
];

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

/**
 * Milliseconds to import `specifiers` (one after another) in a fresh process, measured
 * inside it.
 */
function importMs(specifiers: string[], nodeArgs: string[], cwd: string): number {
  const script =
    'const t = performance.now(); for (const s of JSON.parse(process.env.BENCH_IMPORT)) await import(s); process.stdout.write(String(performance.now() - t));';
  const res = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
    cwd,
    env: { ...process.env, BENCH_IMPORT: JSON.stringify(specifiers), NODE_ENV: 'production' },
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
 * so the sizes are those of what is deployed. With `splitting`, chunks are named as
 * scripts/esbuild-chunks.cjs names them in the package (`<function>.chunks/`).
 */
export function deployedBuildOptions(root: string): BuildOptions {
  const file = join(root, 'serverless.yml');
  const fallback: BuildOptions = {
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
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
  if (e['splitting'] === true && out.format === 'esm') out.splitting = true;
  if (typeof e['outputFileExtension'] === 'string')
    out.outExtension = { '.js': e['outputFileExtension'] };
  return out;
}

interface Built {
  entryFile: string;
  graph: BundleGraph;
  /** The zip's entry names are relative to this folder. */
  packageRoot: string;
}

/** Builds one function as it is deployed into `dir`; answers its entry file and graph. */
async function buildFunction(root: string, entry: string, dir: string): Promise<Built> {
  const gcp = entry.includes(join('functions', 'gcp'));
  const name = basename(entry, '.ts');
  const options: BuildOptions = gcp
    ? { ...GCP_BUILD_OPTIONS }
    : {
        ...deployedBuildOptions(root),
        bundle: true,
        platform: 'node',
        chunkNames: `${name}.chunks/[name]-[hash]`,
      };
  const outdir = join(dir, gcp ? 'gcp' : 'aws');
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    ...options,
    entryPoints: [entry],
    outdir,
    absWorkingDir: root,
    metafile: true,
    logLevel: 'silent',
  });
  const graph = bundleGraph(result.metafile, relative(root, entry), root);
  // The GCP runtime installs the Functions Framework (kept external) next to the bundle.
  if (gcp && !existsSync(join(outdir, 'node_modules')))
    symlinkSync(join(root, 'node_modules'), join(outdir, 'node_modules'));
  const ext = options.outExtension?.['.js'] ?? '.js';
  return { entryFile: join(outdir, `${name}${ext}`), graph, packageRoot: gcp ? outdir : dir };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

export async function benchColdStart(root = process.cwd()): Promise<ExtraSection> {
  const entries = functionEntries(resolve(root));
  const lines = [
    `Split bundles, built as deployed. "Loaded at cold start" is the entry module and the chunks it imports statically, what Node loads before the handler runs (issue 8's bundle size); "ships" is every file of the package, most of them chunks that an \`import()\` loads only when a configuration needs them (another cloud's SDK, a provider not configured). Median of ${RUNS} imports, each in a fresh \`node\` process, timed inside it: of the entry; of the entry and then every chunk it can ever load (the most module loading a first invocation can add); and of the same entry unbundled through \`node --import tsx\`.`,
    '',
    '| function | entry | loaded at cold start | ships (zip) | import (median) | import + every chunk (median) | unbundled via tsx (median) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  const checks: Check[] = [];
  const packages: string[] = [];
  if (entries.length === 0) {
    lines.push('| (no functions/aws/*.ts or functions/gcp/index.ts yet) | | | | | | |');
    checks.push({
      goal: 'cold start measured',
      figure: 'no functions found',
      ok: false,
      speedIndependent: false,
    });
    return { title: 'Cold start', lines, checks };
  }
  const dir = mkdtempSync(join(tmpdir(), 'credrot-bench-'));
  try {
    for (const entry of entries) {
      const name = entry.includes(`${join('functions', 'gcp')}`)
        ? 'gcp/index'
        : `aws/${basename(entry, '.ts')}`;
      let figures: string;
      try {
        const { entryFile, graph, packageRoot } = await buildFunction(resolve(root), entry, dir);
        const zip = zipBytes(graph.files, (f) => relative(packageRoot, f));
        const url = (f: string) => pathToFileURL(f).href;
        const lazy = graph.files.filter((f) => f !== entryFile).map(url);
        const bundled = median(
          Array.from({ length: RUNS }, () => importMs([url(entryFile)], [], root)),
        );
        const everything = median(
          Array.from({ length: RUNS }, () => importMs([url(entryFile), ...lazy], [], root)),
        );
        const unbundled = median(
          Array.from({ length: RUNS }, () => importMs([url(entry)], ['--import', 'tsx'], root)),
        );
        figures = `${kib(graph.entryBytes)} | ${kib(graph.coldBytes)} in ${graph.coldFiles.length} files | ${kib(graph.totalBytes)} in ${graph.files.length} files (≈ ${kib(zip)}) | ${bundled.toFixed(0)} ms | ${everything.toFixed(0)} ms | ${unbundled.toFixed(0)} ms`;
        const heavy = graph.coldPackages.filter(
          (p) => p.name.includes('/') || !p.name.startsWith('shared'),
        );
        packages.push(
          `- ${name}: at cold start ${heavy
            .slice(0, 4)
            .map((p) => `${p.name} ${kib(p.bytes)}`)
            .join(
              ', ',
            )}; on demand only: ${graph.lazyPackages.filter((p) => !p.startsWith('shared/') && !p.startsWith('functions/')).length} packages`,
        );
        checks.push(
          {
            goal: `${name}: loaded at cold start < 1.5 MB`,
            figure: mb(graph.coldBytes),
            ok: graph.coldBytes < MAX_BUNDLE_BYTES,
            speedIndependent: true,
          },
          {
            goal: `${name}: package zip < 1.5 MB`,
            figure: `≈ ${mb(zip)}`,
            ok: zip < MAX_BUNDLE_BYTES,
            speedIndependent: true,
          },
          {
            goal: `${name}: median import < ${MAX_IMPORT_MS} ms`,
            figure: `${bundled.toFixed(0)} ms`,
            ok: bundled < MAX_IMPORT_MS,
            speedIndependent: false,
          },
        );
        if (name.includes('webhook')) {
          const loaded = graph.coldPackages
            .map((p) => p.name)
            .filter((p) => NOT_AT_WEBHOOK_COLD_START.includes(p));
          checks.push({
            goal: `${name}: loads no gitbeaker, Octokit, google-gax or GCP client at cold start`,
            figure: loaded.length === 0 ? 'none loaded' : loaded.join(', '),
            ok: loaded.length === 0,
            speedIndependent: true,
          });
        }
      } catch (err) {
        figures = `failed: ${(err as Error).message.slice(0, 120)} | | | | | `;
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
  lines.push('', 'Largest packages each function loads at cold start:', '', ...packages);
  return { title: 'Cold start', lines, checks };
}
