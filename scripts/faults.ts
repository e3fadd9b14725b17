/**
 * `npm run test:faults [-- --seed N --size S --only ID]`: the fault run of
 * vitest.faults.config.ts with its scale given as options. `--size` samples more calls per
 * rotation step (4 runs every call of every step); `--only` runs the matrix scenarios
 * whose id contains ID, which is what a failing scenario's replay command uses.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    size: { type: 'string' },
    only: { type: 'string' },
  },
  strict: true,
});

const env = { ...process.env };
if (values.seed !== undefined) env['FAULTS_SEED'] = values.seed;
if (values.size !== undefined) env['FAULTS_SIZE'] = values.size;
if (values.only !== undefined) env['FAULTS_ONLY'] = values.only;
// A replay needs only the matrix files (the scenario ids live there).
const files = values.only !== undefined ? ['test/faults/matrix', 'test/faults/sigkill'] : [];

const result = spawnSync('npx', ['vitest', 'run', '-c', 'vitest.faults.config.ts', ...files], {
  env,
  stdio: 'inherit',
});
process.exitCode = result.status ?? 1;
