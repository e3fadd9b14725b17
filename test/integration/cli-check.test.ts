import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certificatesPem,
  privateKeyPem,
  selfSignedCa,
  serverCertificate,
} from '../../scripts/lib/test-pki.js';

const REPO = resolve(import.meta.dirname, '../..');
const CONFIG = 'examples/credrot.config.yaml';
const DAY = 86_400_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function credrot(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['bin/credrot.js', ...args], {
      cwd: REPO,
      env: { ...process.env, CREDROT_CONFIG: '', CREDROT_DEBUG: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

const examples = new Map<string, Promise<Run>>();

/** `check` on the committed examples at their anchor; each format runs once per file. */
function checkExamples(format: 'table' | 'json' | 'prometheus'): Promise<Run> {
  let run = examples.get(format);
  if (!run) {
    run = credrot(['check', '--config', CONFIG, '--now', anchor, '--format', format]);
    examples.set(format, run);
  }
  return run;
}

let generatedAt: Date;
let anchor: string;
const iso = (offsetMs: number) => new Date(generatedAt.getTime() + offsetMs).toISOString();
let scratch: string;

beforeAll(async () => {
  const manifest = JSON.parse(await readFile(join(REPO, 'examples/manifest.json'), 'utf8')) as {
    generatedAt: string;
  };
  generatedAt = new Date(manifest.generatedAt);
  anchor = manifest.generatedAt;
  scratch = await mkdtemp(join(tmpdir(), 'credrot-check-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Writes a configuration into the scratch directory; watcher paths relative to the repo. */
async function writeConfig(name: string, watchers: string): Promise<string> {
  const file = join(scratch, name);
  await writeFile(file, `version: 1\nwatchers:\n${watchers}`);
  return file;
}

const watcher = (name: string, kind: string, path: string) =>
  `  - name: ${name}\n    kind: ${kind}\n    path: ${join(REPO, path)}\n`;

describe.concurrent('credrot check on the offline examples', () => {
  it('prints every credential sorted by urgency and exits 2 because one has expired', async () => {
    const run = await checkExamples('table');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(2);
    const rows = run.stdout
      .split('\n')
      .slice(1, 11)
      .map((row) => row.split(/\s{2,}/).slice(0, 2));
    expect(rows).toEqual([
      ['EXPIRED', 'expired-cert'],
      ['NOT-YET-VALID', 'future-cert'],
      ['CRITICAL', 'registry-auth'],
      ['CRITICAL', 'webhook-tls'],
      ['UNKNOWN', 'registry-auth'],
      ['WARNING', 'ca-bundle'],
      ['OK', 'ci-deployer-token'],
      ['OK', 'admission-webhook'],
      ['OK', 'cluster-ca'],
      ['OK', 'root-ca'],
    ]);
    const expiredRow = run.stdout.split('\n')[1]!;
    expect(expiredRow).toContain('examples/pki/expired.pem');
    expect(expiredRow).toContain(`${iso(-DAY).replace('.000Z', 'Z')}  1d ago`);
    expect(run.stdout).toContain('x509: certificate has expired or is not yet valid: current time');
    expect(run.stdout).toMatch(
      /ca-bundle: CN=credrot example legacy CA.*certificate 2 of 3 is the most urgent/,
    );
    expect(run.stdout).toMatch(
      /ci-deployer-token: system:serviceaccount:ci:deployer .*signature not verified/,
    );
  });

  it('exits 1 for a warning, 0 once the threshold is narrowed, and 2 when --now moves into the critical window', async () => {
    const config = await writeConfig(
      'bundle.yaml',
      watcher('ca-bundle', 'certificate', 'examples/pki/bundle.pem'),
    );
    const [warning, ok, critical] = await Promise.all([
      credrot(['check', '--config', config, '--now', anchor]),
      credrot(['check', '--config', config, '--now', anchor, '--warn', '10d', '--critical', '2d']),
      credrot(['check', '--config', config, '--now', iso(15 * DAY)]),
    ]);
    expect([warning.code, ok.code, critical.code]).toEqual([1, 0, 2]);
    expect(warning.stdout).toMatch(/^WARNING\s+ca-bundle/m);
    expect(ok.stdout).toMatch(/^OK\s+ca-bundle/m);
    expect(critical.stdout).toMatch(/^CRITICAL\s+ca-bundle.*in 5d/m);
  });

  it('reads its configuration from CREDROT_CONFIG when --config is absent', async () => {
    const config = await writeConfig(
      'env.yaml',
      watcher('root-ca', 'certificate', 'examples/pki/ca.pem'),
    );
    const run = await credrot(['check', '--now', anchor], { CREDROT_CONFIG: config });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^OK\s+root-ca/m);
  });

  it('emits JSON that parses, with the exit code and every finding', async () => {
    const run = await checkExamples('json');
    expect(run.code).toBe(2);
    const body = JSON.parse(run.stdout) as {
      exitCode: number;
      summary: Record<string, number>;
      findings: Array<Record<string, unknown>>;
    };
    expect(body.exitCode).toBe(2);
    expect(body.findings).toHaveLength(10);
    expect(body.summary).toEqual({
      ok: 4,
      warning: 1,
      critical: 2,
      expired: 1,
      'not-yet-valid': 1,
      unknown: 1,
    });
    expect(body.findings[0]).toMatchObject({
      name: 'expired-cert',
      status: 'expired',
      due: true,
      reason: 'Expired',
      notAfter: iso(-DAY),
    });
  });

  it('emits Prometheus metrics with absolute expiry timestamps and a status gauge', async () => {
    const run = await checkExamples('prometheus');
    expect(run.code).toBe(2);
    const expiredAt = (generatedAt.getTime() - DAY) / 1000;
    expect(run.stdout).toContain(
      `credrot_credential_expiry_timestamp_seconds{kind="certificate",name="expired-cert",location="examples/pki/expired.pem"} ${expiredAt}`,
    );
    expect(run.stdout).toContain(
      'credrot_credential_status{kind="certificate",name="expired-cert",location="examples/pki/expired.pem",status="expired"} 1',
    );
    expect(run.stdout).toContain('# TYPE credrot_credential_status gauge');
  });

  it('reports a malformed file by name and still evaluates the rest', async () => {
    const broken = join(scratch, 'broken.pem');
    await writeFile(
      broken,
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    );
    const config = await writeConfig(
      'broken.yaml',
      `  - name: broken\n    kind: certificate\n    path: ${broken}\n${watcher('root-ca', 'certificate', 'examples/pki/ca.pem')}${watcher('ci-deployer-token', 'jwt', 'examples/serviceaccount.jwt')}`,
    );
    const run = await credrot(['check', '--config', config, '--now', anchor]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^UNKNOWN\s+broken/m);
    expect(run.stdout).toContain(
      `broken: error: ${broken}: certificate is not a valid X.509 certificate`,
    );
    expect(run.stdout).toMatch(/^OK\s+ci-deployer-token/m);
    expect(run.stdout).toMatch(/^OK\s+root-ca/m);
  });

  it('rejects an unknown flag with one line on stderr and exit code 2', async () => {
    const run = await credrot(['check', '--bogus']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("credrot: Unknown option '--bogus' (see 'credrot check --help')\n");
  });

  it('rejects an unknown command and a bad --now the same way', async () => {
    const [command, now] = await Promise.all([
      credrot(['frobnicate']),
      credrot(['check', '--now', 'yesterday']),
    ]);
    expect([command.code, now.code]).toEqual([2, 2]);
    expect(command.stderr).toMatch(
      /^credrot: unknown command 'frobnicate' \(commands: check[a-z, ]*; see 'credrot --help'\)\n$/,
    );
    expect(now.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('reports a configuration error with one line per problem and exit code 2', async () => {
    const config = join(scratch, 'invalid.yaml');
    await writeFile(
      config,
      'version: 1\nwatchers:\n  - name: Bad Name\n    kind: certificate\n    path: x.pem\n',
    );
    const run = await credrot(['check', '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^credrot: invalid configuration in .*invalid\.yaml\n {2}- watchers\[0\]\.name: /,
    );
    expect(run.stderr).not.toContain('    at ');
  });

  it('documents the exit codes in --help', async () => {
    const run = await credrot(['check', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Exit codes:\n {2}0 {2}every credential is ok\n {2}1 .*\n {2}2 /);
  });

  it('never prints a secret value: not the Docker passwords, not the JWTs', async () => {
    const docker = JSON.parse(
      await readFile(join(REPO, 'examples/docker/config.json'), 'utf8'),
    ) as {
      auths: Record<string, { auth: string }>;
    };
    const secrets: string[] = [];
    for (const { auth } of Object.values(docker.auths)) {
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      const password = decoded.slice(decoded.indexOf(':') + 1);
      secrets.push(auth, password, ...password.split('.').filter((part) => part.length > 16));
    }
    const saToken = (await readFile(join(REPO, 'examples/serviceaccount.jwt'), 'utf8')).trim();
    secrets.push(saToken, ...saToken.split('.'));
    const keyBody = (await readFile(join(REPO, 'examples/pki/webhook.key.pem'), 'utf8')).split(
      '\n',
    )[3]!;
    secrets.push(keyBody);
    expect(secrets).toContain('example-password-not-a-real-secret');

    const outputs = await Promise.all(
      (['table', 'json', 'prometheus'] as const).map((format) => checkExamples(format)),
    );
    for (const run of outputs) {
      for (const secret of secrets) {
        expect(run.stdout).not.toContain(secret);
        expect(run.stderr).not.toContain(secret);
      }
    }
  });
});

describe('credrot check on TLS endpoints', () => {
  let tlsServer: ReturnType<typeof createTlsServer>;
  let silentServer: Server;
  let tlsPort: number;
  let silentPort: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    const ca = await selfSignedCa(
      'CN=endpoint test CA',
      new Date('2025-01-01T00:00:00Z'),
      new Date('2030-01-01T00:00:00Z'),
    );
    const leaf = await serverCertificate(
      ca,
      'localhost',
      new Date('2025-04-01T00:00:00Z'),
      new Date('2025-07-01T00:00:00Z'),
    );
    tlsServer = createTlsServer(
      { key: await privateKeyPem(leaf), cert: certificatesPem(leaf, ca) },
      (socket) => socket.end(),
    );
    // Accepts TCP and never answers the ClientHello: a hung endpoint.
    silentServer = createTcpServer((socket) => sockets.add(socket));
    tlsPort = await listen(tlsServer);
    silentPort = await listen(silentServer);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all([close(tlsServer), close(silentServer)]);
  });

  it('fetches the presented chain, names the leaf that expires first, and times out a hung endpoint', async () => {
    const config = await writeConfig(
      'tls.yaml',
      `  - name: webhook-endpoint\n    kind: tls-endpoint\n    url: https://127.0.0.1:${tlsPort}\n  - name: hung-endpoint\n    kind: tls-endpoint\n    url: https://127.0.0.1:${silentPort}\n`,
    );
    const started = Date.now();
    const run = await credrot([
      'check',
      '--config',
      config,
      '--now',
      '2025-06-28T00:00:00Z',
      '--timeout',
      '1s',
      '--format',
      'json',
    ]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.code).toBe(2);
    const { findings } = JSON.parse(run.stdout) as { findings: Array<Record<string, unknown>> };
    expect(findings).toHaveLength(2);
    expect(findings[0]).toMatchObject({
      name: 'webhook-endpoint',
      status: 'critical',
      subject: 'CN=localhost',
      notAfter: '2025-07-01T00:00:00.000Z',
      location: `https://127.0.0.1:${tlsPort}`,
    });
    expect(findings[0]!['note']).toContain('certificate 1 of 2 is the most urgent');
    expect(findings[1]).toMatchObject({
      name: 'hung-endpoint',
      status: 'unknown',
      error: `https://127.0.0.1:${silentPort}: no TLS handshake with 127.0.0.1:${silentPort} within 1s`,
    });
  });
});

function listen(server: Server): Promise<number> {
  return new Promise((resolvePromise) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolvePromise(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolvePromise) => server.close(() => resolvePromise()));
}
