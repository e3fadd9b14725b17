/**
 * Builds the GCP Cloud Functions source: the esbuild bundle of `functions/gcp/index.ts`
 * (ESM, Node 20) plus the package.json the Node.js buildpack reads, in `dist/gcp/`.
 * `infra/` zips that directory and uploads it (infra/source.tf).
 *
 * The bundle is split: `index.mjs` holds what every function loads at cold start, and
 * `chunks/` what each target loads with `import()` on its first event (its core, the SDKs
 * its configuration uses), so that a webhook instance does not load the worker's clients.
 * https://esbuild.github.io/api/#splitting
 *
 * `@google-cloud/functions-framework` stays outside the bundle and is a dependency of the
 * package instead: the runtime starts the framework from node_modules, and the targets the
 * entry point registers (`http(...)`, `cloudEvent(...)`) must land in that same copy's
 * registry, not in a second copy inside the bundle.
 * https://cloud.google.com/functions/docs/writing#directory-structure-nodejs
 *
 * Run: `npx tsx scripts/bundle-gcp.ts [outDir]`.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FRAMEWORK = '@google-cloud/functions-framework';

/**
 * CommonJS dependencies inside an ESM bundle still call `require`, `__dirname` and
 * `__filename`; this banner defines them for the module (the same one serverless.yml uses).
 */
export const ESM_BANNER = [
  "import { createRequire as __credrotCreateRequire } from 'node:module';",
  "import { fileURLToPath as __credrotFileURLToPath } from 'node:url';",
  "import { dirname as __credrotDirname } from 'node:path';",
  'const require = __credrotCreateRequire(import.meta.url);',
  'const __filename = __credrotFileURLToPath(import.meta.url);',
  'const __dirname = __credrotDirname(__filename);',
].join(' ');

export interface GcpBundle {
  /** Directory holding index.mjs, chunks/ and package.json. */
  dir: string;
  /** Names the bundle exports. */
  exports: string[];
  /** Packages the bundle imports at run time instead of containing them. */
  externals: string[];
  /** Size of index.mjs, in bytes. */
  bytes: number;
  /** Size of index.mjs and every chunk, in bytes. */
  totalBytes: number;
}

/** The esbuild options of the GCP bundle (bench/cold-start.ts builds with the same). */
export const GCP_BUILD_OPTIONS = {
  bundle: true,
  minify: true,
  format: 'esm',
  splitting: true,
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  external: [FRAMEWORK],
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  banner: { js: ESM_BANNER },
} satisfies BuildOptions;

/** Bundles functions/gcp/index.ts into `outDir` (default dist/gcp) and answers what it holds. */
export async function bundleGcp(outDir = join(ROOT, 'dist', 'gcp')): Promise<GcpBundle> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, 'index.mjs');
  const result = await build({
    ...GCP_BUILD_OPTIONS,
    entryPoints: [join(ROOT, 'functions', 'gcp', 'index.ts')],
    outdir: outDir,
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.values(result.metafile.outputs);
  const output = outputs.find((o) => o.entryPoint?.endsWith(join('functions', 'gcp', 'index.ts')));
  const externals = [
    ...new Set(
      outputs
        .flatMap((o) => o.imports)
        .filter((i) => i.external && !i.path.startsWith('node:'))
        .map((i) => i.path),
    ),
  ];
  const root = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const pkg = {
    name: 'credrot-gcp-functions',
    private: true,
    type: 'module',
    main: 'index.mjs',
    engines: { node: '>=20' },
    dependencies: { [FRAMEWORK]: root.dependencies[FRAMEWORK] },
  };
  await writeFile(join(outDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  return {
    dir: outDir,
    exports: output?.exports ?? [],
    externals,
    bytes: (await stat(outfile)).size,
    totalBytes: outputs.reduce((sum, o) => sum + o.bytes, 0),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const bundle = await bundleGcp(process.argv[2] ? resolve(process.argv[2]) : undefined);
  process.stdout.write(
    `wrote ${bundle.dir} (index.mjs ${(bundle.bytes / 1024).toFixed(0)} KiB; exports ${bundle.exports.join(', ')})\n`,
  );
}
