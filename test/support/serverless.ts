/**
 * Runs the Serverless Framework (osls, installed as `serverless`) on a private copy of the
 * service: serverless.yml is copied and everything else is linked, so the build folders
 * (.esbuild, .serverless) of one test file never collide with another's or with a
 * developer's, and the working tree stays clean.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js');
/** What each run makes and must not share. */
const PRIVATE = new Set(['serverless.yml', '.serverless', '.esbuild', '.git', 'dist']);

export interface StagedService {
  dir: string;
  remove(): Promise<void>;
}

/** A temporary service directory equivalent to the repository's. */
export async function stageService(): Promise<StagedService> {
  const dir = await mkdtemp(join(tmpdir(), 'credrot-sls-'));
  for (const entry of await readdir(ROOT)) {
    if (PRIVATE.has(entry)) continue;
    await symlink(join(ROOT, entry), join(dir, entry));
  }
  await copyFile(join(ROOT, 'serverless.yml'), join(dir, 'serverless.yml'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The environment of a run: the caller's minus every AWS_* variable (so no credentials or
 * profile of the machine can be used), plus `extra`.
 */
export function serverlessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_')) env[key] = value;
  }
  return { ...env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', ...extra };
}

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs `serverless <args>` in `dir` to completion; kills it after `timeoutMs`. */
export function runServerless(
  dir: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`serverless ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${output}`),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

/** Starts `serverless <args>` in `dir` in its own process group and leaves it running. */
export function startServerless(dir: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: dir, env, detached: true });
}

/** Kills a process started by startServerless and everything it started (worker threads, esbuild). */
export async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 3_000);
  await exited;
  clearTimeout(timer);
}

/** A TCP port free on 127.0.0.1 at the time of the call. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
