/**
 * What a split bundle costs, read from esbuild's metafile. With `splitting`, a function is
 * an entry module plus chunks: the chunks the entry imports statically are loaded at cold
 * start, before the handler runs; the others load the first time an `import()` reaches
 * them, and many never do (another cloud's client, a provider the configuration does not
 * use). So two sizes are reported, and "bundle size" in issue 8's goal means the first:
 *
 * - loaded at cold start: the entry and every chunk reachable from it by static imports;
 * - ships: every file of the function's package (all its chunks), and its zip.
 *
 * https://esbuild.github.io/api/#metafile
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import type { Metafile } from 'esbuild';

export interface BundleGraph {
  /** The entry module's bytes. */
  entryBytes: number;
  /** Entry plus statically imported chunks: what Node loads before the handler runs. */
  coldBytes: number;
  coldFiles: string[];
  /** Every output file (entry and all chunks): what the package ships. */
  totalBytes: number;
  files: string[];
  /** npm packages with code in the cold-start files, by bytes in them, largest first. */
  coldPackages: Array<{ name: string; bytes: number }>;
  /** npm packages with code only in chunks loaded on demand. */
  lazyPackages: string[];
}

/** The npm package an esbuild input path belongs to, or the repository folder. */
export function packageOf(input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (m) return m[1]!;
  return input.split('/').slice(0, 2).join('/');
}

/**
 * Reads a build's metafile. `entry` is the entry point as given to esbuild (relative to
 * the working directory); `cwd` resolves the output paths the metafile names.
 */
export function bundleGraph(metafile: Metafile, entry: string, cwd = process.cwd()): BundleGraph {
  const outputs = metafile.outputs;
  const wanted = relative(cwd, resolve(cwd, entry));
  const entryOut = Object.keys(outputs).find(
    (k) => outputs[k]!.entryPoint !== undefined && outputs[k]!.entryPoint === wanted,
  );
  if (!entryOut) throw new Error(`no output for entry ${entry} in the metafile`);
  const cold = new Set<string>();
  const stack = [entryOut];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (cold.has(file)) continue;
    cold.add(file);
    for (const i of outputs[file]!.imports) {
      if (i.kind === 'import-statement' && !i.external && outputs[i.path]) stack.push(i.path);
    }
  }
  const files = Object.keys(outputs).filter((k) => !k.endsWith('.map'));
  const bytesOf = (list: Iterable<string>) =>
    [...list].reduce((sum, k) => sum + outputs[k]!.bytes, 0);
  const byPackage = (list: Iterable<string>) => {
    const out = new Map<string, number>();
    for (const k of list)
      for (const [input, v] of Object.entries(outputs[k]!.inputs)) {
        if (v.bytesInOutput === 0) continue;
        const name = packageOf(input);
        out.set(name, (out.get(name) ?? 0) + v.bytesInOutput);
      }
    return out;
  };
  const coldPackages = byPackage(cold);
  const allPackages = byPackage(files);
  return {
    entryBytes: outputs[entryOut]!.bytes,
    coldBytes: bytesOf(cold),
    coldFiles: [...cold].map((k) => resolve(cwd, k)),
    totalBytes: bytesOf(files),
    files: files.map((k) => resolve(cwd, k)),
    coldPackages: [...coldPackages]
      .map(([name, bytes]) => ({ name, bytes }))
      .sort((a, b) => b.bytes - a.bytes),
    lazyPackages: [...allPackages.keys()].filter((n) => !coldPackages.has(n)).sort(),
  };
}

/**
 * The size of a zip holding `files`, as serverless-esbuild writes it (archiver; its
 * compressed data matches zlib's deflate at level 1 byte for byte, measured): the data
 * plus each entry's local header, data descriptor and central header (30, 16 and 46
 * bytes plus the name twice) and the end record (22 bytes). An estimate within a few
 * hundred bytes; test/e2e/serverless-package.test.ts asserts the real zips.
 */
export function zipBytes(files: string[], nameOf: (file: string) => string): number {
  let total = 22;
  for (const file of files) {
    const name = Buffer.byteLength(nameOf(file));
    total += deflateRawSync(readFileSync(file), { level: 1 }).length + 30 + 16 + 46 + 2 * name;
  }
  return total;
}
