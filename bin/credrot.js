#!/usr/bin/env node
// The package's `bin`: runs the TypeScript CLI through tsx, so `npx credrot` works from a clone.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
