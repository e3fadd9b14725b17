/**
 * RotateSecret and CancelRotateSecret. On AWS, RotateSecret stores the rotation
 * configuration, creates an empty version labelled AWSPENDING whose id is the
 * ClientRequestToken, answers at once, and then invokes the rotation Lambda four times
 * (createSecret, setSecret, testSecret, finishSecret) with that token. Here the Lambda is
 * the in-process `RotationHandler`; each step's outcome is recorded for tests.
 *
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CancelRotateSecret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html
 */
import { randomBytes } from 'node:crypto';
import type { Response } from '../http.js';
import { AwsError, invalidParameter, invalidRequest, ok, type Params } from './protocol.js';
import { readToken } from './secrets.js';
import {
  CURRENT,
  hasValue,
  PENDING,
  type RotationRules,
  type Secret,
  type SecretStore,
} from './store.js';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

export const ROTATION_STEPS: readonly RotationStep[] = [
  'createSecret',
  'setSecret',
  'testSecret',
  'finishSecret',
];

/** What AWS sends the rotation Lambda, once per step. `SecretId` is the secret's ARN. */
export interface RotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: RotationStep;
  RotationToken?: string;
}

export type RotationHandler = (event: RotationEvent) => Promise<void>;

export interface RotationStepOutcome {
  step: RotationStep;
  ok: boolean;
  /** The handler's error name and message (handlers must not put secret values there). */
  error?: string;
}

export interface RotationRecord {
  secretName: string;
  secretArn: string;
  token: string;
  immediate: boolean;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  steps: RotationStepOutcome[];
  /** Why a rotation whose steps all returned still failed (AWSCURRENT not moved). */
  reason?: string;
  /** Resolves when the run ends, whatever its outcome. */
  done: Promise<void>;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * The next rotation after `from`: `AutomaticallyAfterDays`, or a `rate(...)` schedule.
 * `cron(...)` schedules are not evaluated (the date is left unset).
 */
export function nextRotation(from: Date, rules: RotationRules | undefined): Date | undefined {
  if (!rules) return undefined;
  if (rules.AutomaticallyAfterDays !== undefined) {
    return new Date(from.getTime() + rules.AutomaticallyAfterDays * DAY_MS);
  }
  const m = /^rate\((\d+)\s+(hours?|days?)\)$/.exec(rules.ScheduleExpression ?? '');
  if (!m) return undefined;
  const unit = m[2]!.startsWith('hour') ? HOUR_MS : DAY_MS;
  return new Date(from.getTime() + Number(m[1]) * unit);
}

function readRules(p: Params): RotationRules | undefined {
  const raw = p.object('RotationRules');
  if (!raw) return undefined;
  const days = raw.AutomaticallyAfterDays;
  if (
    days !== undefined &&
    (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 1000)
  ) {
    throw invalidParameter('RotationRules.AutomaticallyAfterDays must be within 1-1000.');
  }
  const schedule = raw.ScheduleExpression;
  const duration = raw.Duration;
  if (schedule !== undefined && typeof schedule !== 'string') {
    throw invalidParameter('RotationRules.ScheduleExpression must be a string.');
  }
  if (duration !== undefined && typeof duration !== 'string') {
    throw invalidParameter('RotationRules.Duration must be a string.');
  }
  if (days !== undefined && schedule !== undefined) {
    throw invalidParameter("You can't specify both AutomaticallyAfterDays and ScheduleExpression.");
  }
  return { AutomaticallyAfterDays: days, ScheduleExpression: schedule, Duration: duration };
}

/** Runs rotations against the store through the handler the emulator currently has. */
export class Rotator {
  readonly records: RotationRecord[] = [];
  private readonly cancelled = new Set<RotationRecord>();

  constructor(
    private readonly store: SecretStore,
    private readonly handler: () => RotationHandler | undefined,
  ) {}

  /** Resolves when every rotation started so far (and any they started) has ended. */
  async settled(): Promise<void> {
    for (;;) {
      const running = this.records.filter((r) => r.status === 'running');
      if (running.length === 0) return;
      await Promise.all(running.map((r) => r.done));
    }
  }

  rotate(p: Params): Response {
    const secret = this.store.live(p.requiredString('SecretId', { max: 2048 }));
    const token = readToken(p);
    const lambdaArn = p.string('RotationLambdaARN', { max: 2048 }) ?? secret.rotationLambdaArn;
    const rules = readRules(p);
    const immediate = p.boolean('RotateImmediately') ?? true;
    if (!lambdaArn) {
      throw invalidRequest(
        "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.",
      );
    }
    const pending = this.store.holder(secret, PENDING);
    if (pending && !pending.stages.includes(CURRENT)) {
      throw invalidRequest(
        "A previous rotation isn't complete. That rotation will be reattempted.",
      );
    }
    if (secret.versions.has(token)) {
      throw new AwsError(
        'ResourceExistsException',
        "You can't modify an existing version, you can only create a new version.",
      );
    }
    const handler = this.handler();
    if (!handler) {
      throw new AwsError(
        'AccessDeniedException',
        'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.',
      );
    }
    secret.rotationEnabled = true;
    secret.rotationLambdaArn = lambdaArn;
    if (rules) secret.rotationRules = rules;
    secret.lastChangedDate = this.store.now();
    if (!immediate) secret.nextRotationDate = nextRotation(this.store.now(), secret.rotationRules);
    this.store.addEmptyVersion(secret, token, [PENDING]);
    this.start(secret, token, immediate, handler);
    return ok({ ARN: secret.arn, Name: secret.name, VersionId: token });
  }

  cancel(p: Params): Response {
    const secret = this.store.live(p.requiredString('SecretId', { max: 2048 }));
    if (!secret.rotationLambdaArn) {
      throw invalidRequest(
        "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.",
      );
    }
    secret.rotationEnabled = false;
    secret.nextRotationDate = undefined;
    secret.lastChangedDate = this.store.now();
    for (const r of this.records) {
      if (r.secretArn === secret.arn && r.status === 'running') this.cancelled.add(r);
    }
    // The labels stay where the interrupted rotation left them, as the API reference warns.
    const pending = this.store.holder(secret, PENDING);
    const inProgress = pending && !pending.stages.includes(CURRENT) ? pending.versionId : undefined;
    return ok({ ARN: secret.arn, Name: secret.name, VersionId: inProgress });
  }

  private start(secret: Secret, token: string, immediate: boolean, handler: RotationHandler): void {
    let finish: () => void = () => {};
    const record: RotationRecord = {
      secretName: secret.name,
      secretArn: secret.arn,
      token,
      immediate,
      status: 'running',
      steps: [],
      done: new Promise<void>((resolve) => {
        finish = resolve;
      }),
    };
    this.records.push(record);
    // setImmediate: the steps begin only after the RotateSecret answer has been sent.
    setImmediate(() => {
      this.run(record, handler).finally(finish);
    });
  }

  private async run(record: RotationRecord, handler: RotationHandler): Promise<void> {
    const rotationToken = randomBytes(16).toString('hex');
    const steps: readonly RotationStep[] = record.immediate ? ROTATION_STEPS : ['testSecret'];
    for (const step of steps) {
      if (this.cancelled.has(record)) {
        record.status = 'cancelled';
        return;
      }
      try {
        await handler({
          SecretId: record.secretArn,
          ClientRequestToken: record.token,
          Step: step,
          RotationToken: rotationToken,
        });
        record.steps.push({ step, ok: true });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        record.steps.push({ step, ok: false, error: `${e.name}: ${e.message}` });
        record.status = 'failed';
        if (!record.immediate) this.dropTestVersion(record);
        return;
      }
    }
    if (!record.immediate) {
      this.dropTestVersion(record);
      record.status = 'succeeded';
      return;
    }
    const secret = this.store.find(record.secretArn);
    const version = secret?.versions.get(record.token);
    if (!secret || !version?.stages.includes(CURRENT)) {
      record.status = 'failed';
      record.reason = 'finishSecret returned but AWSCURRENT is not on the new version';
      return;
    }
    const now = this.store.now();
    secret.lastRotatedDate = now;
    secret.nextRotationDate = secret.rotationEnabled
      ? nextRotation(now, secret.rotationRules)
      : undefined;
    record.status = 'succeeded';
  }

  /** A configuration test (RotateImmediately=false) creates an AWSPENDING version and removes it. */
  private dropTestVersion(record: RotationRecord): void {
    const secret = this.store.find(record.secretArn);
    const version = secret?.versions.get(record.token);
    if (!secret || !version) return;
    this.store.detach(secret, record.token, PENDING);
    if (version.stages.length === 0 && !hasValue(version)) secret.versions.delete(record.token);
  }
}
