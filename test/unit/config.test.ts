import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../shared/config/json-schema.js';
import { parseConfig } from '../../shared/config/load.js';
import { ConfigError } from '../../shared/errors.js';

const FILE = '/etc/credrot/credrot.config.yaml';

const VALID = `
version: 1
connections:
  gitlab:
    main: { url: https://gitlab.example.com, token: { env: CREDROT_GITLAB_TOKEN } }
  github:
    gh: { token: { env: CREDROT_GITHUB_TOKEN } }
  aws:
    prod: { region: eu-west-1 }
  gcp:
    gp: { project: my-project-1 }
credentials:
  - name: app-ci
    kind: gitlab-project-access-token
    source: { project: platform/app }
    policy: { lifetime: 30d, renewBefore: 10d, scopes: [read_api], accessLevel: developer }
    stores:
      - { type: aws-secrets-manager, secretId: credrot/app-ci }
      - { type: gcp-secret-manager, secret: app-ci }
    sinks:
      - { type: gitlab-variable, project: platform/app, key: APP_TOKEN, protected: true }
      - { type: github-secret, repository: acme/app, name: APP_TOKEN }
watchers:
  - { name: webhook-tls, kind: certificate, path: certs/webhook.pem }
`;

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration', () => {
  it('loads a valid file with durations in ms, paths absolute and connections resolved', () => {
    const config = parseConfig(VALID, FILE);
    const [cred] = config.credentials;
    expect(cred?.policy.lifetime).toBe(30 * 86_400_000);
    expect(cred?.policy.renewBefore).toBe(10 * 86_400_000);
    expect(cred?.policy.gracePeriod).toBe(3_600_000);
    expect(cred?.policy.accessLevel).toBe(30);
    expect(cred?.policy.strategy).toBe('recreate');
    expect(cred?.source.connection).toBe('main');
    expect(cred?.stores.map((s) => s.connection)).toEqual(['prod', 'gp']);
    expect(cred?.sinks.map((s) => s.connection)).toEqual(['main', 'gh']);
    expect(cred?.sinks[0]).toMatchObject({
      masked: true,
      environmentScope: '*',
      variableType: 'env_var',
      value: '{{token}}',
    });
    expect(config.watchers[0]?.path).toBe('/etc/credrot/certs/webhook.pem');
    expect(config.defaults.thresholds).toEqual({
      warningMs: 30 * 86_400_000,
      criticalMs: 7 * 86_400_000,
    });
  });

  it.each([
    [
      'a bad CI/CD variable key, with its path and line',
      VALID.replace('key: APP_TOKEN', 'key: APP-TOKEN'),
      'credentials[0].sinks[0].key: must match ^[A-Za-z0-9_]+$ (GitLab CI/CD variable keys), at line 21',
    ],
    [
      'an unknown key (a typo)',
      VALID.replace('renewBefore:', 'renewBefor:'),
      'credentials[0].policy.renewBefor: unknown key',
    ],
    [
      'a literal secret instead of a reference',
      VALID.replace('token: { env: CREDROT_GITLAB_TOKEN }', 'token: glpat-literal'),
      'connections.gitlab.main.token: must not be a literal secret',
    ],
    [
      'a malformed duration',
      VALID.replace('lifetime: 30d', 'lifetime: 30 days'),
      'credentials[0].policy.lifetime: must be a duration',
    ],
    [
      'a lifetime GitLab would refuse',
      VALID.replace('lifetime: 30d', 'lifetime: 400d'),
      'policy.lifetime: must be at most 365d',
    ],
    [
      'renewBefore longer than the lifetime',
      VALID.replace('renewBefore: 10d', 'renewBefore: 40d'),
      'policy.renewBefore: must be shorter than lifetime',
    ],
    ['a missing version', VALID.replace('version: 1', ''), 'version: must be 1'],
    [
      'a credential without a store',
      VALID.replace(/stores:\n(\s+- .*\n){2}/, 'stores: []\n'),
      'credentials[0].stores: must name at least one store',
    ],
    [
      'an undefined connection',
      VALID.replace('secretId: credrot/app-ci', 'secretId: credrot/app-ci, connection: nope'),
      'names connections.aws.nope, which is not defined',
    ],
    [
      'a project token without a project',
      VALID.replace('source: { project: platform/app }', 'source: { group: platform }'),
      'a project access token needs project',
    ],
    [
      'a sink with two levels',
      VALID.replace('project: platform/app, key', 'project: platform/app, instance: true, key'),
      'exactly one of project, group or instance',
    ],
    [
      'a reserved GitHub secret name',
      VALID.replace('name: APP_TOKEN', 'name: GITHUB_TOKEN'),
      'must not start with GITHUB_',
    ],
    [
      'a duplicated name',
      VALID.replace('name: webhook-tls', 'name: app-ci'),
      'watchers[0].name: name "app-ci" is already used',
    ],
    ['a file watcher without a path', VALID.replace(', path: certs/webhook.pem', ''), 'needs path'],
    ['invalid YAML, with line and column', `${VALID}\n  bad: [`, `${FILE}:`],
  ])('refuses %s with one clear line', (_case, text, expected) => {
    const problems = problemsOf(text);
    expect(
      problems.some((p) => p.includes(expected)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('reports every problem at once, one line each', () => {
    const text = VALID.replace('key: APP_TOKEN', 'key: APP-TOKEN').replace(
      'renewBefore:',
      'renewBefor:',
    );
    expect(problemsOf(text)).toHaveLength(2);
  });

  it('never echoes a literal secret back in its message', () => {
    const problems = problemsOf(
      VALID.replace('token: { env: CREDROT_GITLAB_TOKEN }', 'token: glpat-s3cr3tvalue0123456789'),
    );
    expect(problems.join('\n')).not.toContain('s3cr3tvalue');
  });

  it('loads the deployed sections: webhook secrets as references, sizes in bytes, the queue and notifiers', () => {
    const config = parseConfig(
      `${VALID}webhooks:
  gitlab:
    secret: { aws: { secretId: credrot-settings/prod/gitlab-hook } }
    previousSecret: { env: OLD_HOOK_SECRET }
    maxBodySize: 256KiB
    commandWindow: 2h
  github:
    secret: { env: GITHUB_HOOK_SECRET }
queue: { type: sqs, url: https://sqs.eu-west-1.amazonaws.com/123456789012/credrot-prod-jobs.fifo }
notifications:
  notifiers:
    - { type: slack, url: { env: SLACK_WEBHOOK_URL } }
    - { type: gitlab-issue, project: platform/ops }
`,
      FILE,
    );
    expect(config.webhooks.gitlab?.maxBodySize).toBe(256 * 1024);
    expect(config.webhooks.gitlab?.commandWindow).toBe(2 * 3_600_000);
    expect(config.webhooks.github).toMatchObject({ maxBodySize: 1024 * 1024, connection: 'gh' });
    expect(config.queue).toMatchObject({ type: 'sqs', connection: 'prod' });
    expect(config.notifications.notifiers[1]).toMatchObject({ connection: 'main' });
  });

  it('refuses a literal webhook secret, a standard (non-FIFO) queue and an unknown notifier type', () => {
    const problems = problemsOf(`${VALID}webhooks:
  gitlab: { secret: hunter2-literal }
queue: { type: sqs, url: https://sqs.eu-west-1.amazonaws.com/123456789012/jobs }
notifications:
  notifiers:
    - { type: pager, url: { env: X } }
`);
    expect(problems.join('\n')).toMatch(/webhooks\.gitlab\.secret: must not be a literal secret/);
    expect(problems.join('\n')).toMatch(/queue\.url: must be a FIFO queue URL/);
    expect(problems.join('\n')).toMatch(/notifications\.notifiers\[0\]/);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('loads discovery entries, their GitLab connection resolved and thresholds in ms', () => {
    const config = parseConfig(
      `${VALID}discovery:
  - { name: every-token, kind: gitlab-instance, thresholds: { warning: 14d, critical: 2d } }
`,
      FILE,
    );
    expect(config.discovery).toEqual([
      {
        name: 'every-token',
        kind: 'gitlab-instance',
        connection: 'main',
        thresholds: { warningMs: 14 * 86_400_000, criticalMs: 2 * 86_400_000 },
      },
    ]);
    expect(parseConfig(VALID, FILE).discovery).toEqual([]);
  });

  it('names what is wrong with a discovery entry: its kind, its connection, its name', () => {
    const problems = problemsOf(`${VALID}discovery:
  - { name: a, kind: gitlab-group }
  - { name: b, kind: gitlab-instance, connection: nowhere }
  - { name: app-ci, kind: gitlab-instance }
`);
    expect(problems.join('\n')).toMatch(/discovery\[0\]\.kind: must be gitlab-instance/);
    const resolved = problemsOf(`${VALID}discovery:
  - { name: b, kind: gitlab-instance, connection: nowhere }
  - { name: app-ci, kind: gitlab-instance }
`).join('\n');
    expect(resolved).toMatch(
      /discovery\[0\]: names connections\.gitlab\.nowhere, which is not defined \(defined: main\)/,
    );
    expect(resolved).toMatch(/discovery\[1\]\.name: name "app-ci" is already used by credential/);
  });

  it('keeps the committed JSON Schema in step with the zod schema (run npm run schema)', async () => {
    const committed = await readFile(
      new URL('../../credrot.config.schema.json', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(configJsonSchema());
  });
});

describe('registry credentials in the configuration', () => {
  const HEADER = VALID.slice(0, VALID.indexOf('credentials:'));
  const STORE = 'stores: [{ type: aws-secrets-manager, secretId: credrot/x }]';

  it('loads the three registry kinds, each source on the connection its kind uses', () => {
    const config = parseConfig(
      `${HEADER}credentials:
  - name: ecr
    kind: aws-ecr
    registry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com
    verify: { repository: team/app, reference: v1 }
    source: { registryId: '123456789012' }
    ${STORE}
  - name: ar
    kind: gcp-artifact-registry
    registry: europe-docker.pkg.dev
    source: { serviceAccount: puller@p.iam.gserviceaccount.com, mode: key, key: { gcp: { secret: credrot-key } } }
    ${STORE}
  - name: robot
    kind: registry-basic-auth
    registry: registry.example.com:5000
    source: { username: ci, password: { aws: { secretId: registry/ci } } }
    ${STORE}
    sinks:
      - { type: gitlab-variable, project: platform/app, key: DOCKER_AUTH_CONFIG, variableType: file, masked: false, protected: true, merge: true, value: '{{dockerAuthConfig}}' }
`,
      FILE,
    );
    const [ecr, ar, robot] = config.credentials;
    expect(ecr).toMatchObject({
      kind: 'aws-ecr',
      source: { connection: 'prod', registryId: '123456789012' },
    });
    expect(ecr?.verify).toEqual({ repository: 'team/app', reference: 'v1' });
    expect(ar?.source).toMatchObject({
      connection: '',
      mode: 'key',
      key: { gcp: { secret: 'credrot-key' } },
    });
    expect(robot?.sinks[0]).toMatchObject({ merge: true, variableType: 'file' });
  });

  it('refuses a literal registry password, and a registry credential without a registry', () => {
    const problems = problemsOf(`${HEADER}credentials:
  - name: robot
    kind: registry-basic-auth
    source: { username: ci, password: hunter2-literal }
    ${STORE}
`);
    expect(problems.join('\n')).toMatch(
      /credentials\[0\]\.source\.password: must not be a literal secret/,
    );
    expect(problems.join('\n')).not.toContain('hunter2-literal');
  });

  it('asks for the registry, the username and the password of a basic-auth credential', () => {
    const problems = problemsOf(`${HEADER}credentials:
  - name: robot
    kind: registry-basic-auth
    source: { project: a/b }
    ${STORE}
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^credentials\[0\]: a registry-basic-auth credential needs registry: <host\[:port\]>/,
        ),
        expect.stringMatching(
          /^credentials\[0\]\.source\.project: a registry-basic-auth has no project/,
        ),
        expect.stringMatching(/^credentials\[0\]\.source\.username: is required/),
        expect.stringMatching(
          /^credentials\[0\]\.source\.password: is required: where a person puts the password/,
        ),
      ]),
    );
  });

  it('refuses merge where the value cannot be read back: a GitHub secret and a hidden variable', () => {
    const problems = problemsOf(`${HEADER}credentials:
  - name: dt
    kind: gitlab-deploy-token
    registry: registry.example.com
    source: { project: platform/app }
    ${STORE}
    sinks:
      - { type: github-secret, repository: acme/app, name: DOCKER_AUTH, merge: true, value: '{{dockerAuthConfig}}' }
      - { type: gitlab-variable, project: platform/app, key: DAC, hidden: true, merge: true, value: '{{dockerAuthConfig}}' }
`).join('\n');
    expect(problems).toMatch(
      /credentials\[0\]\.sinks\[0\]\.merge: cannot merge into a GitHub secret: GitHub never returns a secret’s value/,
    );
    expect(problems).toMatch(
      /credentials\[0\]\.sinks\[1\]\.merge: cannot merge into a hidden variable/,
    );
  });

  it('says why a Docker config in a masked GitLab variable cannot be masked, and how to hold it instead', () => {
    const problems = problemsOf(`${HEADER}credentials:
  - name: dt
    kind: gitlab-deploy-token
    registry: registry.example.com
    source: { project: platform/app }
    ${STORE}
    sinks:
      - { type: gitlab-variable, project: platform/app, key: DAC, value: '{{dockerConfigJson}}' }
`);
    expect(problems).toEqual([
      expect.stringMatching(
        /^credentials\[0\]\.sinks\[0\]\.masked: a Docker config is JSON .* which GitLab cannot mask .*set masked: false and variableType: file, with protected: true/,
      ),
    ]);
  });

  it('refuses options of another kind and an ECR grace period longer than its 12-hour token', () => {
    const problems = problemsOf(`${HEADER}credentials:
  - name: ecr
    kind: aws-ecr
    registry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com
    source: { serviceAccount: a@b.iam.gserviceaccount.com }
    policy: { gracePeriod: 12h }
    ${STORE}
`).join('\n');
    expect(problems).toMatch(
      /source\.serviceAccount: only gcp-artifact-registry credentials use serviceAccount/,
    );
    expect(problems).toMatch(/policy\.gracePeriod: must be shorter than 12h/);
  });
});
