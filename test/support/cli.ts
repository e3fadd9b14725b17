/** Runs the credrot CLI in-process and captures everything it prints. */
import { run } from '../../cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function credrot(
  argv: string[],
  env: Record<string, string>,
  now: () => Date = () => new Date(),
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env,
    cwd: process.cwd(),
    now,
  });
  return { code, stdout, stderr };
}
