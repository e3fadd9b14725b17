/**
 * `npm start`: the whole story on a laptop, with no cloud account and no network. Boots
 * the sandbox with a small world, runs `credrot check`, `credrot plan` and
 * `credrot rotate --all-due`, then proves the result against the services themselves.
 * Secret values are never printed; fingerprints (first 8 hex of SHA-256) stand in.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { seedDemoWorld } from '../sandbox/demo-world.js';
import { startSandbox } from '../sandbox/index.js';
import { dockerLogin } from '../sandbox/registry/index.js';
import { loadConfig } from '../shared/config/load.js';
import { fingerprint } from '../shared/util/fingerprint.js';
import { run } from './main.js';

// The demo's reader needs the story, not the AWS SDK's notice that its 2027 releases will
// need Node 22 (the SDK's own switch; the CLI and the functions still show it).
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const GRACE_SECONDS = 5;
const out = (text = '') => process.stdout.write(`${text}\n`);
const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
let failures = 0;
const proof = (ok: boolean, text: string) => {
  if (!ok) failures++;
  out(`  ${ok ? '✓' : '✗'} ${text}`);
};

async function credrot(argv: string[], env: Record<string, string>): Promise<number> {
  let text = '';
  const code = await run(argv, {
    stdout: (t) => {
      text += t;
    },
    stderr: (t) => {
      text += t;
    },
    env: { ...env, PATH: process.env['PATH'] },
    cwd: process.cwd(),
    now: () => new Date(),
  });
  out(`  $ credrot ${argv.join(' ')}`);
  out(indent(text));
  out(`    (exit code ${code})`);
  return code;
}

const started = Date.now();
out(
  'credrot demo: everything below runs against a local sandbox, with no cloud account and no network.\n',
);
out(
  '[1/6] Starting the sandbox: GitLab, GitHub, AWS Secrets Manager, GCP Secret Manager and a real container registry',
);
const sandbox = await startSandbox();
try {
  const { endpoints } = sandbox;
  out(
    `  up in ${Date.now() - started} ms; GitLab at ${endpoints.gitlab.url}, registry ${'url' in endpoints.registry ? `at ${endpoints.registry.url}` : `NOT running (${endpoints.registry.unavailable})`}\n`,
  );

  // The demo config also watches the bundled example files, so one `check` shows both.
  const examples = await loadConfig(resolve('examples/credrot.config.yaml'));
  const world = await seedDemoWorld(sandbox, {
    gracePeriod: `${GRACE_SECONDS}s`,
    watchers: examples.watchers
      .map((w) => `\n  - { name: ${w.name}, kind: ${w.kind}, path: ${JSON.stringify(w.path)} }`)
      .join(''),
  });
  const dir = resolve('.sandbox/demo');
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'credrot.config.yaml');
  await writeFile(config, world.config);
  out('[2/6] The world (as an earlier credrot run left it)');
  out(
    '  - project platform/app: its CI uses the project access token "app-ci", which expires in 5 days.',
  );
  out(
    '    Consumers: GitLab CI/CD variable APP_TOKEN (masked, protected) and the GitHub Actions secret APP_TOKEN of acme/app.',
  );
  out(
    '  - group platform: the group access token "platform-ci", 60 of its 90 days left (not due).',
  );
  out(
    '  - deploy token "app-registry" (read_registry), expires in 3 days; consumer: CI/CD file variable DOCKER_AUTH_CONFIG.',
  );
  out(
    `  - each is stored as current in AWS Secrets Manager and GCP Secret Manager. Configuration: ${config}\n`,
  );

  out(
    '[3/6] credrot check: the live tokens (as GitLab and the stores see them) and the example certificates, kubeconfigs, Docker configs and JWTs (exit 2 = something is critical or expired)',
  );
  await credrot(['check', '--config', config], world.env);
  out();

  out('[4/6] credrot plan: what is due and what rotating it would do; changes nothing');
  await credrot(['plan', '--config', config], world.env);
  out();

  out(
    '[5/6] credrot rotate --all-due (the deploy token is verified against the real registry, login and pull, before any consumer gets it)',
  );
  const rotated = await credrot(['rotate', '--all-due', '--config', config], world.env);
  proof(rotated === 0, 'every due credential rotated (exit code 0)');
  out();

  out('[6/6] Proof, asked of the services themselves');
  const api = `${endpoints.gitlab.url}/api/v4/projects/${encodeURIComponent(world.projectPath)}`;
  const ciValue =
    sandbox.gitlab.variables.read('project', world.projectId, 'APP_TOKEN', '*')?.value ?? '';
  const fp = fingerprint(ciValue);
  proof(
    ciValue !== world.before.appToken,
    `CI/CD variable APP_TOKEN now holds a new token (${fingerprint(world.before.appToken)} -> ${fp})`,
  );
  const pipeline = await fetch(api, { headers: { 'private-token': ciValue } });
  proof(
    pipeline.status === 200,
    `a pipeline's API call with APP_TOKEN: GET /projects/platform%2Fapp -> ${pipeline.status}`,
  );
  const during = await fetch(api, { headers: { 'private-token': world.before.appToken } });
  proof(
    during.status === 200,
    `the old token still works during its ${GRACE_SECONDS}s grace period, so running jobs finish -> ${during.status}`,
  );

  const aws = await world.aws.send(new GetSecretValueCommand({ SecretId: 'credrot/app-ci' }));
  const awsFp = fingerprint(JSON.parse(aws.SecretString ?? '{}').token ?? '');
  proof(awsFp === fp, `AWS Secrets Manager credrot/app-ci, AWSCURRENT: ${awsFp}`);
  const [gcp] = await world.gcp.accessSecretVersion({
    name: `projects/${endpoints.gcp.project}/secrets/app-ci/versions/current`,
  });
  const gcpFp = fingerprint(
    JSON.parse(Buffer.from(gcp.payload?.data ?? '').toString()).token ?? '',
  );
  proof(gcpFp === fp, `GCP Secret Manager app-ci, alias current: ${gcpFp}`);
  const gh = sandbox.github.secretValue({ repo: 'acme/app' }, 'APP_TOKEN') ?? '';
  proof(
    fingerprint(gh) === fp,
    `GitHub Actions secret APP_TOKEN of acme/app (sealed with libsodium; the sandbox opened it): ${fingerprint(gh)}`,
  );

  if (sandbox.registry) {
    const auth = JSON.parse(
      sandbox.gitlab.variables.read('project', world.projectId, 'DOCKER_AUTH_CONFIG', '*')?.value ??
        '{}',
    ) as { auths?: Record<string, { auth: string }> };
    const [user, pass] = Buffer.from(Object.values(auth.auths ?? {})[0]?.auth ?? '', 'base64')
      .toString()
      .split(':');
    const login = await dockerLogin(
      sandbox.registry,
      { username: user ?? '', password: pass ?? '' },
      { repository: 'platform/app' },
    );
    proof(
      login.ok && pass !== world.before.deployToken,
      `docker login with the new deploy token from DOCKER_AUTH_CONFIG, then pull platform/app:latest: ${login.steps.map((s) => s.status).join(' -> ')} (credrot proved the same at the registry before promoting it: see "verified before promotion" above)`,
    );
  }

  out(
    `\n  waiting ${GRACE_SECONDS}s for the grace period, then the next scheduled run retires the replaced values:`,
  );
  await new Promise((r) => setTimeout(r, GRACE_SECONDS * 1000 + 200));
  await credrot(['rotate', '--all-due', '--config', config], world.env);
  const after = await fetch(api, { headers: { 'private-token': world.before.appToken } });
  proof(
    after.status === 401,
    `the old token is revoked: GET /projects/platform%2Fapp -> ${after.status} Unauthorized`,
  );
  const still = await fetch(api, { headers: { 'private-token': ciValue } });
  proof(still.status === 200, `the pipeline's token still works -> ${still.status}`);

  out(
    failures === 0
      ? `\nDemo done in ${((Date.now() - started) / 1000).toFixed(1)} s: every consumer held a working credential throughout.`
      : `\n${failures} proof(s) failed.`,
  );
} finally {
  await sandbox.close();
}
process.exitCode = failures === 0 ? 0 : 1;
