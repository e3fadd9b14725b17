/**
 * Amazon ECR: `GetAuthorizationToken` answers a token valid for 12 hours that `docker
 * login` uses as the password of the user `AWS`. There is nothing to create or delete:
 * credrot asks for a fresh token on schedule (by default when a third of its 12 hours
 * is left, i.e. every 8 hours), proves it at the registry, publishes it, and lets the
 * replaced token lapse on its own (ECR has no way to revoke one).
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html
 */
import {
  type ECRClient,
  GetAuthorizationTokenCommand,
  type GetAuthorizationTokenCommandOutput,
} from '@aws-sdk/client-ecr';
import { PermissionError, ProviderError } from '../../../errors.js';
import type { MintRequest, StoredCredential } from '../../../rotation/types.js';
import { RegistrySource, type RegistryTarget } from '../common.js';

export interface EcrSourceOptions {
  credential: string;
  client: ECRClient;
  /** The registry's account id; default the caller's own registry. */
  registryId?: string;
  target: RegistryTarget;
  now?: () => Date;
}

/** The SDK's error as ours: its name and status, never its raw text (it may echo input). */
function translate(err: unknown): ProviderError {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException' || status === 403)
    return new PermissionError(
      `ECR refused GetAuthorizationToken (${name}): the caller needs ecr:GetAuthorizationToken`,
      { cause: err, ...(status === undefined ? {} : { status }) },
    );
  return new ProviderError(`ECR GetAuthorizationToken failed (${name})`, {
    cause: err,
    ...(status === undefined ? {} : { status }),
    retryable: e.$fault === 'server' || name === 'ThrottlingException',
  });
}

/** Verify, status and (no) revoke are RegistrySource's: ECR tokens cannot be revoked, they lapse. */
export class EcrAuthorizationTokenSource extends RegistrySource {
  readonly kind = 'aws-ecr' as const;

  constructor(private readonly options: EcrSourceOptions) {
    super(options.target, options.now);
  }

  async mint(req: MintRequest): Promise<StoredCredential> {
    const { client, registryId } = this.options;
    let out: GetAuthorizationTokenCommandOutput;
    try {
      out = await client.send(
        new GetAuthorizationTokenCommand(registryId ? { registryIds: [registryId] } : {}),
      );
    } catch (err) {
      throw translate(err);
    }
    const data = out.authorizationData?.[0];
    const decoded = Buffer.from(data?.authorizationToken ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (!data?.expiresAt || colon <= 0) {
      throw new ProviderError(
        'ECR answered GetAuthorizationToken without a usable token (expected base64 "AWS:<password>" and expiresAt)',
      );
    }
    return {
      token: decoded.slice(colon + 1),
      username: decoded.slice(0, colon),
      kind: this.kind,
      credential: this.options.credential,
      // ECR tokens have no id: there is nothing to look up or revoke later.
      sourceId: 0,
      gitlabUrl: data.proxyEndpoint ?? '',
      expiresAt: data.expiresAt.toISOString(),
      rotationId: req.rotationId,
      mintedAt: req.now.toISOString(),
    };
  }
}
