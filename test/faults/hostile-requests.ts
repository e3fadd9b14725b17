/**
 * fast-check arbitraries of hostile webhook requests: never a legitimate one (a request
 * with the right secret names only projects, groups, repositories or alerts the demo
 * world's configuration does not authorize, or is malformed), so the handlers must answer
 * each with a refusal or "ignored" and act on none.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { GITHUB_HOOK_SECRET, HOOK_SECRET, HOOK_SECRET_OLD } from '../support/functions-world.js';

export interface HostileRequest {
  /** Header names in lower case, as API Gateway's HTTP API passes them. */
  headers: Record<string, string>;
  /** The exact bytes sent (the event carries them base64-encoded). */
  raw: Buffer;
}

/** Configured credential names, and names that are not. */
const names = fc.constantFrom('app-ci', 'app-group', 'app-registry', 'app-ci ', 'APP-CI', 'other');
/** Projects and groups the configuration does not tie to any credential (never platform/...). */
const foreignPaths = fc.constantFrom(
  'evil/app',
  'platformx/app',
  'platform-app/app',
  'other/platform/app',
  'evil',
);
const ids = fc.integer({ min: -5, max: 10_000 });

const contentType = fc.option(
  fc.constantFrom(
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
  ),
  { nil: undefined },
);
const replayId = fc.option(fc.constantFrom('d-1', 'd-2', 'd-3', 'd-4'), { nil: undefined });

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** Malformed bodies of any handler: truncated, non-UTF-8, non-object, huge, random. */
function malformed(valid: fc.Arbitrary<Buffer>, hugeBytes: number): fc.Arbitrary<Buffer> {
  return fc.oneof(
    valid.chain((b) => fc.nat({ max: Math.max(0, b.length - 1) }).map((cut) => b.subarray(0, cut))),
    fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
    valid.map((b) =>
      Buffer.concat([b.subarray(0, 1), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), b.subarray(1)]),
    ),
    fc
      .constantFrom('[]', '[{"object_kind":"note"}]', '42', '"x"', 'null', 'true', '')
      .map((t) => Buffer.from(t)),
    fc.nat({ max: 4096 }).map((extra) => Buffer.from(`{"pad":"${'x'.repeat(hugeBytes + extra)}"}`)),
    fc.string({ maxLength: 120 }).map((t) => Buffer.from(t)),
  );
}

/** GitLab events naming what the configuration does not authorize. */
function gitlabBodies(projectId: number): fc.Arbitrary<Buffer> {
  const project = fc.record({
    id: fc.oneof(ids, fc.constant(projectId)),
    path_with_namespace: foreignPaths,
  });
  const tokenEvent = fc.record({
    object_kind: fc.constantFrom('access_token', 'deploy_token'),
    project_id: fc.oneof(ids, fc.constant(projectId)),
    project,
    object_attributes: fc.record({ id: ids, name: names, expires_at: fc.constant('2030-01-01') }),
    event_name: fc.constantFrom('expiring_access_token', 'expiring_deploy_token', 'revoked', ''),
  });
  const groupEvent = fc.record({
    object_kind: fc.constant('access_token'),
    group: fc.record({ group_id: ids, full_path: foreignPaths }),
    object_attributes: fc.record({ id: ids, name: names }),
    event_name: fc.constant('expiring_access_token'),
  });
  const command = fc.record({
    object_kind: fc.constant('note'),
    project_id: ids,
    project,
    user: fc.record({ id: ids, username: fc.constantFrom('mallory', 'root') }),
    object_attributes: fc.record({
      note: names.map((n) => `/credrot rotate ${n}`),
      noteable_type: fc.constantFrom('Issue', 'MergeRequest', 'Commit'),
      description: names.map((n) => `/credrot rotate ${n}`),
      action: fc.constantFrom('open', 'reopen', 'close'),
      id: ids,
      iid: ids,
    }),
    issue: fc.record({ id: ids, iid: ids }),
    merge_request: fc.record({ id: ids, iid: ids }),
  });
  const valid = fc.oneof(tokenEvent, groupEvent, command).map(json);
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 2, arbitrary: malformed(valid, 64 * 1024) },
  );
}

const gitlabToken = fc.option(
  fc.oneof(
    fc.constantFrom(
      HOOK_SECRET,
      HOOK_SECRET_OLD,
      `${HOOK_SECRET}x`,
      HOOK_SECRET.slice(0, -1),
      HOOK_SECRET.toUpperCase(),
      ` ${HOOK_SECRET}`,
      `${HOOK_SECRET},${HOOK_SECRET}`,
      `${HOOK_SECRET}, ${HOOK_SECRET_OLD}`,
      '',
    ),
    fc.string({ maxLength: 40 }),
  ),
  { nil: undefined },
);

const lyingLength = fc.option(fc.constantFrom('10000000', '-1', 'abc', '0'), {
  nil: undefined,
  freq: 4,
});

function headers(entries: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) out[k] = v;
  return out;
}

/** Hostile requests to the GitLab webhook of the demo world (`projectId`: its authorized project). */
export function hostileGitLab(projectId: number): fc.Arbitrary<HostileRequest> {
  return fc
    .record({
      raw: gitlabBodies(projectId),
      token: gitlabToken,
      event: fc.option(
        fc.oneof(
          fc.constantFrom(
            'Resource Access Token Hook',
            'Resource Deploy Token Hook',
            'Note Hook',
            'Issue Hook',
            'Merge Request Hook',
            'Push Hook',
            'System Hook',
          ),
          fc.string({ maxLength: 30 }),
        ),
        { nil: undefined },
      ),
      uuid: replayId,
      key: replayId,
      type: contentType,
      length: lyingLength,
    })
    .map(({ raw, token, event, uuid, key, type, length }) => ({
      raw,
      headers: headers({
        'x-gitlab-token': token,
        'x-gitlab-event': event,
        'x-gitlab-event-uuid': uuid,
        'idempotency-key': key,
        'content-type': type,
        'content-length': length,
      }),
    }));
}

function sign(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Hostile requests to the GitHub webhook; `alert` is the one alert its token may read. */
export function hostileGitHub(alert: number): fc.Arbitrary<HostileRequest> {
  const alertEvent = fc.record({
    action: fc.constantFrom('created', 'reopened', 'resolved', 'validated', ''),
    alert: fc.record({ number: fc.oneof(ids, fc.constant(alert), fc.constant('1')) }),
    repository: fc.record({
      full_name: fc.constantFrom('evil/repo', 'acme/other', 'acme/app', 'acme', ''),
    }),
  });
  const other = fc.record({
    zen: fc.string({ maxLength: 20 }),
    action: fc.constantFrom('created', 'opened'),
  });
  const valid = fc.oneof(alertEvent, other).map(json);
  const body = fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 2, arbitrary: malformed(valid, 1024 * 1024) },
  );
  const signature = fc.constantFrom(
    'missing',
    'random',
    'other-secret',
    'valid',
    'duplicated',
    'sha1',
    'upper',
    'short',
    'tampered',
    'valid',
    'valid',
  );
  return fc
    .record({
      raw: body,
      signature,
      random: fc.stringMatching(/^[0-9a-f]{64}$/),
      event: fc.option(
        fc.oneof(
          fc.constantFrom('secret_scanning_alert', 'ping', 'push', 'installation'),
          fc.string({ maxLength: 30 }),
        ),
        { nil: undefined },
      ),
      delivery: replayId,
      type: contentType,
      length: lyingLength,
    })
    .map(({ raw, signature: how, random, event, delivery, type, length }) => {
      const valid = sign(GITHUB_HOOK_SECRET, raw);
      const sig: Record<string, string | undefined> = {
        missing: undefined,
        random: `sha256=${random}`,
        'other-secret': sign('not-the-hook-secret', raw),
        valid,
        duplicated: `${valid},${valid}`,
        sha1: `sha1=${random.slice(0, 40)}`,
        upper: `sha256=${valid.slice(7).toUpperCase()}`,
        short: valid.slice(0, -1),
        tampered: sign(GITHUB_HOOK_SECRET, Buffer.concat([raw, Buffer.from(' ')])),
      };
      return {
        raw,
        headers: headers({
          'x-hub-signature-256': sig[how],
          'x-github-event': event,
          'x-github-delivery': delivery,
          'x-github-hook-id': delivery ? '1' : undefined,
          'content-type': type,
          'content-length': length,
        }),
      };
    });
}
