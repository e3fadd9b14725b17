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

  it('keeps the committed JSON Schema in step with the zod schema (run npm run schema)', async () => {
    const committed = await readFile(
      new URL('../../credrot.config.schema.json', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(configJsonSchema());
  });
});
