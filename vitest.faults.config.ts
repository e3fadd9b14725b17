/**
 * `npm run test:faults` (scripts/faults.ts): the fault matrix, concurrency, hostile
 * webhooks, secret hygiene and webhook availability (test/faults/*.faults.ts), which the
 * default `vitest run` does not collect. Ends with the summary block of
 * test/faults/summary-reporter.ts. Scale with FAULTS_SEED, FAULTS_SIZE, FAULTS_ONLY.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { scaleFromEnv } from './test/faults/scale.js';

// Fixed here, in the main process, so every worker and the reporter agree.
process.env['FAULTS_OUT'] ??= mkdtempSync(join(tmpdir(), 'credrot-faults-'));
process.env['FAULTS_SEED'] ??= String(scaleFromEnv().seed);

export default defineConfig({
  test: {
    include: ['test/faults/**/*.faults.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', './test/faults/summary-reporter.ts'],
  },
});
