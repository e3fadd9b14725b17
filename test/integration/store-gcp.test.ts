/**
 * GcpSecretManagerStore through the real `@google-cloud/secret-manager` client against
 * the Secret Manager emulator (gRPC), in process on port 0.
 */
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { grpc } from 'google-gax';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultAction } from '../../sandbox/faults.js';
import {
  clientOptions,
  type SecretManagerEmulator,
  startSecretManagerEmulator,
} from '../../sandbox/gcp/index.js';
import {
  CredrotError,
  LeaseHeldError,
  OwnershipError,
  PermissionError,
  ProviderError,
} from '../../shared/errors.js';
import { type RotationTarget, rotate } from '../../shared/rotation/engine.js';
import type { StoredCredential } from '../../shared/rotation/types.js';
import { GcpSecretManagerStore } from '../../shared/stores/gcp-secret-manager/store.js';
import { MemorySink, MemorySource } from '../unit/support/memory-world.js';

const PROJECT = 'credrot-test';
const T0 = new Date('2026-03-01T10:00:00.000Z');
const MARKER = 'S3CRET-VALUE';
const ROT_A = 'rot-a';
const ROT_B = 'rot-b';
const ROT_C = 'rot-c';
const Status = grpc.status;

let emu: SecretManagerEmulator;
let raw: SecretManagerServiceClient;
const clients: SecretManagerServiceClient[] = [];
/** Every error a store threw in this file; the last test scans them for secret values. */
const thrown: unknown[] = [];
let seq = 0;

function secretId(): string {
  seq += 1;
  return `app-token-${seq}`;
}

function fullName(id: string): string {
  return `projects/${PROJECT}/secrets/${id}`;
}

function newClient(): SecretManagerServiceClient {
  const c = new SecretManagerServiceClient(clientOptions(emu));
  clients.push(c);
  return c;
}

function store(secret: string, client: SecretManagerServiceClient = raw) {
  return new GcpSecretManagerStore({
    project: PROJECT,
    secret,
    client,
    labels: { team: 'platform' },
  });
}

function credential(rotationId: string, sourceId: number): StoredCredential {
  return {
    token: `glpat-${MARKER}-${sourceId}`,
    kind: 'gitlab-deploy-token',
    username: 'gitlab+deploy-token-9',
    credential: 'app',
    sourceId,
    gitlabUrl: 'https://gitlab.example.com',
    projectId: 7,
    expiresAt: '2026-06-01T00:00:00.000Z',
    rotationId,
    mintedAt: T0.toISOString(),
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    thrown.push(err);
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

async function secretOf(id: string) {
  const [secret] = await raw.getSecret({ name: fullName(id) });
  return secret;
}

async function aliases(id: string): Promise<Record<string, number>> {
  const secret = await secretOf(id);
  return Object.fromEntries(
    Object.entries(secret.versionAliases ?? {}).map(([k, v]) => [k, Number(v)]),
  );
}

/** Version number → state, newest first. */
async function versionStates(id: string): Promise<Record<number, string>> {
  const [versions] = await raw.listSecretVersions({ parent: fullName(id) });
  return Object.fromEntries(
    versions.map((v) => [Number(v.name?.split('/').pop()), String(v.state)]),
  );
}

async function versionsHolding(id: string, rotationId: string): Promise<number> {
  const [versions] = await raw.listSecretVersions({ parent: fullName(id) });
  let count = 0;
  for (const v of versions) {
    if (v.state !== 'ENABLED') continue;
    const [out] = await raw.accessSecretVersion({ name: v.name });
    if (
      Buffer.from(out.payload?.data ?? '')
        .toString()
        .includes(`"rotationId":"${rotationId}"`)
    )
      count += 1;
  }
  return count;
}

function fault(method: string, action: FaultAction, nth = 1): void {
  emu.faults.addRule({ operation: `gcp.${method}`, nth, action });
}

function callsOn(id: string, method: string) {
  return emu.calls.filter(
    (c) => c.operation === `gcp.${method}` && c.resource?.startsWith(fullName(id)),
  );
}

beforeAll(async () => {
  emu = await startSecretManagerEmulator();
  raw = new SecretManagerServiceClient(clientOptions(emu));
});

afterEach(() => {
  emu.faults.clear();
});

afterAll(async () => {
  for (const c of clients.splice(0)) await c.close();
  await raw.close();
  await emu.close();
});

describe('the rotation lifecycle', () => {
  it('creates a labelled secret on the first stage and points the pending alias at the new version', async () => {
    const id = secretId();
    const s = store(id);
    expect(await s.read()).toEqual({ exists: false, previousRetired: false });
    await s.stage(credential(ROT_A, 1));

    const state = await s.read();
    expect(state.current).toBeUndefined();
    expect(state.pending).toEqual({ versionId: '1', value: credential(ROT_A, 1) });
    const secret = await secretOf(id);
    expect(secret.labels).toEqual({ 'managed-by': 'credrot', team: 'platform' });
    expect(await aliases(id)).toEqual({ pending: 1 });
    expect(JSON.parse(secret.annotations?.['credrot-versions'] ?? '{}')).toEqual({ [ROT_A]: 1 });
  });

  it('moves the current, previous and pending aliases through stage → promote → stage → promote', async () => {
    const id = secretId();
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    await s.promote(ROT_A, T0);
    let state = await s.read();
    expect(state.current?.value.sourceId).toBe(1);
    expect(state.pending).toBeUndefined();
    expect(state.previous).toBeUndefined();
    expect(state.promotedAt).toEqual(T0);
    expect(await aliases(id)).toEqual({ current: 1 });

    const later = new Date(T0.getTime() + 3_600_000);
    await s.stage(credential(ROT_B, 2));
    expect(await aliases(id)).toEqual({ current: 1, pending: 2 });
    await s.promote(ROT_B, later);

    state = await s.read();
    expect(state.current).toEqual({ versionId: '2', value: credential(ROT_B, 2) });
    expect(state.previous).toEqual({ versionId: '1', value: credential(ROT_A, 1) });
    expect(state.pending).toBeUndefined();
    expect(state.previousRetired).toBe(false);
    expect(state.promotedAt).toEqual(later);
    expect(await aliases(id)).toEqual({ current: 2, previous: 1 });
  });

  it('disables and records the retired previous version, and forgets it once it is no longer previous', async () => {
    const id = secretId();
    const s = store(id);
    for (const [rot, n] of [
      [ROT_A, 1],
      [ROT_B, 2],
    ] as const) {
      await s.stage(credential(rot, n));
      await s.promote(rot, T0);
    }
    await s.markPreviousRetired(ROT_A); // not current: nothing happens
    expect((await s.read()).previousRetired).toBe(false);
    await s.markPreviousRetired(ROT_B);
    let state = await s.read();
    expect(state.previousRetired).toBe(true);
    expect(state.previous).toBeUndefined(); // disabled: its value is no longer readable
    expect(await versionStates(id)).toEqual({ 2: 'ENABLED', 1: 'DISABLED' });
    expect((await secretOf(id)).annotations?.['credrot-retired']).toBe('1');

    await s.stage(credential(ROT_C, 3));
    await s.promote(ROT_C, T0);
    state = await s.read();
    expect(state.previous?.versionId).toBe('2');
    expect(state.previousRetired).toBe(false);
  });

  it('drops pending only from its own rotation and disables the discarded version', async () => {
    const id = secretId();
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    await s.promote(ROT_A, T0);
    await s.stage(credential(ROT_B, 2));
    await s.discardPending(ROT_C);
    expect((await s.read()).pending?.versionId).toBe('2');
    await s.discardPending(ROT_B);
    const state = await s.read();
    expect(state.pending).toBeUndefined();
    expect(state.current?.versionId).toBe('1');
    expect(await versionStates(id)).toEqual({ 2: 'DISABLED', 1: 'ENABLED' });
    // Nobody reading `latest` gets the rolled-back value.
    const err = await rejection(
      raw.accessSecretVersion({ name: `${fullName(id)}/versions/latest` }),
    );
    expect((err as Error & { code: number }).code).toBe(Status.FAILED_PRECONDITION);
  });
});

describe('idempotency', () => {
  it('changes nothing when every method is called a second time', async () => {
    const id = secretId();
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    await s.stage(credential(ROT_A, 1));
    await s.promote(ROT_A, T0);
    await s.promote(ROT_A, new Date(T0.getTime() + 60_000));
    await s.stage(credential(ROT_A, 1)); // after promote: still nothing
    await s.stage(credential(ROT_B, 2));
    await s.promote(ROT_B, T0);
    const before = await secretOf(id);
    await s.promote(ROT_B, new Date(T0.getTime() + 120_000));
    await s.stage(credential(ROT_B, 2));
    const after = await secretOf(id);
    expect(after.etag).toBe(before.etag);
    expect(Object.keys(await versionStates(id))).toHaveLength(2);
    expect((await s.read()).promotedAt).toEqual(T0);

    await s.markPreviousRetired(ROT_B);
    const retired = await secretOf(id);
    await s.markPreviousRetired(ROT_B);
    expect((await secretOf(id)).etag).toBe(retired.etag);

    await s.stage(credential(ROT_C, 3));
    await s.discardPending(ROT_C);
    const discarded = await secretOf(id);
    await s.discardPending(ROT_C);
    await s.stage(credential(ROT_C, 3)); // a discarded rotation is not staged again
    expect((await secretOf(id)).etag).toBe(discarded.etag);
    expect(await versionStates(id)).toEqual({ 3: 'DISABLED', 2: 'ENABLED', 1: 'DISABLED' });
  });

  it('does nothing for promote, discard or retire on a secret that does not exist', async () => {
    const id = secretId();
    const s = store(id);
    await s.promote(ROT_A, T0);
    await s.discardPending(ROT_A);
    await s.markPreviousRetired(ROT_A);
    expect((await s.read()).exists).toBe(false);
  });
});

describe('ownership', () => {
  it('refuses every write to a secret not labelled managed-by=credrot and names the command that adopts it', async () => {
    const id = secretId();
    await raw.createSecret({
      parent: `projects/${PROJECT}`,
      secretId: id,
      secret: { replication: { automatic: {} }, labels: { owner: 'someone' } },
    });
    const s = store(id);
    const attempts = [
      s.stage(credential(ROT_A, 1)),
      s.promote(ROT_A, T0),
      s.discardPending(ROT_A),
      s.markPreviousRetired(ROT_A),
      s.acquireLease('run-1', 60_000, T0),
    ];
    for (const attempt of attempts) {
      const err = await rejection(attempt);
      expect(err).toBeInstanceOf(OwnershipError);
      expect(err.message).toContain(id);
      expect(err.message).toContain(
        `gcloud secrets update ${id} --update-labels=managed-by=credrot`,
      );
    }
    expect(await versionStates(id)).toEqual({});

    await raw.updateSecret({
      secret: { name: fullName(id), labels: { owner: 'someone', 'managed-by': 'credrot' } },
      updateMask: { paths: ['labels'] },
    });
    await s.stage(credential(ROT_A, 1));
    expect((await s.read()).pending?.versionId).toBe('1');
  });

  it('refuses to read a value credrot did not write, naming the secret but not the value', async () => {
    const id = secretId();
    await store(id).stage(credential(ROT_A, 1));
    const [version] = await raw.addSecretVersion({
      parent: fullName(id),
      payload: { data: Buffer.from(`hunter2-${MARKER}`) },
    });
    const secret = await secretOf(id);
    await raw.updateSecret({
      secret: { name: fullName(id), versionAliases: { ...secret.versionAliases, current: 2 } },
      updateMask: { paths: ['version_aliases'] },
    });
    expect(version.name).toBe(`${fullName(id)}/versions/2`);
    const err = await rejection(store(id).read());
    expect(err).toBeInstanceOf(CredrotError);
    expect(err.message).toContain(fullName(id));
    expect(err.message).toContain('does not hold a credrot value');
    expect(err.message).not.toContain('hunter2');
  });
});

describe('the lease', () => {
  it('lets exactly one of 20 concurrent runs on a fresh secret take the lease', async () => {
    const id = secretId();
    // A barrier before each run's UpdateSecret: all 20 have read the same etag and seen the
    // lease free before any of them writes, so every one reaches the compare-and-swap.
    let arrived = 0;
    let open: () => void = () => {};
    const allThere = new Promise<void>((resolve) => {
      open = resolve;
    });
    const stores = Array.from({ length: 20 }, () => {
      const client = newClient();
      const gated = new Proxy(client, {
        get(target, prop, receiver) {
          const value: unknown = Reflect.get(target, prop, receiver);
          if (prop !== 'updateSecret' || typeof value !== 'function') return value;
          return async (...args: unknown[]) => {
            arrived += 1;
            if (arrived === 20) open();
            await allThere;
            return value.apply(target, args);
          };
        },
      });
      return store(id, gated);
    });
    const results = await Promise.allSettled(
      stores.map((s, i) => s.acquireLease(`run-${i}`, 60_000, T0)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    thrown.push(...lost);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const err of lost) expect(err).toBeInstanceOf(LeaseHeldError);
    const refused = callsOn(id, 'UpdateSecret').filter(
      (c) => c.code === Status.FAILED_PRECONDITION,
    );
    expect(refused).toHaveLength(19);
    const lease = JSON.parse((await secretOf(id)).annotations?.['credrot-lease'] ?? '{}');
    expect(lease.holder).toBe((won[0] as PromiseFulfilledResult<{ holder: string }>).value.holder);
  });

  it('takes over an expired lease, and a release by the old holder leaves the new lease alone', async () => {
    const id = secretId();
    const first = await store(id).acquireLease('run-1', 1_000, T0);
    const held = await rejection(
      store(id).acquireLease('run-2', 1_000, new Date(T0.getTime() + 500)),
    );
    expect(held).toBeInstanceOf(LeaseHeldError);
    expect((held as LeaseHeldError).holder).toBe('run-1');

    const second = await store(id).acquireLease('run-2', 1_000, new Date(T0.getTime() + 2_000));
    await store(id).releaseLease(first);
    const still = await rejection(
      store(id).acquireLease('run-3', 1_000, new Date(T0.getTime() + 2_500)),
    );
    expect((still as LeaseHeldError).holder).toBe('run-2');

    await store(id).releaseLease(second);
    await store(id).releaseLease(second);
    expect((await secretOf(id)).annotations?.['credrot-lease']).toBeUndefined();
    const third = await store(id).acquireLease('run-3', 1_000, new Date(T0.getTime() + 2_600));
    expect(third.holder).toBe('run-3');
  });

  it('ignores a release by a run that never held the lease', async () => {
    const id = secretId();
    await store(id).acquireLease('run-1', 60_000, T0);
    await store(id).releaseLease({ holder: 'impostor', expiresAt: T0, token: 'not-the-lease' });
    const err = await rejection(store(id).acquireLease('run-2', 60_000, T0));
    expect((err as LeaseHeldError).holder).toBe('run-1');
  });

  it('keeps a lease whose UpdateSecret committed before the connection dropped', async () => {
    const id = secretId();
    await store(id).stage(credential(ROT_A, 1));
    fault('UpdateSecret', { type: 'crash-after-commit' });
    const lease = await store(id).acquireLease('run-1', 60_000, T0);
    expect(emu.faults.fired.at(-1)?.action.type).toBe('crash-after-commit');
    const err = await rejection(store(id).acquireLease('run-2', 60_000, T0));
    expect((err as LeaseHeldError).holder).toBe('run-1');
    await store(id).releaseLease(lease);
    expect((await secretOf(id)).annotations?.['credrot-lease']).toBeUndefined();
  });
});

describe('faults', () => {
  it('keeps one version per rotation when AddSecretVersion commits and the connection drops', async () => {
    const id = secretId();
    const s = store(id);
    fault('AddSecretVersion', { type: 'crash-after-commit' });
    await s.stage(credential(ROT_A, 1)); // finds the version it made instead of adding another
    expect(callsOn(id, 'AddSecretVersion')).toHaveLength(1);
    expect(await versionsHolding(id, ROT_A)).toBe(1);
    expect((await s.read()).pending?.versionId).toBe('1');
  });

  it('keeps one version per rotation when a stage that died after AddSecretVersion is run again', async () => {
    const id = secretId();
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    await s.promote(ROT_A, T0);
    fault('AddSecretVersion', { type: 'crash-after-commit' });
    // The look-up that would recover the version fails too (INTERNAL is not retried).
    fault('ListSecretVersions', { type: 'status', status: 500 }, 2);
    const err = await rejection(s.stage(credential(ROT_B, 2)));
    expect(err).toBeInstanceOf(ProviderError);
    expect(await aliases(id)).toEqual({ current: 1 });

    await s.stage(credential(ROT_B, 2));
    expect(callsOn(id, 'AddSecretVersion')).toHaveLength(2);
    expect(await versionsHolding(id, ROT_B)).toBe(1);
    expect(await aliases(id)).toEqual({ current: 1, pending: 2 });
  });

  it('survives a replayed UpdateSecret after a crash-after-commit through the etag check', async () => {
    const id = secretId();
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    fault('UpdateSecret', { type: 'crash-after-commit' });
    await s.promote(ROT_A, T0);
    expect(emu.faults.fired.at(-1)?.action.type).toBe('crash-after-commit');
    // Committed (the answer was dropped), then replayed by the client and refused by the etag.
    expect(
      callsOn(id, 'UpdateSecret')
        .slice(-2)
        .map((c) => c.code),
    ).toEqual([Status.OK, Status.FAILED_PRECONDITION]);
    expect(await aliases(id)).toEqual({ current: 1 });
  });

  it('retries reads through a 429, a 503 and a dropped hung call', async () => {
    const id = secretId();
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    fault('GetSecret', { type: 'status', status: 429, retryAfterSeconds: 1 });
    fault('GetSecret', { type: 'status', status: 503 }, 2);
    fault('GetSecret', { type: 'hang', ms: 100 }, 3);
    const state = await s.read();
    expect(state.pending?.versionId).toBe('1');
    expect(
      callsOn(id, 'GetSecret')
        .slice(-4)
        .map((c) => c.code),
    ).toEqual([Status.RESOURCE_EXHAUSTED, Status.UNAVAILABLE, -1, Status.OK]);
  });

  it('does not retry AddSecretVersion after a hang, and adds nothing', async () => {
    const id = secretId();
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    fault('AddSecretVersion', { type: 'hang', ms: 100 });
    const err = await rejection(s.stage(credential(ROT_B, 2)));
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(true);
    expect(callsOn(id, 'AddSecretVersion')).toHaveLength(2);
    expect(Object.keys(await versionStates(id))).toEqual(['1']);
  });

  it('reports INTERNAL as a retryable ProviderError with the HTTP status and the secret', async () => {
    const id = secretId();
    fault('GetSecret', { type: 'status', status: 500 });
    const err = await rejection(store(id).read());
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).status).toBe(500);
    expect((err as ProviderError).retryable).toBe(true);
    expect(err.message).toContain(fullName(id));
  });

  it('reports PERMISSION_DENIED as a PermissionError naming the role to grant', async () => {
    const id = secretId();
    fault('GetSecret', { type: 'status', status: 403 });
    const err = await rejection(store(id).stage(credential(ROT_A, 1)));
    expect(err).toBeInstanceOf(PermissionError);
    expect((err as PermissionError).status).toBe(403);
    expect(err.message).toContain('roles/secretmanager.admin');
  });
});

describe('with the rotation engine', () => {
  it('carries two rotations and the retirement of the replaced credential after its grace period', async () => {
    const DAY = 86_400_000;
    const s = store(secretId());
    const source = new MemorySource('app');
    const sink = new MemorySink('ci variable');
    let now = T0;
    const target: RotationTarget = {
      name: 'app',
      source,
      stores: [s],
      sinks: [sink],
      policy: { lifetimeMs: 30 * DAY, gracePeriodMs: 3_600_000 },
    };
    const run = (force: boolean) =>
      rotate(target, { trigger: 'cli', force, holder: 'engine-test', now: () => now });

    expect((await run(false)).result).toBe('rotated');
    const first = (await s.read()).current;
    expect(first && source.isValid(first.value.token)).toBe(true);
    expect(sink.value).toBe(first?.value.token);

    now = new Date(T0.getTime() + DAY);
    expect((await run(true)).result).toBe('rotated');
    let state = await s.read();
    expect(state.previous?.value.rotationId).toBe(first?.value.rotationId);
    expect(state.previousRetired).toBe(false);
    expect(source.isValid(first?.value.token ?? '')).toBe(true);

    now = new Date(now.getTime() + 2 * 3_600_000);
    expect((await run(false)).result).toBe('retired-previous');
    state = await s.read();
    expect(state.previousRetired).toBe(true);
    expect(source.isValid(first?.value.token ?? '')).toBe(false);
    expect(sink.value).toBe(state.current?.value.token);
  });
});

// Declared last, so it runs after every test above (vitest keeps file order).
it('never puts a secret value in any error it throws', () => {
  expect(thrown.length).toBeGreaterThan(25);
  for (const err of thrown) {
    const e = err as Error & { context?: unknown };
    const text = `${e.name} ${e.message} ${JSON.stringify(e.context ?? {})} ${String(e.stack)}`;
    expect(text).not.toContain(MARKER);
  }
});
