/**
 * AwsSecretsManagerStore through the real `@aws-sdk/client-secrets-manager` against the
 * Secrets Manager emulator, in process on port 0.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSecretsManagerEmulator,
  type SecretsManagerEmulator,
} from '../../sandbox/aws/index.js';
import type { FaultAction } from '../../sandbox/faults.js';
import { listen, type RunningServer } from '../../sandbox/http.js';
import {
  CredrotError,
  LeaseHeldError,
  OwnershipError,
  PermissionError,
  ProviderError,
} from '../../shared/errors.js';
import { type RotationTarget, rotate } from '../../shared/rotation/engine.js';
import type { StoredCredential } from '../../shared/rotation/types.js';
import { AwsSecretsManagerStore } from '../../shared/stores/aws-secrets-manager/store.js';
import { MemorySink, MemorySource } from '../unit/support/memory-world.js';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const MARKER = 'S3CRET-VALUE';
const ROT_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const ROT_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const ROT_C = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';

let emu: SecretsManagerEmulator;
let server: RunningServer;
const clients: SecretsManagerClient[] = [];
/** Every error a store threw in this file; the last test scans them for secret values. */
const thrown: unknown[] = [];
let seq = 0;

function sdk(extra: Partial<SecretsManagerClientConfig> = {}): SecretsManagerClient {
  const c = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIASANDBOX', secretAccessKey: 'sandbox-not-a-secret' },
    ...extra,
  });
  clients.push(c);
  return c;
}

function store(secretId: string, extra: Partial<SecretsManagerClientConfig> = {}) {
  return new AwsSecretsManagerStore({ secretId, client: sdk(extra), tags: { team: 'platform' } });
}

function secretName(): string {
  seq += 1;
  return `credrot/app-${seq}`;
}

function credential(rotationId: string, sourceId: number): StoredCredential {
  return {
    token: `glpat-${MARKER}-${sourceId}`,
    kind: 'gitlab-project-access-token',
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

/** Labels per version, oldest first, as the emulator holds them. */
function labels(secretId: string): string[][] {
  return emu.versions(secretId).map((v) => [...v.stages].sort());
}

function versionsHolding(secretId: string, rotationId: string) {
  return emu.versions(secretId).filter((v) => v.value?.includes(rotationId));
}

function fault(operation: string, action: FaultAction, nth = 1): void {
  emu.router.faults.addRule({ operation: `aws.${operation}`, nth, action });
}

beforeEach(async () => {
  emu = createSecretsManagerEmulator();
  server = await listen(emu.router.listener);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
});

describe('the rotation lifecycle', () => {
  it('creates a tagged secret on the first stage, with the value AWSPENDING and no current credential', async () => {
    const id = secretName();
    const s = store(id);
    expect(await s.read()).toEqual({ exists: false, previousRetired: false });
    await s.stage(credential(ROT_A, 1));

    const state = await s.read();
    expect(state.exists).toBe(true);
    expect(state.current).toBeUndefined();
    expect(state.pending).toEqual({ versionId: ROT_A, value: credential(ROT_A, 1) });
    const described = await sdk().send(new DescribeSecretCommand({ SecretId: id }));
    expect(described.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'managed-by', Value: 'credrot' },
        { Key: 'team', Value: 'platform' },
      ]),
    );
    // The placeholder is AWSCURRENT, so AWS can never make the pending value current itself.
    expect(labels(id)).toEqual([['AWSCURRENT'], ['AWSPENDING']]);
  });

  it('moves AWSCURRENT, AWSPREVIOUS and AWSPENDING through stage → promote → stage → promote', async () => {
    const id = secretName();
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    await s.promote(ROT_A, T0);
    let state = await s.read();
    expect(state.current?.value.sourceId).toBe(1);
    expect(state.pending).toBeUndefined();
    expect(state.previous).toBeUndefined(); // the placeholder is not a credential
    expect(state.promotedAt).toEqual(T0);

    const later = new Date(T0.getTime() + 3_600_000);
    await s.stage(credential(ROT_B, 2));
    state = await s.read();
    expect(state.current?.versionId).toBe(ROT_A);
    expect(state.pending?.versionId).toBe(ROT_B);
    await s.promote(ROT_B, later);

    state = await s.read();
    expect(state.current).toEqual({ versionId: ROT_B, value: credential(ROT_B, 2) });
    expect(state.previous).toEqual({ versionId: ROT_A, value: credential(ROT_A, 1) });
    expect(state.pending).toBeUndefined();
    expect(state.previousRetired).toBe(false);
    expect(state.promotedAt).toEqual(later);
    expect(labels(id)).toEqual([[], ['AWSPREVIOUS'], ['AWSCURRENT']]);
  });

  it('records the retirement of the previous version and forgets it when that version stops being previous', async () => {
    const id = secretName();
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
    expect((await s.read()).previousRetired).toBe(true);
    expect(emu.versions(id).find((v) => v.versionId === ROT_A)?.stages).toContain(
      'CREDROT_RETIRED',
    );

    await s.stage(credential(ROT_C, 3));
    await s.promote(ROT_C, T0);
    expect((await s.read()).previousRetired).toBe(false);
    await s.markPreviousRetired(ROT_C);
    const state = await s.read();
    expect(state.previous?.versionId).toBe(ROT_B);
    expect(state.previousRetired).toBe(true);
  });

  it('drops AWSPENDING only from the rotation it belongs to', async () => {
    const id = secretName();
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    await s.discardPending(ROT_B);
    expect((await s.read()).pending?.versionId).toBe(ROT_A);
    await s.discardPending(ROT_A);
    const state = await s.read();
    expect(state.pending).toBeUndefined();
    expect(state.current).toBeUndefined();
  });

  it('gives an adopted secret that has no value a placeholder before the first pending value', async () => {
    const id = secretName();
    await sdk().send(
      new CreateSecretCommand({ Name: id, Tags: [{ Key: 'managed-by', Value: 'credrot' }] }),
    );
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    const state = await s.read();
    expect(state.current).toBeUndefined();
    expect(state.pending?.versionId).toBe(ROT_A);
    expect(labels(id)).toEqual([['AWSCURRENT'], ['AWSPENDING']]);

    // Why: like AWS, the emulator makes a secret's first version AWSCURRENT whatever was asked.
    const bare = secretName();
    await sdk().send(new CreateSecretCommand({ Name: bare }));
    await sdk().send(
      new PutSecretValueCommand({
        SecretId: bare,
        SecretString: 'x',
        VersionStages: ['AWSPENDING'],
      }),
    );
    expect(labels(bare)).toEqual([['AWSCURRENT', 'AWSPENDING']]);
  });
});

describe('idempotency', () => {
  it('changes nothing when every method is called a second time', async () => {
    const id = secretName();
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    await s.stage(credential(ROT_A, 1));
    expect(versionsHolding(id, ROT_A)).toHaveLength(1);
    await s.promote(ROT_A, T0);
    await s.stage(credential(ROT_B, 2));
    await s.stage(credential(ROT_B, 2));
    await s.promote(ROT_B, T0);
    const before = labels(id);
    await s.promote(ROT_B, new Date(T0.getTime() + 60_000));
    await s.stage(credential(ROT_B, 2)); // after promote: still nothing
    await s.stage(credential(ROT_A, 1));
    expect(labels(id)).toEqual(before);
    expect((await s.read()).promotedAt).toEqual(T0);

    await s.markPreviousRetired(ROT_B);
    await s.markPreviousRetired(ROT_B);
    expect((await s.read()).previousRetired).toBe(true);

    await s.stage(credential(ROT_C, 3));
    await s.discardPending(ROT_C);
    await s.discardPending(ROT_C);
    const state = await s.read();
    expect(state.pending).toBeUndefined();
    expect(state.current?.versionId).toBe(ROT_B);
    expect(versionsHolding(id, ROT_C)).toHaveLength(1);
  });

  it('does nothing for promote, discard or retire on a secret that does not exist', async () => {
    const s = store(secretName());
    await s.promote(ROT_A, T0);
    await s.discardPending(ROT_A);
    await s.markPreviousRetired(ROT_A);
    expect((await s.read()).exists).toBe(false);
  });
});

describe('ownership', () => {
  it('refuses every write to a secret not tagged managed-by=credrot and names the command that adopts it', async () => {
    const id = secretName();
    await sdk().send(
      new CreateSecretCommand({ Name: id, SecretString: JSON.stringify(credential(ROT_A, 1)) }),
    );
    const s = store(id);
    const attempts = [
      s.stage(credential(ROT_B, 2)),
      s.promote(ROT_B, T0),
      s.discardPending(ROT_B),
      s.markPreviousRetired(ROT_B),
      s.acquireLease('run-1', 60_000, T0),
    ];
    for (const attempt of attempts) {
      const err = await rejection(attempt);
      expect(err).toBeInstanceOf(OwnershipError);
      expect(err.message).toContain(id);
      expect(err.message).toContain(
        `aws secretsmanager tag-resource --secret-id ${id} --tags Key=managed-by,Value=credrot`,
      );
    }
    expect(emu.versions(id)).toHaveLength(1);

    await sdk().send(
      new TagResourceCommand({ SecretId: id, Tags: [{ Key: 'managed-by', Value: 'credrot' }] }),
    );
    await s.stage(credential(ROT_B, 2));
    expect((await s.read()).pending?.versionId).toBe(ROT_B);
  });

  it('refuses to read a value credrot did not write, naming the secret but not the value', async () => {
    const id = secretName();
    await sdk().send(new CreateSecretCommand({ Name: id, SecretString: `hunter2-${MARKER}` }));
    const err = await rejection(store(id).read());
    expect(err).toBeInstanceOf(CredrotError);
    expect(err.message).toContain(id);
    expect(err.message).toContain('does not hold a credrot value');
    expect(err.message).not.toContain('hunter2');
  });
});

describe('the lease', () => {
  it('lets exactly one of 20 concurrent runs on a fresh secret take the lease', async () => {
    const id = secretName();
    // A barrier before each run's PutSecretValue: all 20 have seen the lease free before any
    // of them writes, so every one of them reaches the compare-and-swap.
    let arrived = 0;
    let open: () => void = () => {};
    const allThere = new Promise<void>((resolve) => {
      open = resolve;
    });
    const stores = Array.from({ length: 20 }, () => {
      const client = sdk();
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'PutSecretValueCommand') {
            arrived += 1;
            if (arrived === 20) open();
            await allThere;
          }
          return next(args);
        },
        { step: 'initialize' },
      );
      return new AwsSecretsManagerStore({ secretId: id, client });
    });
    const results = await Promise.allSettled(
      stores.map((s, i) => s.acquireLease(`run-${i}`, 60_000, T0)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    thrown.push(...lost);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    // The losers lost at the compare-and-swap itself, not at a read before it.
    const refusedMoves = emu.router.calls.filter(
      (c) => c.operation === 'aws.UpdateSecretVersionStage' && c.status === 400,
    );
    expect(refusedMoves).toHaveLength(19);
    for (const err of lost) expect(err).toBeInstanceOf(LeaseHeldError);
    const holder = emu.versions(id).filter((v) => v.stages.includes('CREDROT_LEASE'));
    expect(holder).toHaveLength(1);
    // No scratch labels are left behind, and no lease record became AWSCURRENT.
    expect(emu.versions(id).flatMap((v) => v.stages)).toEqual(['AWSCURRENT', 'CREDROT_LEASE']);
    expect(await store(id).read()).toEqual({ exists: true, previousRetired: false });
  });

  it('takes over an expired lease, and a release by the old holder leaves the new lease alone', async () => {
    const id = secretName();
    const first = await store(id).acquireLease('run-1', 1_000, T0);
    const held = await rejection(
      store(id).acquireLease('run-2', 1_000, new Date(T0.getTime() + 500)),
    );
    expect(held).toBeInstanceOf(LeaseHeldError);
    expect((held as LeaseHeldError).holder).toBe('run-1');

    const second = await store(id).acquireLease('run-2', 1_000, new Date(T0.getTime() + 2_000));
    expect(second.holder).toBe('run-2');
    await store(id).releaseLease(first); // lost long ago: no error, no change
    const still = await rejection(
      store(id).acquireLease('run-3', 1_000, new Date(T0.getTime() + 2_500)),
    );
    expect((still as LeaseHeldError).holder).toBe('run-2');

    await store(id).releaseLease(second);
    await store(id).releaseLease(second);
    const third = await store(id).acquireLease('run-3', 1_000, new Date(T0.getTime() + 2_600));
    expect(third.holder).toBe('run-3');
  });

  it('ignores a release by a run that never held the lease', async () => {
    const id = secretName();
    await store(id).acquireLease('run-1', 60_000, T0);
    await store(id).releaseLease({
      holder: 'impostor',
      expiresAt: T0,
      token: 'dddddddd-dddd-4ddd-8ddd-dddddddddddd',
    });
    const err = await rejection(store(id).acquireLease('run-2', 60_000, T0));
    expect((err as LeaseHeldError).holder).toBe('run-1');
  });
});

describe('faults', () => {
  it('keeps one version per rotation when PutSecretValue commits and the connection drops', async () => {
    const id = secretName();
    const s = store(id);
    fault('PutSecretValue', { type: 'crash-after-commit' });
    await s.stage(credential(ROT_A, 1)); // the SDK replays the same ClientRequestToken
    expect(emu.router.faults.fired).toHaveLength(1);
    expect(emu.router.callCounts()['aws.PutSecretValue']).toBe(2);
    expect(versionsHolding(id, ROT_A)).toHaveLength(1);
    expect((await s.read()).pending?.versionId).toBe(ROT_A);
  });

  it('keeps one version per rotation when a stage that failed after commit is run again', async () => {
    const id = secretName();
    await store(id).stage(credential(ROT_A, 1));
    await store(id).promote(ROT_A, T0);
    const s = store(id, { maxAttempts: 1 });
    fault('PutSecretValue', { type: 'crash-after-commit' });
    const err = await rejection(s.stage(credential(ROT_B, 2)));
    expect(err).toBeInstanceOf(ProviderError);
    await s.stage(credential(ROT_B, 2));
    expect(versionsHolding(id, ROT_B)).toHaveLength(1);
    const state = await s.read();
    expect(state.pending?.versionId).toBe(ROT_B);
    expect(state.current?.versionId).toBe(ROT_A);
  });

  it('waits out a 429 with Retry-After and retries a 503, through the SDK', async () => {
    const id = secretName();
    const s = store(id);
    await s.stage(credential(ROT_A, 1));
    fault('DescribeSecret', { type: 'status', status: 429, retryAfterSeconds: 1 });
    fault('PutSecretValue', { type: 'status', status: 503 });
    await s.stage(credential(ROT_B, 2));
    expect((await s.read()).pending?.versionId).toBe(ROT_B);
    expect(emu.router.faults.fired.map((f) => f.operation)).toEqual([
      'aws.DescribeSecret',
      'aws.PutSecretValue',
    ]);
  });

  it('reports a 5xx that outlasts the retries as a retryable ProviderError with the status', async () => {
    const id = secretName();
    const s = store(id, { maxAttempts: 1 });
    fault('DescribeSecret', { type: 'status', status: 500 });
    const err = await rejection(s.read());
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).status).toBe(500);
    expect((err as ProviderError).retryable).toBe(true);
    expect(err.message).toContain(id);
  });

  it('reports AccessDenied as a PermissionError naming the IAM action to grant', async () => {
    const id = secretName();
    fault('DescribeSecret', { type: 'status', status: 403 });
    const err = await rejection(store(id).stage(credential(ROT_A, 1)));
    expect(err).toBeInstanceOf(PermissionError);
    expect(err.message).toContain('secretsmanager:DescribeSecret');
  });

  it('gives up on a hung call at the client timeout without changing anything', async () => {
    const id = secretName();
    const s = store(id, {
      maxAttempts: 1,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    fault('CreateSecret', { type: 'hang', ms: 1_000 });
    const err = await rejection(s.stage(credential(ROT_A, 1)));
    expect(emu.router.faults.fired.map((f) => f.action.type)).toEqual(['hang']);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(true);
    expect((await store(id).read()).exists).toBe(false);
  });
});

describe('with the rotation engine', () => {
  it('carries two rotations and the retirement of the replaced credential after its grace period', async () => {
    const DAY = 86_400_000;
    const s = store(secretName());
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
