/**
 * The exports of a CommonJS package loaded with `import()`. Node gives a CommonJS module's
 * named exports and `default` (its `module.exports`); in an esbuild bundle with splitting,
 * the chunk of a CommonJS package has a default export only. Both put `module.exports`
 * under `default`, so it is read from there when present.
 * https://esbuild.github.io/api/#splitting
 * https://nodejs.org/docs/latest-v20.x/api/esm.html#commonjs-namespaces
 */
export function cjsExports<T extends object>(mod: T): T {
  const d = (mod as { default?: unknown }).default;
  return (d !== null && (typeof d === 'object' || typeof d === 'function') ? d : mod) as T;
}
