/**
 * A local AWS Secrets Manager speaking AWS JSON 1.1, for `@aws-sdk/client-secrets-manager`
 * (or `aws --endpoint-url`) with only the endpoint changed and fake static credentials.
 * One route, `POST /`; the operation comes from `x-amz-target: secretsmanager.<Operation>`
 * and is named `aws.<Operation>` for fault rules and the call log.
 *
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/Welcome.html
 */
import { FaultController, type FaultPlan } from '../faults.js';
import { Router } from '../http.js';
import {
  AwsError,
  checkAuthorization,
  faultResponse,
  Params,
  requestId,
  targetOperation,
} from './protocol.js';
import { type RotationHandler, type RotationRecord, Rotator } from './rotation.js';
import { type Operation, secretOperations } from './secrets.js';
import { SecretStore } from './store.js';
import { valueOperations } from './values.js';

export type {
  RotationEvent,
  RotationHandler,
  RotationRecord,
  RotationStep,
  RotationStepOutcome,
} from './rotation.js';

export interface SecretsManagerEmulatorOptions {
  /** Region in ARNs and the only SigV4 credential scope accepted (default us-east-1). */
  region?: string;
  /** Account id in ARNs (default '000000000000'). */
  accountId?: string;
  now?: () => Date;
  faults?: FaultPlan;
  /** Stands in for the rotation Lambda that RotateSecret invokes. */
  rotationHandler?: RotationHandler;
}

export interface VersionSnapshot {
  versionId: string;
  stages: string[];
  /** SecretString, or SecretBinary as base64; absent for the empty AWSPENDING version of a rotation. */
  value?: string;
}

export interface SecretsManagerEmulator {
  router: Router;
  setRotationHandler(h: RotationHandler | undefined): void;
  /** In-process read of a secret's versions (oldest first), labelled or not; for tests. */
  versions(secretId: string): VersionSnapshot[];
  /** Freezes the emulator's clock at `d` (dates it reports, deletion windows, rotation dates). */
  setNow(d: Date): void;
  /** Every rotation started, with each step's outcome. */
  rotations(): readonly RotationRecord[];
  /** Resolves once every running rotation has finished its steps. */
  settled(): Promise<void>;
}

/** Builds the emulator; serve `emulator.router.listener` with `listen()` from sandbox/http.ts. */
export function createSecretsManagerEmulator(
  opts: SecretsManagerEmulatorOptions = {},
): SecretsManagerEmulator {
  const region = opts.region ?? 'us-east-1';
  let frozen: Date | undefined;
  const now = (): Date => (frozen ? new Date(frozen) : (opts.now?.() ?? new Date()));
  const store = new SecretStore(region, opts.accountId ?? '000000000000', now);
  let handler = opts.rotationHandler;
  const rotator = new Rotator(store, () => handler);

  const operations: Record<string, Operation> = {
    ...secretOperations(store),
    ...valueOperations(store),
    RotateSecret: (p) => rotator.rotate(p),
    CancelRotateSecret: (p) => rotator.cancel(p),
  };

  const router = new Router({
    faults: new FaultController(opts.faults),
    operationOf: (req) => {
      const op = targetOperation(req);
      return op ? `aws.${op}` : undefined;
    },
    faultBody: (status) => {
      const res = faultResponse(status);
      res.headers = { ...res.headers, 'x-amzn-RequestId': requestId() };
      return res;
    },
    before: (req) => checkAuthorization(req, region),
    after: (_req, res) => {
      res.headers = { ...res.headers, 'x-amzn-RequestId': requestId() };
    },
  });

  router.on('POST', '/', 'aws.unknown', (req) => {
    const op = targetOperation(req);
    const run = op === undefined ? undefined : operations[op];
    if (!run) {
      throw new AwsError(
        'UnknownOperationException',
        `Unknown operation ${req.header('x-amz-target') ?? '(no x-amz-target)'}`,
      );
    }
    return run(Params.of(req));
  });

  return {
    router,
    setRotationHandler(h) {
      handler = h;
    },
    versions(secretId) {
      const secret = store.get(secretId);
      return [...secret.versions.values()].map((v) => ({
        versionId: v.versionId,
        stages: [...v.stages],
        value: v.string ?? v.binary?.toString('base64'),
      }));
    },
    setNow(d) {
      frozen = new Date(d);
    },
    rotations: () => rotator.records,
    settled: () => rotator.settled(),
  };
}
