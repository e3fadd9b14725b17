/**
 * esbuild plugins for serverless-esbuild (serverless.yml `custom.esbuild.plugins`).
 *
 * With `splitting: true` every function's bundle is an entry module plus chunks it loads
 * with `import()` on demand. serverless-esbuild builds each function on its own but into
 * one folder (functions/aws/), and zips for a function every file there except the other
 * functions' entry files and the files named after them (`<entry>.*`). Putting each
 * function's chunks under `<entry>.chunks/` therefore ships each function with its own
 * chunks only, never with another function's.
 * https://esbuild.github.io/api/#chunk-names
 * https://esbuild.github.io/plugins/#build-options
 */
const { basename, extname } = require('node:path');

/** @type {import('esbuild').Plugin} */
const chunksPerFunction = {
  name: 'credrot-chunks-per-function',
  setup(build) {
    const entries = build.initialOptions.entryPoints;
    const first = Array.isArray(entries) ? entries[0] : undefined;
    const entry = typeof first === 'string' ? first : first?.in;
    if (!entry || !build.initialOptions.splitting) return;
    const name = basename(entry, extname(entry));
    build.initialOptions.chunkNames = `${name}.chunks/[name]-[hash]`;
  },
};

module.exports = [chunksPerFunction];
