/**
 * Runs Debian's real `docker-registry` (CNCF Distribution 2.8) on loopback with token
 * authentication whose realm is the sandbox's `/jwt/auth`.
 *
 * Configuration reference: https://distribution.github.io/distribution/about/configuration/
 * (`auth.token`: realm, service, issuer, rootcertbundle).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CredrotError } from '../../shared/errors.js';
import { sleep } from '../faults.js';
import type { RegistryAuthority } from './authority.js';

export const DEFAULT_REGISTRY_BINARY = '/usr/bin/docker-registry';
const INSTALL_HINT = 'apt-get install -y docker-registry';
/** util-linux's setpriv makes the kernel kill the registry if this process dies first. */
const SETPRIV = '/usr/bin/setpriv';
const LOG_TAIL_BYTES = 16 * 1024;

/** The registry binary is not installed (or not executable). */
export class RegistryUnavailableError extends CredrotError {
  constructor(binary: string, options: { cause?: unknown } = {}) {
    super(
      `the container registry binary ${binary} is missing or not executable; install it with \`${INSTALL_HINT}\``,
      { ...options, context: { binary } },
    );
    this.name = 'RegistryUnavailableError';
  }
}

/** The registry started but never answered, or exited; the message ends with its log tail. */
export class RegistryStartError extends CredrotError {
  constructor(message: string, logTail: string, options: { cause?: unknown } = {}) {
    super(`${message}\n--- docker-registry log (tail) ---\n${logTail}`, options);
    this.name = 'RegistryStartError';
  }
}

export interface StartRegistryOptions {
  /** Full URL of the token endpoint, e.g. `http://127.0.0.1:5555/jwt/auth`. */
  realm: string;
  authority: RegistryAuthority;
  /** Default: a free port picked just before start. */
  port?: number;
  /** Filesystem storage root; kept on stop. Default: a temporary directory removed on stop. */
  dataDir?: string;
  /** Default `/usr/bin/docker-registry`. */
  binary?: string;
  /** How long to wait for `/v2/` to answer 401, in ms (default 5000). */
  readyTimeoutMs?: number;
}

export interface RunningRegistry {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, the registry host as image references spell it. */
  host: string;
  pid: number;
  /** Milliseconds from spawn to the first 401 on `/v2/`. */
  startMs: number;
  /** The last 16 KiB of the registry's combined output. */
  logs(): string;
  /** SIGTERM, then SIGKILL after 2 s; removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every registry still running when this process exits, so none is orphaned. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

class LogTail {
  private text = '';
  append(chunk: Buffer): void {
    this.text += chunk.toString('utf8');
    if (this.text.length > LOG_TAIL_BYTES) this.text = this.text.slice(-LOG_TAIL_BYTES);
  }
  toString(): string {
    return this.text;
  }
}

function registryConfig(opts: StartRegistryOptions, port: number, storage: string, bundle: string) {
  return {
    version: 0.1,
    log: { level: 'warn', formatter: 'text', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: storage },
      // The background purge would only add noise to a short-lived registry.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${port}`,
      // Without a secret the registry warns and makes a random one; say it ourselves.
      secret: randomBytes(16).toString('hex'),
    },
    auth: {
      token: {
        realm: opts.realm,
        service: opts.authority.service,
        issuer: opts.authority.issuer,
        rootcertbundle: bundle,
      },
    },
  };
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts the registry and resolves once `/v2/` answers its 401 Bearer challenge. */
export async function startRegistry(opts: StartRegistryOptions): Promise<RunningRegistry> {
  const binary = opts.binary ?? DEFAULT_REGISTRY_BINARY;
  try {
    await access(binary, constants.X_OK);
  } catch (cause) {
    throw new RegistryUnavailableError(binary, { cause });
  }

  const workDir = await mkdtemp(join(tmpdir(), 'credrot-registry-'));
  const storage = opts.dataDir ?? join(workDir, 'data');
  await mkdir(storage, { recursive: true });
  const bundle = join(workDir, 'token-signer.pem');
  const configFile = join(workDir, 'config.yml');
  const port = opts.port ?? (await freePort());
  await writeFile(bundle, opts.authority.certificatePem);
  await writeFile(configFile, stringify(registryConfig(opts, port, storage, bundle)));

  const [command, args] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'KILL', binary, 'serve', configFile]]
    : [binary, ['serve', configFile]];
  const startedAt = Date.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = new LogTail();
  child.stdout?.on('data', (c: Buffer) => tail.append(c));
  child.stderr?.on('data', (c: Buffer) => tail.append(c));
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });
  installExitHook();
  live.add(child);
  child.once('exit', () => live.delete(child));

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (!(await waitForExit(child, 0))) {
        child.kill('SIGTERM');
        if (!(await waitForExit(child, 2_000))) {
          child.kill('SIGKILL');
          await waitForExit(child, 2_000);
        }
      }
      live.delete(child);
      await rm(workDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = startedAt + (opts.readyTimeoutMs ?? 5_000);
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      await stop();
      if ((spawnError as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
        throw new RegistryUnavailableError(binary, { cause: spawnError });
      }
      throw new RegistryStartError(
        `docker-registry exited during start-up (code ${child.exitCode ?? child.signalCode})`,
        tail.toString(),
        { cause: spawnError },
      );
    }
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(500) });
      await res.arrayBuffer();
      if (res.status === 401) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new RegistryStartError(
        `docker-registry did not answer 401 on ${url}/v2/ within ${opts.readyTimeoutMs ?? 5_000} ms`,
        tail.toString(),
      );
    }
    await sleep(15);
  }

  return {
    url,
    host: `127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    startMs: Date.now() - startedAt,
    logs: () => tail.toString(),
    stop,
  };
}
