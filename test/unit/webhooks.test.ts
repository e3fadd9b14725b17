import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.js';
import { decodeJob, dedupeKey, InvalidJobError } from '../../shared/jobs/job.js';
import { MemoryDedupeStore } from '../../shared/webhooks/dedupe.js';
import { credentialsForTokenEvent } from '../../shared/webhooks/gitlab-authorize.js';
import { parseCommand } from '../../shared/webhooks/gitlab-command.js';
import { sharedSecretMatches } from '../../shared/webhooks/shared-secret.js';

const config = parseConfig(
  `version: 1
connections:
  gitlab: { main: { url: https://gitlab.example.com, token: { env: T } } }
  aws: { prod: { region: eu-west-1 } }
credentials:
  - name: app-ci
    kind: gitlab-project-access-token
    source: { project: platform/app }
    stores: [{ type: aws-secrets-manager, secretId: credrot/app-ci }]
  - name: app-registry
    kind: gitlab-deploy-token
    source: { project: 42 }
    stores: [{ type: aws-secrets-manager, secretId: credrot/app-registry }]
`,
  '/etc/credrot/credrot.config.yaml',
);

const payload = (project: { id: number; path: string }, name: string) => ({
  project_id: project.id,
  project: { id: project.id, path_with_namespace: project.path },
  object_attributes: { id: 1, name },
});

describe('webhook primitives', () => {
  it.each([
    ['the current secret', 'current', true],
    ['the previous secret during a rotation', 'previous', true],
    ['a wrong secret', 'guess', false],
    ['a prefix of the secret', 'curr', false],
    ['an empty header', '', false],
  ])('accepts %s only when it matches', (_case, presented, expected) => {
    expect(sharedSecretMatches(presented, ['current', 'previous'])).toBe(expected);
  });

  it('never matches an empty configured secret', () => {
    expect(sharedSecretMatches('', [''])).toBe(false);
    expect(sharedSecretMatches('x', [''])).toBe(false);
  });

  it.each([
    ['/credrot rotate app-ci', 'app-ci'],
    ['  /credrot rotate app-ci \n', 'app-ci'],
    ['/credrot rotate app-ci please', undefined],
    ['please /credrot rotate app-ci', undefined],
    ['/credrot rotate APP', undefined],
    ['/credrot  rotate app-ci', undefined],
  ])('reads the command in %j as %j', (text, expected) => {
    expect(parseCommand(text)).toBe(expected);
  });

  it('matches a token event on project (path or id) and token name, never on the payload alone', () => {
    const names = (p: ReturnType<typeof payload>, kind: 'access-token' | 'deploy-token') =>
      credentialsForTokenEvent(config.credentials, kind, p).map((c) => c.name);
    expect(names(payload({ id: 7, path: 'platform/app' }, 'app-ci'), 'access-token')).toEqual([
      'app-ci',
    ]);
    expect(names(payload({ id: 7, path: 'Platform/App' }, 'app-ci'), 'access-token')).toEqual([
      'app-ci',
    ]);
    expect(names(payload({ id: 7, path: 'other/app' }, 'app-ci'), 'access-token')).toEqual([]);
    expect(names(payload({ id: 7, path: 'platform/app' }, 'other'), 'access-token')).toEqual([]);
    expect(names(payload({ id: 7, path: 'platform/app' }, 'app-ci'), 'deploy-token')).toEqual([]);
    const marked = 'app-registry [credrot:app-registry:00000000-0000-4000-8000-000000000003]';
    expect(names(payload({ id: 42, path: 'x/y' }, marked), 'deploy-token')).toEqual([
      'app-registry',
    ]);
    expect(names(payload({ id: 43, path: 'x/y' }, marked), 'deploy-token')).toEqual([]);
  });

  it('de-duplicates delivery keys for their time to live, and releases them on failure', async () => {
    const store = new MemoryDedupeStore();
    const t0 = new Date('2025-01-01T00:00:00Z');
    expect(await store.claim(['a', 'b'], 1_000, t0)).toBe(true);
    expect(await store.claim(['b', 'c'], 1_000, t0)).toBe(false);
    expect(await store.claim(['c'], 1_000, t0)).toBe(true);
    expect(await store.claim(['a'], 1_000, new Date(t0.getTime() + 1_001))).toBe(true);
    await store.release(['c']);
    expect(await store.claim(['c'], 1_000, t0)).toBe(true);
  });

  it('makes bounded, valid SQS deduplication ids and refuses a message that is not a job', () => {
    const key = dedupeKey('gitlab', 'x'.repeat(500), 'app-ci');
    expect(key).toMatch(/^gitlab:[0-9a-f]{40}$/);
    expect(dedupeKey('gitlab', 'ab', 'c')).not.toBe(dedupeKey('gitlab', 'a', 'bc'));
    expect(() => decodeJob('{"credential":"app-ci"}')).toThrow(InvalidJobError);
    expect(() => decodeJob('not json')).toThrow(/not JSON/);
  });
});
