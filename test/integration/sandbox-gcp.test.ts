/**
 * The GCP Secret Manager emulator, exercised through the real
 * `@google-cloud/secret-manager` client built with `clientOptions`.
 */
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { GoogleAuth, grpc } from 'google-gax';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  clientOptions,
  crc32c,
  type PubSubMessage,
  type SecretManagerEmulator,
  startSecretManagerEmulator,
} from '../../sandbox/gcp/index.js';

const PROJECT = 'projects/credrot-test';
const TOPIC = 'projects/credrot-test/topics/secret-events';
const Status = grpc.status;

let emu: SecretManagerEmulator;
let client: SecretManagerServiceClient;
const delivered: PubSubMessage[] = [];
let seq = 0;

/** A fresh secret id per test so tests never see each other's state. */
function uniqueId(prefix = 's'): string {
  seq += 1;
  return `${prefix}-${seq}`;
}

async function createSecret(extra: Record<string, unknown> = {}, id = uniqueId()) {
  const [secret] = await client.createSecret({
    parent: PROJECT,
    secretId: id,
    secret: { replication: { automatic: {} }, ...extra },
  });
  return secret;
}

async function addVersion(parent: string, value: string) {
  const [version] = await client.addSecretVersion({
    parent,
    payload: { data: Buffer.from(value) },
  });
  return version;
}

/** Awaits a rejected call and answers its error with the numeric gRPC code. */
async function rpcError(p: Promise<unknown>): Promise<Error & { code: number; details?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code: number; details?: string };
  }
  throw new Error('expected the call to fail');
}

function decode(msg: PubSubMessage): Record<string, unknown> {
  return JSON.parse(Buffer.from(msg.data, 'base64').toString('utf8')) as Record<string, unknown>;
}

function callsTo(operation: string) {
  return emu.calls.filter((c) => c.operation === operation);
}

beforeAll(async () => {
  emu = await startSecretManagerEmulator({ onNotification: (m) => void delivered.push(m) });
  client = new SecretManagerServiceClient(clientOptions(emu));
});

afterAll(async () => {
  await client.close();
  await emu.close();
});

beforeEach(() => {
  emu.faults.clear();
  emu.calls.length = 0;
});

describe('connecting', () => {
  it('serves the real client without it ever looking for Google credentials', async () => {
    const getClient = vi.spyOn(GoogleAuth.prototype, 'getClient');
    const fresh = new SecretManagerServiceClient(clientOptions(emu));
    const secret = await createSecret();
    const [got] = await fresh.getSecret({ name: secret.name });
    expect(got.name).toBe(secret.name);
    expect(getClient).not.toHaveBeenCalled();
    getClient.mockRestore();
    await fresh.close();
  });

  it('computes CRC32C as the Castagnoli polynomial defines it', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('secrets', () => {
  it('creates a secret with labels, annotations and a quoted etag', async () => {
    const secret = await createSecret({
      labels: { env: 'prod' },
      annotations: { 'credrot.io-owner': 'ci' },
    });
    expect(secret.name).toMatch(/^projects\/credrot-test\/secrets\/s-\d+$/);
    expect(secret.etag).toMatch(/^"[0-9a-f]+"$/);
    expect(secret.labels).toEqual({ env: 'prod' });
    expect(secret.annotations).toEqual({ 'credrot.io-owner': 'ci' });
    expect(secret.replication?.automatic).toBeTruthy();
    expect(Number(secret.createTime?.seconds)).toBeGreaterThan(0);
  });

  it('refuses a second secret with the same id with ALREADY_EXISTS', async () => {
    const id = uniqueId();
    await createSecret({}, id);
    const err = await rpcError(createSecret({}, id));
    expect(err.code).toBe(Status.ALREADY_EXISTS);
    expect(err.details).toBe(`Secret [${PROJECT}/secrets/${id}] already exists.`);
  });

  it('rejects an invalid secret id, a missing replication policy and a bad parent', async () => {
    expect((await rpcError(createSecret({}, 'has space'))).code).toBe(Status.INVALID_ARGUMENT);
    const noReplication = client.createSecret({
      parent: PROJECT,
      secretId: uniqueId(),
      secret: {},
    });
    expect((await rpcError(noReplication)).code).toBe(Status.INVALID_ARGUMENT);
    const badParent = client.createSecret({
      parent: 'organizations/1',
      secretId: uniqueId(),
      secret: { replication: { automatic: {} } },
    });
    expect((await rpcError(badParent)).code).toBe(Status.INVALID_ARGUMENT);
  });

  it('answers NOT_FOUND in Google words for a missing secret', async () => {
    const err = await rpcError(client.getSecret({ name: `${PROJECT}/secrets/missing` }));
    expect(err.code).toBe(Status.NOT_FOUND);
    expect(err.details).toBe(`Secret [${PROJECT}/secrets/missing] not found or has no versions.`);
  });

  it('updates only the masked fields and issues a new etag on every change', async () => {
    const secret = await createSecret({ labels: { env: 'dev' }, annotations: { keep: 'me' } });
    const [updated] = await client.updateSecret({
      secret: { name: secret.name, labels: { env: 'prod' }, annotations: {}, etag: secret.etag },
      updateMask: { paths: ['labels'] },
    });
    expect(updated.labels).toEqual({ env: 'prod' });
    expect(updated.annotations).toEqual({ keep: 'me' });
    expect(updated.etag).not.toBe(secret.etag);
  });

  it('fails an update carrying a stale etag with FAILED_PRECONDITION and changes nothing', async () => {
    const secret = await createSecret({ labels: { env: 'dev' } });
    await client.updateSecret({
      secret: { name: secret.name, annotations: { step: 'one' } },
      updateMask: { paths: ['annotations'] },
    });
    const err = await rpcError(
      client.updateSecret({
        secret: { name: secret.name, labels: { env: 'prod' }, etag: secret.etag },
        updateMask: { paths: ['labels'] },
      }),
    );
    expect(err.code).toBe(Status.FAILED_PRECONDITION);
    const [now] = await client.getSecret({ name: secret.name });
    expect(now.labels).toEqual({ env: 'dev' });
  });

  it('requires an update mask and refuses to change the replication policy', async () => {
    const secret = await createSecret();
    const noMask = client.updateSecret({ secret: { name: secret.name, labels: { a: 'b' } } });
    expect((await rpcError(noMask)).code).toBe(Status.INVALID_ARGUMENT);
    const replication = client.updateSecret({
      secret: { name: secret.name, replication: { automatic: {} } },
      updateMask: { paths: ['replication'] },
    });
    expect((await rpcError(replication)).code).toBe(Status.INVALID_ARGUMENT);
  });

  it('deletes a secret only when the given etag is current', async () => {
    const secret = await createSecret();
    const stale = client.deleteSecret({ name: secret.name, etag: '"0000"' });
    expect((await rpcError(stale)).code).toBe(Status.FAILED_PRECONDITION);
    await client.deleteSecret({ name: secret.name, etag: secret.etag });
    expect((await rpcError(client.getSecret({ name: secret.name }))).code).toBe(Status.NOT_FOUND);
  });

  it('pages through secrets with the auto-paginating listSecrets and listSecretsAsync', async () => {
    const parent = 'projects/paging-project';
    for (let i = 0; i < 7; i++) {
      await client.createSecret({
        parent,
        secretId: `page-${i}`,
        secret: { replication: { automatic: {} }, labels: { env: i % 2 === 0 ? 'prod' : 'dev' } },
      });
    }
    emu.calls.length = 0;
    const [all] = await client.listSecrets({ parent, pageSize: 3 });
    expect(all.map((s) => s.name)).toEqual(
      Array.from({ length: 7 }, (_, i) => `${parent}/secrets/page-${i}`),
    );
    expect(callsTo('gcp.ListSecrets')).toHaveLength(3);

    const seen: string[] = [];
    for await (const s of client.listSecretsAsync({ parent, pageSize: 2 })) seen.push(s.name ?? '');
    expect(seen).toHaveLength(7);

    const [prod] = await client.listSecrets({ parent, filter: 'labels.env=prod' });
    expect(prod).toHaveLength(4);
    const [byName] = await client.listSecrets({ parent, filter: 'name:page-3' });
    expect(byName.map((s) => s.name)).toEqual([`${parent}/secrets/page-3`]);
  });

  it('names resources by project number when one is configured, accepting either form', async () => {
    const numbered = await startSecretManagerEmulator({
      projectNumbers: { 'my-project': '123456789012' },
    });
    const c = new SecretManagerServiceClient(clientOptions(numbered));
    const [secret] = await c.createSecret({
      parent: 'projects/my-project',
      secretId: 'db',
      secret: { replication: { automatic: {} } },
    });
    expect(secret.name).toBe('projects/123456789012/secrets/db');
    const [got] = await c.getSecret({ name: 'projects/my-project/secrets/db' });
    expect(got.name).toBe(secret.name);
    await c.close();
    await numbered.close();
  });

  it('deletes a secret when its ttl runs out', async () => {
    const clock = await startSecretManagerEmulator({ now: () => new Date('2030-01-01T00:00:00Z') });
    const c = new SecretManagerServiceClient(clientOptions(clock));
    const [secret] = await c.createSecret({
      parent: PROJECT,
      secretId: 'short-lived',
      secret: { replication: { automatic: {} }, ttl: { seconds: 3600 } },
    });
    expect(new Date(Number(secret.expireTime?.seconds) * 1000).toISOString()).toBe(
      '2030-01-01T01:00:00.000Z',
    );
    clock.setNow(new Date('2030-01-01T01:00:01Z'));
    expect((await rpcError(c.getSecret({ name: secret.name }))).code).toBe(Status.NOT_FOUND);
    await c.close();
    await clock.close();
  });
});

describe('versions', () => {
  it('stores a payload, verifies a client checksum and returns the CRC32C on access', async () => {
    const secret = await createSecret();
    const data = Buffer.from('token-value-1');
    const [version] = await client.addSecretVersion({
      parent: secret.name,
      payload: { data, dataCrc32c: crc32c(data) },
    });
    expect(version.name).toBe(`${secret.name}/versions/1`);
    expect(version.state).toBe('ENABLED');
    expect(version.clientSpecifiedPayloadChecksum).toBe(true);
    const [access] = await client.accessSecretVersion({ name: `${secret.name}/versions/1` });
    expect(Buffer.from(access.payload?.data ?? '').toString()).toBe('token-value-1');
    expect(Number(access.payload?.dataCrc32c)).toBe(crc32c(data));
  });

  it('rejects a payload whose checksum does not match with INVALID_ARGUMENT', async () => {
    const secret = await createSecret();
    const err = await rpcError(
      client.addSecretVersion({
        parent: secret.name,
        payload: { data: Buffer.from('value'), dataCrc32c: 12345 },
      }),
    );
    expect(err.code).toBe(Status.INVALID_ARGUMENT);
    const [versions] = await client.listSecretVersions({ parent: secret.name });
    expect(versions).toHaveLength(0);
  });

  it('resolves latest, a number and an alias, answering the numbered name', async () => {
    const secret = await createSecret();
    await addVersion(secret.name ?? '', 'one');
    await addVersion(secret.name ?? '', 'two');
    await client.updateSecret({
      secret: { name: secret.name, versionAliases: { current: 1 } },
      updateMask: { paths: ['version_aliases'] },
    });
    const read = async (v: string) => {
      const [r] = await client.accessSecretVersion({ name: `${secret.name}/versions/${v}` });
      return [r.name, Buffer.from(r.payload?.data ?? '').toString()];
    };
    expect(await read('latest')).toEqual([`${secret.name}/versions/2`, 'two']);
    expect(await read('2')).toEqual([`${secret.name}/versions/2`, 'two']);
    expect(await read('current')).toEqual([`${secret.name}/versions/1`, 'one']);
    const [byAlias] = await client.getSecretVersion({ name: `${secret.name}/versions/current` });
    expect(byAlias.name).toBe(`${secret.name}/versions/1`);
    const [got] = await client.getSecret({ name: secret.name });
    expect(got.versionAliases).toEqual({ current: '1' });
  });

  it('rejects aliases to missing versions and reserved alias names', async () => {
    const secret = await createSecret();
    await addVersion(secret.name ?? '', 'one');
    const invalid: Record<string, number>[] = [{ next: 9 }, { latest: 1 }, { '1bad': 1 }];
    for (const aliases of invalid) {
      const err = await rpcError(
        client.updateSecret({
          secret: { name: secret.name, versionAliases: aliases },
          updateMask: { paths: ['versionAliases'] },
        }),
      );
      expect(err.code).toBe(Status.INVALID_ARGUMENT);
    }
  });

  it('answers NOT_FOUND for a missing version and for latest of an empty secret', async () => {
    const secret = await createSecret();
    const empty = await rpcError(
      client.accessSecretVersion({ name: `${secret.name}/versions/latest` }),
    );
    expect(empty.code).toBe(Status.NOT_FOUND);
    expect(empty.details).toBe(`Secret [${secret.name}] not found or has no versions.`);
    const missing = await rpcError(client.getSecretVersion({ name: `${secret.name}/versions/4` }));
    expect(missing.code).toBe(Status.NOT_FOUND);
    expect(missing.details).toBe(`Secret Version [${secret.name}/versions/4] not found.`);
  });

  it('refuses access to disabled and destroyed versions with FAILED_PRECONDITION', async () => {
    const secret = await createSecret();
    const v1 = await addVersion(secret.name ?? '', 'one');
    const [disabled] = await client.disableSecretVersion({ name: v1.name, etag: v1.etag });
    expect(disabled.state).toBe('DISABLED');
    expect(disabled.etag).not.toBe(v1.etag);
    const off = await rpcError(client.accessSecretVersion({ name: v1.name }));
    expect(off.code).toBe(Status.FAILED_PRECONDITION);
    expect(off.details).toBe(`Secret Version [${v1.name}] is in DISABLED state.`);

    const [enabled] = await client.enableSecretVersion({ name: v1.name });
    expect(enabled.state).toBe('ENABLED');
    const [destroyed] = await client.destroySecretVersion({ name: v1.name });
    expect(destroyed.state).toBe('DESTROYED');
    expect(destroyed.destroyTime).toBeTruthy();
    const gone = await rpcError(client.accessSecretVersion({ name: v1.name }));
    expect(gone.code).toBe(Status.FAILED_PRECONDITION);
    expect(gone.details).toBe(`Secret Version [${v1.name}] is in DESTROYED state.`);
    const revive = await rpcError(client.enableSecretVersion({ name: v1.name }));
    expect(revive.code).toBe(Status.FAILED_PRECONDITION);
  });

  it('fails a version state change carrying a stale etag', async () => {
    const secret = await createSecret();
    const v1 = await addVersion(secret.name ?? '', 'one');
    await client.enableSecretVersion({ name: v1.name }); // a no-op that still changes the etag
    const err = await rpcError(client.disableSecretVersion({ name: v1.name, etag: v1.etag }));
    expect(err.code).toBe(Status.FAILED_PRECONDITION);
  });

  it('lists versions newest first and filters them by state', async () => {
    const secret = await createSecret();
    for (const v of ['a', 'b', 'c']) await addVersion(secret.name ?? '', v);
    await client.disableSecretVersion({ name: `${secret.name}/versions/2` });
    const [all] = await client.listSecretVersions({ parent: secret.name });
    expect(all.map((v) => v.name?.split('/').pop())).toEqual(['3', '2', '1']);
    const [enabled] = await client.listSecretVersions({
      parent: secret.name,
      filter: 'state:ENABLED',
    });
    expect(enabled.map((v) => v.name?.split('/').pop())).toEqual(['3', '1']);
  });

  it('answers UNIMPLEMENTED for methods the sandbox does not model', async () => {
    const secret = await createSecret();
    const err = await rpcError(client.rotateSecret({ parent: secret.name }));
    expect(err.code).toBe(Status.UNIMPLEMENTED);
  });
});

describe('notifications', () => {
  it('publishes one message per change with eventType, ids and the resource as JSON', async () => {
    const secret = await createSecret({ topics: [{ name: TOPIC }] });
    const name = secret.name ?? '';
    const v1 = await addVersion(name, 'one');
    await client.disableSecretVersion({ name: v1.name });
    await client.enableSecretVersion({ name: v1.name });
    await client.accessSecretVersion({ name: v1.name });
    await client.getSecret({ name });
    await client.updateSecret({
      secret: { name, labels: { env: 'prod' } },
      updateMask: { paths: ['labels'] },
    });
    await client.destroySecretVersion({ name: v1.name });
    await client.deleteSecret({ name });
    await emu.drainNotifications();

    const mine = delivered.filter((m) => m.attributes['secretId'] === name || m.data === '');
    const types = mine
      .filter((m) => m.attributes['secretId'] === name)
      .map((m) => m.attributes['eventType']);
    expect(types).toEqual([
      'SECRET_CREATE',
      'SECRET_VERSION_ADD',
      'SECRET_VERSION_DISABLE',
      'SECRET_VERSION_ENABLE',
      'SECRET_UPDATE',
      'SECRET_VERSION_DESTROY',
      'SECRET_DELETE',
    ]);
    const add = mine.find((m) => m.attributes['eventType'] === 'SECRET_VERSION_ADD')!;
    expect(add.topic).toBe(TOPIC);
    expect(add.attributes).toMatchObject({ dataFormat: 'JSON_API_V1', versionId: v1.name });
    expect(decode(add)).toMatchObject({ name: v1.name, state: 'ENABLED' });
    const update = mine.find((m) => m.attributes['eventType'] === 'SECRET_UPDATE')!;
    expect(decode(update)).toMatchObject({
      name,
      labels: { env: 'prod' },
      topics: [{ name: TOPIC }],
    });
    expect(emu.notifications).toEqual(expect.arrayContaining(mine));
  });

  it('sends the TOPIC_CONFIGURED test message when topics are configured', async () => {
    const before = emu.notifications.length;
    await createSecret({ topics: [{ name: TOPIC }] });
    const first = emu.notifications[before]!;
    expect(first.attributes).toEqual({ eventType: 'TOPIC_CONFIGURED' });
    expect(first.data).toBe('');
  });

  it('publishes nothing for a secret without topics', async () => {
    const before = emu.notifications.length;
    const secret = await createSecret();
    await addVersion(secret.name ?? '', 'x');
    expect(emu.notifications.length).toBe(before);
  });
});

describe('rotation schedules', () => {
  const start = new Date('2031-03-01T00:00:00Z');
  let clockEmu: SecretManagerEmulator;
  let c: SecretManagerServiceClient;
  const rotations: PubSubMessage[] = [];

  beforeAll(async () => {
    clockEmu = await startSecretManagerEmulator({
      now: () => start,
      onNotification: (m) => {
        if (m.attributes['eventType'] === 'SECRET_ROTATE') rotations.push(m);
      },
    });
    c = new SecretManagerServiceClient(clientOptions(clockEmu));
  });

  afterAll(async () => {
    await c.close();
    await clockEmu.close();
  });

  const seconds = (d: Date) => ({ seconds: Math.floor(d.getTime() / 1000) });

  it('requires topics, a next time for a period, and a next time at least 5 minutes ahead', async () => {
    const create = (secret: Record<string, unknown>) =>
      c.createSecret({
        parent: PROJECT,
        secretId: uniqueId('rot'),
        secret: { replication: { automatic: {} }, ...secret },
      });
    const soon = new Date(start.getTime() + 60_000);
    const later = new Date(start.getTime() + 86_400_000);
    const cases = [
      { rotation: { nextRotationTime: seconds(later) } },
      { topics: [{ name: TOPIC }], rotation: { rotationPeriod: { seconds: 86_400 } } },
      { topics: [{ name: TOPIC }], rotation: { nextRotationTime: seconds(soon) } },
      {
        topics: [{ name: TOPIC }],
        rotation: { nextRotationTime: seconds(later), rotationPeriod: { seconds: 60 } },
      },
    ];
    for (const secret of cases) {
      expect((await rpcError(create(secret))).code).toBe(Status.INVALID_ARGUMENT);
    }
  });

  it('emits SECRET_ROTATE on tick once next_rotation_time passes and advances it by the period', async () => {
    const next = new Date(start.getTime() + 86_400_000);
    const [secret] = await c.createSecret({
      parent: PROJECT,
      secretId: uniqueId('rot'),
      secret: {
        replication: { automatic: {} },
        topics: [{ name: TOPIC }],
        rotation: { nextRotationTime: seconds(next), rotationPeriod: { seconds: 30 * 86_400 } },
      },
    });
    await clockEmu.tick();
    expect(rotations).toHaveLength(0);

    clockEmu.setNow(new Date(next.getTime() + 1000));
    await clockEmu.tick();
    expect(rotations).toHaveLength(1);
    expect(rotations[0]!.attributes).toMatchObject({
      eventType: 'SECRET_ROTATE',
      secretId: secret.name,
      dataFormat: 'JSON_API_V1',
    });
    const advanced = '2031-04-01T00:00:00Z'; // 2031-03-02 + 30 days
    expect(decode(rotations[0]!)).toMatchObject({
      name: secret.name,
      rotation: { nextRotationTime: advanced, rotationPeriod: '2592000s' },
    });
    const [got] = await c.getSecret({ name: secret.name });
    expect(new Date(Number(got.rotation?.nextRotationTime?.seconds) * 1000).toISOString()).toBe(
      '2031-04-01T00:00:00.000Z',
    );
    await clockEmu.tick();
    expect(rotations).toHaveLength(1);
  });
});

describe('faults', () => {
  it('answers an injected 429 as RESOURCE_EXHAUSTED with RetryInfo, and AddSecretVersion is not retried', async () => {
    const secret = await createSecret();
    emu.faults.addRule({
      operation: 'gcp.AddSecretVersion',
      action: { type: 'status', status: 429, retryAfterSeconds: 7 },
    });
    const err = (await rpcError(addVersion(secret.name ?? '', 'x'))) as Error & {
      code: number;
      statusDetails?: unknown[];
    };
    expect(err.code).toBe(Status.RESOURCE_EXHAUSTED);
    expect(JSON.stringify(err.statusDetails)).toContain('"retryDelay":{"seconds":"7"');
    expect(callsTo('gcp.AddSecretVersion')).toHaveLength(1);
    const [versions] = await client.listSecretVersions({ parent: secret.name });
    expect(versions).toHaveLength(0);
  });

  it('lets the client retry AccessSecretVersion through a 429 and a 503', async () => {
    const secret = await createSecret();
    await addVersion(secret.name ?? '', 'value');
    emu.faults.addRule({
      operation: 'gcp.AccessSecretVersion',
      nth: 1,
      action: { type: 'status', status: 429 },
    });
    emu.faults.addRule({
      operation: 'gcp.AccessSecretVersion',
      nth: 2,
      action: { type: 'status', status: 503 },
    });
    const [access] = await client.accessSecretVersion({ name: `${secret.name}/versions/1` });
    expect(Buffer.from(access.payload?.data ?? '').toString()).toBe('value');
    expect(callsTo('gcp.AccessSecretVersion').map((c) => c.code)).toEqual([
      Status.RESOURCE_EXHAUSTED,
      Status.UNAVAILABLE,
      Status.OK,
    ]);
  });

  it('maps 500 to INTERNAL and 409 to ABORTED, changing nothing', async () => {
    const secret = await createSecret({ labels: { env: 'dev' } });
    emu.faults.addRule({
      operation: 'gcp.GetSecret',
      nth: 1,
      action: { type: 'status', status: 500 },
    });
    expect((await rpcError(client.getSecret({ name: secret.name }))).code).toBe(Status.INTERNAL);
    emu.faults.addRule({
      operation: 'gcp.UpdateSecret',
      nth: 1,
      action: { type: 'status', status: 409 },
    });
    const update = client.updateSecret({
      secret: { name: secret.name, labels: { env: 'prod' } },
      updateMask: { paths: ['labels'] },
    });
    expect((await rpcError(update)).code).toBe(Status.ABORTED);
    const [got] = await client.getSecret({ name: secret.name });
    expect(got.labels).toEqual({ env: 'dev' });
    expect(callsTo('gcp.GetSecret').map((c) => c.status)).toEqual([500, 200]);
  });

  it('hangs a call until the client timeout fires, without doing the work', async () => {
    const secret = await createSecret();
    emu.faults.addRule({
      operation: 'gcp.AddSecretVersion',
      action: { type: 'hang', ms: 5_000 },
    });
    const started = Date.now();
    const err = await rpcError(
      client.addSecretVersion(
        { parent: secret.name, payload: { data: Buffer.from('x') } },
        { timeout: 300 },
      ),
    );
    expect(err.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(2_000);
    emu.faults.clear();
    const [versions] = await client.listSecretVersions({ parent: secret.name });
    expect(versions).toHaveLength(0);
  });

  it('drops a hung call with UNAVAILABLE after the hang time', async () => {
    const secret = await createSecret();
    emu.faults.addRule({ operation: 'gcp.GetSecret', action: { type: 'hang', ms: 150 } });
    const err = await rpcError(client.getSecret({ name: secret.name }));
    expect(err.code).toBe(Status.UNAVAILABLE);
    expect(callsTo('gcp.GetSecret')).toHaveLength(1);
    expect(callsTo('gcp.GetSecret')[0]!.status).toBe(0);
  });

  it('commits AddSecretVersion before a crash, and the client does not retry it', async () => {
    const secret = await createSecret();
    emu.faults.addRule({
      operation: 'gcp.AddSecretVersion',
      action: { type: 'crash-after-commit' },
    });
    const err = await rpcError(addVersion(secret.name ?? '', 'committed'));
    expect(err.code).toBe(Status.UNAVAILABLE);
    expect(callsTo('gcp.AddSecretVersion')).toHaveLength(1);
    emu.faults.clear();
    const [access] = await client.accessSecretVersion({ name: `${secret.name}/versions/latest` });
    expect(Buffer.from(access.payload?.data ?? '').toString()).toBe('committed');
  });

  it('lets the client retry AccessSecretVersion after a crash-after-commit', async () => {
    const secret = await createSecret();
    await addVersion(secret.name ?? '', 'value');
    emu.faults.addRule({
      operation: 'gcp.AccessSecretVersion',
      nth: 1,
      action: { type: 'crash-after-commit' },
    });
    const [access] = await client.accessSecretVersion({ name: `${secret.name}/versions/1` });
    expect(Buffer.from(access.payload?.data ?? '').toString()).toBe('value');
    expect(callsTo('gcp.AccessSecretVersion')).toHaveLength(2);
  });

  it('adds the planned latency to every call', async () => {
    const secret = await createSecret();
    emu.faults.setPlan({ latency: 120 });
    const started = Date.now();
    await client.getSecret({ name: secret.name });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });
});
