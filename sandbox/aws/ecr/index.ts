/**
 * A local Amazon ECR control plane with the one operation credrot calls,
 * `GetAuthorizationToken`, over AWS JSON 1.1 (`x-amz-target:
 * AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken`, SigV4 scoped to `ecr`),
 * for `@aws-sdk/client-ecr` with only the endpoint changed. Operations are named
 * `aws.ecr.<Operation>` for fault rules and the call log. Served on its own port, as
 * ECR has its own endpoint (`api.ecr.<region>.amazonaws.com`).
 *
 * The tokens it issues are accepted by the sandbox's cloud registry (sandbox/registry/cloud.ts)
 * as the password of user `AWS` until they expire, 12 hours after issue.
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_AuthorizationData.html
 */
import { randomBytes } from 'node:crypto';
import { FaultController, type FaultPlan } from '../../faults.js';
import { Router } from '../../http.js';
import {
  AwsError,
  checkAuthorization,
  epoch,
  faultResponse,
  ok,
  Params,
  requestId,
  targetOperation,
} from '../protocol.js';

export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
/** ECR authorization tokens live 12 hours. */
export const ECR_TOKEN_LIFETIME_MS = 12 * 3_600_000;

export interface EcrEmulatorOptions {
  /** The only SigV4 credential scope accepted (default us-east-1). */
  region?: string;
  /** The caller's own registry (default '000000000000'). */
  accountId?: string;
  now?: () => Date;
  faults?: FaultPlan;
}

export interface EcrEmulator {
  router: Router;
  /** True when `password` is an unexpired token this emulator issued (for user `AWS`). */
  accepts(username: string, password: string): boolean;
  /** Makes every issued token expire now (as if 12 hours passed). */
  expireAll(): void;
  /** The registry URL answered as `proxyEndpoint` (default the real ECR host form). */
  setProxyEndpoint(url: string | undefined): void;
  /** How many tokens were issued. */
  issued(): number;
}

export function createEcrEmulator(opts: EcrEmulatorOptions = {}): EcrEmulator {
  const region = opts.region ?? 'us-east-1';
  const account = opts.accountId ?? '000000000000';
  const now = opts.now ?? (() => new Date());
  const tokens = new Map<string, Date>();
  let proxy: string | undefined;

  const router = new Router({
    faults: new FaultController(opts.faults),
    operationOf: (req) => {
      const op = targetOperation(req, ECR_TARGET_PREFIX);
      return op ? `aws.ecr.${op}` : undefined;
    },
    faultBody: (status) => {
      const res = faultResponse(status);
      res.headers = { ...res.headers, 'x-amzn-RequestId': requestId() };
      return res;
    },
    before: (req) => checkAuthorization(req, region, 'ecr'),
    after: (_req, res) => {
      res.headers = { ...res.headers, 'x-amzn-RequestId': requestId() };
    },
  });

  const getAuthorizationToken = (p: Params) => {
    const ids = p.raw['registryIds'];
    let registries = [account];
    if (ids !== undefined && ids !== null) {
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 10)
        throw new AwsError(
          'InvalidParameterException',
          'Invalid parameter at registryIds: must hold 1 to 10 account ids',
        );
      for (const id of ids)
        if (typeof id !== 'string' || !/^[0-9]{12}$/.test(id))
          throw new AwsError(
            'InvalidParameterException',
            `Invalid parameter at 'registryIds' failed to satisfy constraint: 'Member must satisfy regular expression pattern: [0-9]{12}'`,
          );
      registries = ids as string[];
    }
    const expiresAt = new Date(now().getTime() + ECR_TOKEN_LIFETIME_MS);
    const authorizationData = registries.map((id) => {
      // Real tokens are long opaque base64 payloads; the registry only compares them.
      const password = randomBytes(192).toString('base64');
      tokens.set(password, expiresAt);
      return {
        authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
        expiresAt: epoch(expiresAt),
        proxyEndpoint: proxy ?? `https://${id}.dkr.ecr.${region}.amazonaws.com`,
      };
    });
    return ok({ authorizationData });
  };

  router.on('POST', '/', 'aws.ecr.unknown', (req) => {
    const op = targetOperation(req, ECR_TARGET_PREFIX);
    if (op === 'GetAuthorizationToken') return getAuthorizationToken(Params.of(req));
    throw new AwsError(
      'UnknownOperationException',
      `Unknown operation ${req.header('x-amz-target') ?? '(no x-amz-target)'}`,
    );
  });

  return {
    router,
    accepts(username, password) {
      const expires = tokens.get(password);
      return username === 'AWS' && expires !== undefined && now() < expires;
    },
    expireAll() {
      const at = now();
      for (const key of tokens.keys()) tokens.set(key, at);
    },
    setProxyEndpoint(url) {
      proxy = url;
    },
    issued: () => tokens.size,
  };
}
