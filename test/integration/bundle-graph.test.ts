/**
 * What each deployed function loads at cold start, from esbuild's metafile of the bundle
 * built as serverless.yml builds it (split, ESM): the webhooks verify, match and enqueue
 * without loading gitbeaker, Octokit, google-gax or a GCP client, and every provider SDK
 * is a chunk loaded on demand, not part of any function's cold start (issue 8).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundleGraph, bundleGraph } from '../../bench/bundle-graph.js';
import { deployedBuildOptions, NOT_AT_WEBHOOK_COLD_START } from '../../bench/cold-start.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FUNCTIONS = ['gitlab-webhook', 'github-webhook', 'rotation-worker', 'scheduled-scan'];
const graphs = new Map<string, BundleGraph>();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'credrot-graph-'));
  const options = deployedBuildOptions(ROOT);
  for (const fn of FUNCTIONS) {
    const entry = join(ROOT, 'functions', 'aws', `${fn}.ts`);
    const result = await build({
      ...options,
      bundle: true,
      platform: 'node',
      entryPoints: [entry],
      outdir: join(dir, fn),
      chunkNames: `${basename(entry, '.ts')}.chunks/[name]-[hash]`,
      absWorkingDir: ROOT,
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    graphs.set(fn, bundleGraph(result.metafile, relative(ROOT, entry), ROOT));
  }
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const coldNames = (fn: string) => graphs.get(fn)!.coldPackages.map((p) => p.name);

describe('the deployed bundles (split ESM, as serverless.yml builds them)', () => {
  it('are split: each function ships chunks beyond its entry', () => {
    for (const fn of FUNCTIONS) {
      const g = graphs.get(fn)!;
      expect(g.files.length, fn).toBeGreaterThan(g.coldFiles.length);
      expect(g.coldBytes, fn).toBeLessThan(g.totalBytes);
    }
  });

  it('let the webhooks start without gitbeaker, Octokit, google-gax or a GCP client', () => {
    for (const fn of ['gitlab-webhook', 'github-webhook']) {
      const loaded = coldNames(fn).filter((p) => NOT_AT_WEBHOOK_COLD_START.includes(p));
      expect(loaded, fn).toEqual([]);
      // ...which the package still ships, for the paths that need them.
      expect(graphs.get(fn)!.lazyPackages, fn).toEqual(
        expect.arrayContaining(['@gitbeaker/core', 'google-gax']),
      );
    }
  });

  it('load no provider SDK at any function cold start: each is loaded where it is used', () => {
    const sdks = [
      '@gitbeaker/rest',
      '@octokit/rest',
      'google-gax',
      '@google-cloud/pubsub',
      '@google-cloud/secret-manager',
      '@aws-sdk/client-sqs',
      '@aws-sdk/client-ecr',
      '@aws-sdk/client-secrets-manager',
    ];
    for (const fn of FUNCTIONS) {
      expect(
        coldNames(fn).filter((p) => sdks.includes(p)),
        fn,
      ).toEqual([]);
    }
  });

  it('load under 1.5 MB at cold start', () => {
    for (const fn of FUNCTIONS)
      expect(graphs.get(fn)!.coldBytes, fn).toBeLessThan(1.5 * 1024 * 1024);
  });
});
