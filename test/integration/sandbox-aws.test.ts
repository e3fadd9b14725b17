import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSecretsManagerEmulator,
  type RotationEvent,
  type SecretsManagerEmulator,
} from '../../sandbox/aws/index.js';
import { listen, type RunningServer } from '../../sandbox/http.js';

interface AwsErr {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $response?: { headers: Record<string, string> };
}

async function failure(p: Promise<unknown>): Promise<AwsErr> {
  try {
    await p;
  } catch (err) {
    return err as AwsErr;
  }
  throw new Error('expected the call to fail');
}

const TOKEN_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const TOKEN_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

let emu: SecretsManagerEmulator;
let server: RunningServer;
const clients: SecretsManagerClient[] = [];

function client(extra: Partial<SecretsManagerClientConfig> = {}): SecretsManagerClient {
  const c = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIASANDBOX', secretAccessKey: 'sandbox-not-a-secret' },
    ...extra,
  });
  clients.push(c);
  return c;
}

beforeEach(async () => {
  emu = createSecretsManagerEmulator();
  server = await listen(emu.router.listener);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server.close();
});

describe('secrets and values', () => {
  it('creates a secret with an AWS-shaped ARN and finds it by name, ARN and partial ARN', async () => {
    const sm = client();
    const created = await sm.send(
      new CreateSecretCommand({ Name: 'ci/token', SecretString: 'v1' }),
    );
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:ci\/token-[A-Za-z0-9]{6}$/,
    );
    const partial = created.ARN!.slice(0, -7);
    for (const id of ['ci/token', created.ARN!, partial]) {
      const got = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      expect(got).toMatchObject({
        SecretString: 'v1',
        VersionId: created.VersionId,
        VersionStages: ['AWSCURRENT'],
      });
      expect(got.CreatedDate).toBeInstanceOf(Date);
    }
  });

  it('answers ResourceNotFoundException with AWS wording, as a 400 the SDK names', async () => {
    const sm = client();
    const err = await failure(sm.send(new GetSecretValueCommand({ SecretId: 'nope' })));
    expect(err.name).toBe('ResourceNotFoundException');
    expect(err.message).toBe("Secrets Manager can't find the specified secret.");
    expect(err.$metadata?.httpStatusCode).toBe(400);
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v' }));
    const stage = await failure(
      sm.send(new GetSecretValueCommand({ SecretId: 's', VersionStage: 'AWSPENDING' })),
    );
    expect(stage.message).toBe(
      "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
    );
  });

  it('treats CreateSecret as idempotent on its ClientRequestToken and refuses a second name', async () => {
    const sm = client();
    const first = await sm.send(
      new CreateSecretCommand({ Name: 's', SecretString: 'v', ClientRequestToken: TOKEN_A }),
    );
    const again = await sm.send(
      new CreateSecretCommand({ Name: 's', SecretString: 'v', ClientRequestToken: TOKEN_A }),
    );
    expect(again).toMatchObject({ ARN: first.ARN, VersionId: TOKEN_A });
    const dup = await failure(sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v' })));
    expect(dup.name).toBe('ResourceExistsException');
    const bad = await failure(
      sm.send(new CreateSecretCommand({ Name: 'has space', SecretString: 'v' })),
    );
    expect(bad.name).toBe('InvalidParameterException');
  });

  it('moves AWSCURRENT on PutSecretValue, leaves AWSPREVIOUS behind and deprecates older versions', async () => {
    const sm = client();
    const v1 = await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'one' }));
    const v2 = await sm.send(new PutSecretValueCommand({ SecretId: 's', SecretString: 'two' }));
    expect(v2.VersionStages).toEqual(['AWSCURRENT']);
    const v3 = await sm.send(new PutSecretValueCommand({ SecretId: 's', SecretString: 'three' }));
    const prev = await sm.send(
      new GetSecretValueCommand({ SecretId: 's', VersionStage: 'AWSPREVIOUS' }),
    );
    expect(prev).toMatchObject({ SecretString: 'two', VersionId: v2.VersionId });
    const listed = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 's' }));
    expect(listed.Versions?.map((v) => v.VersionId).sort()).toEqual(
      [v2.VersionId, v3.VersionId].sort(),
    );
    const all = await sm.send(
      new ListSecretVersionIdsCommand({ SecretId: 's', IncludeDeprecated: true }),
    );
    expect(all.Versions?.find((v) => v.VersionId === v1.VersionId)?.VersionStages).toEqual([]);
  });

  it('ignores a repeated PutSecretValue with the same token and value, and refuses a different value', async () => {
    const sm = client();
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'one' }));
    const put = () =>
      sm.send(
        new PutSecretValueCommand({
          SecretId: 's',
          SecretString: 'two',
          ClientRequestToken: TOKEN_A,
        }),
      );
    expect((await put()).VersionId).toBe(TOKEN_A);
    expect((await put()).VersionId).toBe(TOKEN_A);
    expect(emu.versions('s')).toHaveLength(2);
    const err = await failure(
      sm.send(
        new PutSecretValueCommand({
          SecretId: 's',
          SecretString: 'other',
          ClientRequestToken: TOKEN_A,
        }),
      ),
    );
    expect(err.name).toBe('ResourceExistsException');
    expect(err.message).not.toContain('other');
  });

  it('stages a custom label without touching AWSCURRENT', async () => {
    const sm = client();
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'one' }));
    await sm.send(
      new PutSecretValueCommand({
        SecretId: 's',
        SecretString: 'two',
        VersionStages: ['AWSPENDING', 'mine'],
      }),
    );
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 's' }))).SecretString).toBe('one');
    expect(
      (await sm.send(new GetSecretValueCommand({ SecretId: 's', VersionStage: 'mine' })))
        .SecretString,
    ).toBe('two');
  });

  it('round-trips SecretBinary and answers ValidationException for out-of-range members', async () => {
    const sm = client();
    const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
    await sm.send(new CreateSecretCommand({ Name: 'bin', SecretBinary: bytes }));
    const got = await sm.send(new GetSecretValueCommand({ SecretId: 'bin' }));
    expect(got.SecretString).toBeUndefined();
    expect([...(got.SecretBinary ?? [])]).toEqual([...bytes]);
    const short = await failure(
      sm.send(
        new PutSecretValueCommand({
          SecretId: 'bin',
          SecretString: 'x',
          ClientRequestToken: 'short',
        }),
      ),
    );
    expect(short.name).toBe('ValidationException');
    expect(short.message).toContain("at 'clientRequestToken'");
    const page = await failure(sm.send(new ListSecretsCommand({ MaxResults: 0 })));
    expect(page.name).toBe('ValidationException');
  });

  it('follows AWS rules when UpdateSecretVersionStage moves or removes labels', async () => {
    const sm = client();
    const v1 = await sm.send(
      new CreateSecretCommand({ Name: 's', SecretString: 'one', ClientRequestToken: TOKEN_A }),
    );
    await sm.send(
      new PutSecretValueCommand({
        SecretId: 's',
        SecretString: 'two',
        ClientRequestToken: TOKEN_B,
        VersionStages: ['AWSPENDING'],
      }),
    );
    const noRemove = await failure(
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 's',
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: TOKEN_B,
        }),
      ),
    );
    expect(noRemove.name).toBe('InvalidParameterException');
    expect(noRemove.message).toContain(`currently attached to version ${v1.VersionId}`);
    const removeCurrent = await failure(
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 's',
          VersionStage: 'AWSCURRENT',
          RemoveFromVersionId: TOKEN_A,
        }),
      ),
    );
    expect(removeCurrent.name).toBe('InvalidParameterException');
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 's',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: TOKEN_B,
        RemoveFromVersionId: TOKEN_A,
      }),
    );
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 's' }));
    expect(described.VersionIdsToStages).toEqual({
      [TOKEN_A]: ['AWSPREVIOUS'],
      [TOKEN_B]: ['AWSPENDING', 'AWSCURRENT'],
    });
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 's',
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: TOKEN_B,
      }),
    );
    expect(emu.versions('s').map((v) => v.stages)).toEqual([['AWSPREVIOUS'], ['AWSCURRENT']]);
  });

  it('describes metadata and updates it with UpdateSecret, TagResource and UntagResource', async () => {
    const sm = client();
    emu.setNow(new Date('2026-03-01T10:30:00Z'));
    await sm.send(
      new CreateSecretCommand({
        Name: 's',
        SecretString: 'one',
        Description: 'd1',
        Tags: [{ Key: 'team', Value: 'ci' }],
      }),
    );
    await sm.send(new GetSecretValueCommand({ SecretId: 's' }));
    await sm.send(
      new UpdateSecretCommand({ SecretId: 's', Description: 'd2', SecretString: 'two' }),
    );
    await sm.send(
      new TagResourceCommand({ SecretId: 's', Tags: [{ Key: 'owner', Value: 'credrot' }] }),
    );
    await sm.send(new UntagResourceCommand({ SecretId: 's', TagKeys: ['team'] }));
    const d = await sm.send(new DescribeSecretCommand({ SecretId: 's' }));
    expect(d).toMatchObject({
      Name: 's',
      Description: 'd2',
      Tags: [{ Key: 'owner', Value: 'credrot' }],
    });
    expect(d.CreatedDate?.toISOString()).toBe('2026-03-01T10:30:00.000Z');
    expect(d.LastAccessedDate?.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(d.RotationEnabled).toBeUndefined();
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 's' }))).SecretString).toBe('two');
  });

  it('lists secrets by tag filter, with negation, across NextToken pages', async () => {
    const sm = client();
    for (let i = 0; i < 5; i++) {
      const Tags = [{ Key: 'managed-by', Value: i % 2 === 0 ? 'credrot' : 'someone' }];
      await sm.send(new CreateSecretCommand({ Name: `app/s${i}`, SecretString: 'v', Tags }));
    }
    const ours = await sm.send(
      new ListSecretsCommand({ Filters: [{ Key: 'tag-value', Values: ['credrot'] }] }),
    );
    expect(ours.SecretList?.map((s) => s.Name)).toEqual(['app/s0', 'app/s2', 'app/s4']);
    const notOurs = await sm.send(
      new ListSecretsCommand({ Filters: [{ Key: 'tag-value', Values: ['!credrot'] }] }),
    );
    expect(notOurs.SecretList?.map((s) => s.Name)).toEqual(['app/s1', 'app/s3']);
    const names: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await sm.send(
        new ListSecretsCommand({
          MaxResults: 2,
          NextToken,
          Filters: [{ Key: 'name', Values: ['app/'] }],
        }),
      );
      names.push(...(page.SecretList ?? []).map((s) => s.Name!));
      NextToken = page.NextToken;
      pages += 1;
    } while (NextToken);
    expect(pages).toBe(3);
    expect(names).toEqual(['app/s0', 'app/s1', 'app/s2', 'app/s3', 'app/s4']);
    const bad = await failure(sm.send(new ListSecretsCommand({ NextToken: 'garbage' })));
    expect(bad.name).toBe('InvalidNextTokenException');
  });

  it('marks a deleted secret unusable until restored, and purges it after the recovery window', async () => {
    const sm = client();
    emu.setNow(new Date('2026-01-01T00:00:00Z'));
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v' }));
    const badWindow = await failure(
      sm.send(new DeleteSecretCommand({ SecretId: 's', RecoveryWindowInDays: 3 })),
    );
    expect(badWindow.name).toBe('InvalidParameterException');
    const del = await sm.send(new DeleteSecretCommand({ SecretId: 's' }));
    expect(del.DeletionDate?.toISOString()).toBe('2026-01-31T00:00:00.000Z');
    const use = await failure(sm.send(new GetSecretValueCommand({ SecretId: 's' })));
    expect(use.name).toBe('InvalidRequestException');
    expect(use.message).toBe(
      "You can't perform this operation on the secret because it was marked for deletion.",
    );
    expect((await sm.send(new ListSecretsCommand({}))).SecretList).toEqual([]);
    expect(
      (await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList,
    ).toHaveLength(1);
    await sm.send(new RestoreSecretCommand({ SecretId: 's' }));
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 's' }))).SecretString).toBe('v');
    await sm.send(new DeleteSecretCommand({ SecretId: 's', RecoveryWindowInDays: 7 }));
    emu.setNow(new Date('2026-01-08T00:00:01Z'));
    expect((await failure(sm.send(new DescribeSecretCommand({ SecretId: 's' })))).name).toBe(
      'ResourceNotFoundException',
    );
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'again' }));
    await sm.send(new DeleteSecretCommand({ SecretId: 's', ForceDeleteWithoutRecovery: true }));
    expect(
      (await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList,
    ).toEqual([]);
  });
});

/** A rotation Lambda written the way AWS's template writes it, calling back through the SDK. */
function templateHandler(sm: SecretsManagerClient, seen: RotationEvent[], newValue: string) {
  return async (event: RotationEvent): Promise<void> => {
    seen.push(event);
    const { SecretId, ClientRequestToken: token } = event;
    if (event.Step === 'createSecret') {
      await sm.send(new GetSecretValueCommand({ SecretId, VersionStage: 'AWSCURRENT' }));
      const err = await failure(
        sm.send(
          new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }),
        ),
      );
      expect(err.name).toBe('ResourceNotFoundException');
      await sm.send(
        new PutSecretValueCommand({
          SecretId,
          ClientRequestToken: token,
          SecretString: newValue,
          VersionStages: ['AWSPENDING'],
        }),
      );
    } else if (event.Step === 'testSecret') {
      await sm.send(
        new GetSecretValueCommand({ SecretId, VersionId: token, VersionStage: 'AWSPENDING' }),
      );
    } else if (event.Step === 'finishSecret') {
      const d = await sm.send(new DescribeSecretCommand({ SecretId }));
      const current = Object.entries(d.VersionIdsToStages ?? {}).find(([, s]) =>
        s.includes('AWSCURRENT'),
      )![0];
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: token,
          RemoveFromVersionId: current,
        }),
      );
    }
  };
}

describe('rotation', () => {
  const LAMBDA = 'arn:aws:lambda:us-east-1:000000000000:function:rotator';

  it('answers RotateSecret at once, then drives the handler through the four steps with its token', async () => {
    const sm = client();
    emu.setNow(new Date('2026-02-01T00:00:00Z'));
    const seen: RotationEvent[] = [];
    const inner = templateHandler(sm, seen, 'rotated');
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    emu.setRotationHandler(async (e) => {
      if (e.Step === 'createSecret') await gate;
      await inner(e);
    });
    const created = await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'old' }));
    const out = await sm.send(
      new RotateSecretCommand({
        SecretId: 's',
        RotationLambdaARN: LAMBDA,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    expect(seen).toEqual([]); // the answer came before createSecret finished
    expect(emu.versions('s').find((v) => v.versionId === out.VersionId)).toEqual({
      versionId: out.VersionId,
      stages: ['AWSPENDING'],
    });
    release();
    await emu.settled();
    expect(seen.map((e) => e.Step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    expect(new Set(seen.map((e) => e.ClientRequestToken))).toEqual(new Set([out.VersionId]));
    expect(seen[0]?.SecretId).toBe(created.ARN);
    expect(emu.rotations()[0]).toMatchObject({
      status: 'succeeded',
      steps: [{ ok: true }, { ok: true }, { ok: true }, { ok: true }],
    });
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 's' }))).SecretString).toBe(
      'rotated',
    );
    expect(
      (await sm.send(new GetSecretValueCommand({ SecretId: 's', VersionStage: 'AWSPREVIOUS' })))
        .SecretString,
    ).toBe('old');
    const d = await sm.send(new DescribeSecretCommand({ SecretId: 's' }));
    expect(d).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: LAMBDA,
      RotationRules: { AutomaticallyAfterDays: 30 },
    });
    expect(d.LastRotatedDate?.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(d.NextRotationDate?.toISOString()).toBe('2026-03-03T00:00:00.000Z');
  });

  it('refuses a new rotation while AWSPENDING sits on a version that is not current, until cancelled', async () => {
    const sm = client();
    emu.setRotationHandler(async (e) => {
      if (e.Step === 'setSecret') throw new Error('database unreachable');
      await templateHandler(sm, [], 'half')(e);
    });
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'old' }));
    const first = await sm.send(
      new RotateSecretCommand({ SecretId: 's', RotationLambdaARN: LAMBDA }),
    );
    await emu.settled();
    expect(emu.rotations()[0]).toMatchObject({
      status: 'failed',
      steps: [
        { step: 'createSecret', ok: true },
        { step: 'setSecret', ok: false, error: 'Error: database unreachable' },
      ],
    });
    const again = await failure(sm.send(new RotateSecretCommand({ SecretId: 's' })));
    expect(again.name).toBe('InvalidRequestException');
    expect(again.message).toBe(
      "A previous rotation isn't complete. That rotation will be reattempted.",
    );
    const cancelled = await sm.send(new CancelRotateSecretCommand({ SecretId: 's' }));
    expect(cancelled.VersionId).toBe(first.VersionId);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: 's' }))).RotationEnabled).toBe(
      false,
    );
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 's' }))).SecretString).toBe('old');
  });

  it('only tests the configuration when RotateImmediately is false, then removes the trial AWSPENDING version', async () => {
    const sm = client();
    emu.setNow(new Date('2026-02-01T00:00:00Z'));
    const seen: RotationEvent[] = [];
    emu.setRotationHandler(async (e) => {
      seen.push(e);
    });
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v' }));
    await sm.send(
      new RotateSecretCommand({
        SecretId: 's',
        RotationLambdaARN: LAMBDA,
        RotationRules: { ScheduleExpression: 'rate(10 days)' },
        RotateImmediately: false,
      }),
    );
    await emu.settled();
    expect(seen.map((e) => e.Step)).toEqual(['testSecret']);
    expect(emu.versions('s').map((v) => v.stages)).toEqual([['AWSCURRENT']]);
    const d = await sm.send(new DescribeSecretCommand({ SecretId: 's' }));
    expect(d.RotationEnabled).toBe(true);
    expect(d.LastRotatedDate).toBeUndefined();
    expect(d.NextRotationDate?.toISOString()).toBe('2026-02-11T00:00:00.000Z');
  });

  it('refuses RotateSecret without a Lambda ARN, and answers AccessDenied when no handler can be invoked', async () => {
    const sm = client();
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v' }));
    expect((await failure(sm.send(new RotateSecretCommand({ SecretId: 's' })))).name).toBe(
      'InvalidRequestException',
    );
    const denied = await failure(
      sm.send(new RotateSecretCommand({ SecretId: 's', RotationLambdaARN: LAMBDA })),
    );
    expect(denied.name).toBe('AccessDeniedException');
    expect(emu.versions('s')).toHaveLength(1);
  });
});

describe('protocol and faults', () => {
  it('rejects unsigned requests, wrongly scoped signatures and unknown operations', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.ListSecrets',
      },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      __type: 'MissingAuthenticationTokenException',
      Message: 'Missing Authentication Token',
    });
    const wrongRegion = await failure(
      client({ region: 'eu-west-1' }).send(new ListSecretsCommand({})),
    );
    expect(wrongRegion.name).toBe('InvalidSignatureException');
    const c = client();
    c.middlewareStack.add(
      (next) => (args) => {
        const req = args.request as { headers: Record<string, string> };
        req.headers['x-amz-target'] = 'secretsmanager.NoSuchThing';
        return next(args);
      },
      { step: 'build' },
    );
    expect((await failure(c.send(new ListSecretsCommand({})))).name).toBe(
      'UnknownOperationException',
    );
  });

  it('lets the SDK retry an injected 500 and fail as InternalServiceError after its 3 attempts', async () => {
    const sm = client();
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v' }));
    emu.router.faults.addRule({
      operation: 'aws.GetSecretValue',
      nth: 1,
      action: { type: 'status', status: 500 },
    });
    const once = await sm.send(new GetSecretValueCommand({ SecretId: 's' }));
    expect(once.$metadata.attempts).toBe(2);
    emu.router.faults.setPlan({
      rules: [{ operation: 'aws.GetSecretValue', action: { type: 'status', status: 500 } }],
    });
    emu.router.resetCalls();
    const err = await failure(sm.send(new GetSecretValueCommand({ SecretId: 's' })));
    expect(err).toMatchObject({
      name: 'InternalServiceError',
      $metadata: { httpStatusCode: 500, attempts: 3 },
    });
    expect(emu.router.callCounts()).toEqual({ 'aws.GetSecretValue': 3 });
  });

  it('answers an injected 429 as a ThrottlingException with Retry-After, which the SDK waits out and retries', async () => {
    const sm = client();
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'v' }));
    const rule = {
      operation: 'aws.DescribeSecret',
      nth: 1,
      action: { type: 'status' as const, status: 429, retryAfterSeconds: 1 },
    };
    emu.router.faults.addRule(rule);
    const noRetry = await failure(
      client({ maxAttempts: 1 }).send(new DescribeSecretCommand({ SecretId: 's' })),
    );
    expect(noRetry).toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(noRetry.$response?.headers['retry-after']).toBe('1');
    emu.router.faults.addRule(rule);
    const started = Date.now();
    const ok = await sm.send(new DescribeSecretCommand({ SecretId: 's' }));
    expect(ok.$metadata.attempts).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('holds a hung request until the client times out', async () => {
    emu.router.faults.addRule({
      operation: 'aws.ListSecrets',
      action: { type: 'hang', ms: 1_000 },
    });
    const sm = client({
      maxAttempts: 1,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    const err = await failure(sm.send(new ListSecretsCommand({})));
    expect(err.name).toBe('TimeoutError');
  });

  it('commits a PutSecretValue whose answer is lost, and a retry with the same token is idempotent', async () => {
    const sm = client({ maxAttempts: 1 });
    await sm.send(new CreateSecretCommand({ Name: 's', SecretString: 'one' }));
    emu.router.faults.addRule({
      operation: 'aws.PutSecretValue',
      nth: 1,
      action: { type: 'crash-after-commit' },
    });
    const put = () =>
      sm.send(
        new PutSecretValueCommand({
          SecretId: 's',
          SecretString: 'two',
          ClientRequestToken: TOKEN_A,
        }),
      );
    await failure(put());
    expect(emu.versions('s').find((v) => v.versionId === TOKEN_A)).toEqual({
      versionId: TOKEN_A,
      stages: ['AWSCURRENT'],
      value: 'two',
    });
    expect((await put()).VersionId).toBe(TOKEN_A);
    expect(emu.versions('s')).toHaveLength(2);
    // With its default retries, the SDK resends the same generated token and sees success.
    emu.router.faults.addRule({
      operation: 'aws.PutSecretValue',
      nth: 1,
      action: { type: 'crash-after-commit' },
    });
    const auto = await client().send(
      new PutSecretValueCommand({ SecretId: 's', SecretString: 'three' }),
    );
    expect(auto.$metadata.attempts).toBe(2);
    expect(emu.versions('s').filter((v) => v.value === 'three')).toEqual([
      { versionId: auto.VersionId, stages: ['AWSCURRENT'], value: 'three' },
    ]);
  });
});
