/**
 * A local Google IAM service-account keys API and OAuth 2.0 token endpoint, REST on
 * loopback, for credrot's Artifact Registry source:
 * - `POST|GET /v1/projects/{p}/serviceAccounts/{email}/keys`, `GET|DELETE .../keys/{id}`
 *   (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys),
 *   answering Google's error shape `{"error":{"code","message","status"}}`; `{p}` may be `-`.
 * - `POST /token` with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an
 *   RS256 `assertion` signed by a live key, answering `{access_token, expires_in, token_type}`
 *   or 400 `{"error":"invalid_grant"}` (https://developers.google.com/identity/protocols/oauth2/service-account#httprest).
 * Every keys call needs `Authorization: Bearer <access token>` of an account that is a key
 * admin of the target account (401 UNAUTHENTICATED, 403 PERMISSION_DENIED otherwise).
 * Operations are named `gcp.iam.<method>` for faults and the call log.
 */
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { FaultController, type FaultPlan } from '../../faults.js';
import { type Request, type Response, Router } from '../../http.js';
import { type AccountRecord, IamState, type KeyRecord, NO_EXPIRY } from './accounts.js';

export interface IamEmulatorOptions {
  now?: () => Date;
  faults?: FaultPlan;
}

export interface IamEmulator {
  router: Router;
  /** Set once the server listens: key files name `${url}/token` as their token_uri. */
  setBaseUrl(url: string): void;
  createServiceAccount(email: string, project?: string): void;
  /** A new key for the account, as its downloaded JSON key file. */
  seedKey(email: string): string;
  /** Lets `admin` manage `target`'s keys (roles/iam.serviceAccountKeyAdmin). */
  grantKeyAdmin(admin: string, target: string): void;
  /** Whether the registry accepts the account's credentials (403 at its token endpoint when false). */
  setRegistryAccess(email: string, allowed: boolean): void;
  /** Live (not deleted) key ids of an account. */
  keyIds(email: string): string[];
  /** Registry login check, for the sandbox's cloud registry. */
  registryLogin(username: string, password: string): AccountRecord | undefined;
  /** Ends every access token now. */
  expireTokens(): void;
}

function googleError(code: number, status: string, message: string): Response {
  return { status: code, body: { error: { code, message, status } } };
}

function keyView(key: KeyRecord, withPrivate: string | undefined) {
  return {
    name: `projects/${key.project}/serviceAccounts/${key.email}/keys/${key.keyId}`,
    ...(withPrivate
      ? {
          privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
          privateKeyData: Buffer.from(withPrivate).toString('base64'),
        }
      : {}),
    validAfterTime: key.validAfter.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    validBeforeTime: NO_EXPIRY,
    keyAlgorithm: 'KEY_ALG_RSA_2048',
    keyOrigin: 'GOOGLE_PROVIDED',
    keyType: 'USER_MANAGED',
    ...(key.disabled ? { disabled: true } : {}),
  };
}

export function createIamEmulator(opts: IamEmulatorOptions = {}): IamEmulator {
  const state = new IamState(opts.now ?? (() => new Date()), 'http://127.0.0.1/token');
  const router = new Router({
    faults: new FaultController(opts.faults),
    faultBody: (status) =>
      googleError(
        status,
        status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE',
        `injected fault ${status}`,
      ),
  });

  /** The target account, after checking the caller may manage its keys. */
  const authorize = (req: Request): AccountRecord | Response => {
    const bearer = /^bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '')?.[1];
    const caller = bearer ? state.tokenOwner(bearer) : undefined;
    if (!caller)
      return googleError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    const target = state.account(req.params['account'] ?? '');
    const project = req.params['project'];
    if (
      !target ||
      (project !== '-' && project !== target.project) ||
      !target.keyAdmins.has(caller.email)
    ) {
      // Google answers 403 for a missing account too, so callers cannot probe for accounts.
      return googleError(
        403,
        'PERMISSION_DENIED',
        `Permission 'iam.serviceAccountKeys.${req.method === 'POST' ? 'create' : req.method === 'DELETE' ? 'delete' : 'get'}' denied on resource (or it may not exist).`,
      );
    }
    return target;
  };
  const keyOf = (target: AccountRecord, req: Request): KeyRecord | Response => {
    const key = target.keys.get(req.params['key'] ?? '');
    if (!key || key.deleted)
      return googleError(
        404,
        'NOT_FOUND',
        `Service account key ${req.params['key']} does not exist.`,
      );
    return key;
  };
  const base = '/v1/projects/:project/serviceAccounts/:account/keys';

  router.on('POST', base, 'gcp.iam.keys.create', (req) => {
    const target = authorize(req);
    if ('status' in target) return target;
    const body = req.body.length > 0 ? req.json<{ privateKeyType?: string }>() : {};
    if (body.privateKeyType && body.privateKeyType !== 'TYPE_GOOGLE_CREDENTIALS_FILE')
      return googleError(
        400,
        'INVALID_ARGUMENT',
        'Only TYPE_GOOGLE_CREDENTIALS_FILE is supported by the sandbox.',
      );
    const key = state.createKey(target);
    return { status: 200, body: keyView(key, state.keyFile(key)) };
  });
  router.on('GET', base, 'gcp.iam.keys.list', (req) => {
    const target = authorize(req);
    if ('status' in target) return target;
    const types = req.query.getAll('keyTypes');
    const keys = [...target.keys.values()].filter((k) => !k.deleted);
    return {
      status: 200,
      body: {
        keys:
          types.length === 0 || types.includes('USER_MANAGED')
            ? keys.map((k) => keyView(k, undefined))
            : [],
      },
    };
  });
  router.on('GET', `${base}/:key`, 'gcp.iam.keys.get', (req) => {
    const target = authorize(req);
    if ('status' in target) return target;
    const key = keyOf(target, req);
    return 'status' in key ? key : { status: 200, body: keyView(key, undefined) };
  });
  router.on('DELETE', `${base}/:key`, 'gcp.iam.keys.delete', (req) => {
    const target = authorize(req);
    if ('status' in target) return target;
    const key = keyOf(target, req);
    if ('status' in key) return key;
    key.deleted = true;
    return { status: 200, body: {} };
  });

  router.on('POST', '/token', 'gcp.oauth2.token', async (req) => {
    const form = req.json<{ grant_type?: string; assertion?: string }>();
    if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: ' },
      };
    const invalid = (why: string): Response => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: why },
    });
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(form.assertion ?? '').kid;
    } catch {
      return invalid('Invalid JWT: the assertion is not a JWT.');
    }
    const key = kid ? state.liveKey(kid) : undefined;
    if (!key) return invalid('Invalid JWT Signature.');
    try {
      await jwtVerify(form.assertion ?? '', key.publicKey, {
        issuer: key.email,
        audience: state.tokenUri,
        algorithms: ['RS256'],
        currentDate: state.now(),
      });
    } catch {
      return invalid('Invalid JWT Signature.');
    }
    const issued = state.issueToken(key.email);
    return {
      status: 200,
      body: { access_token: issued.token, expires_in: issued.expiresIn, token_type: 'Bearer' },
    };
  });

  const must = (email: string): AccountRecord => {
    const account = state.account(email);
    if (!account) throw new Error(`no service account ${email} in the sandbox IAM`);
    return account;
  };
  return {
    router,
    setBaseUrl(url) {
      state.tokenUri = `${url.replace(/\/$/, '')}/token`;
    },
    createServiceAccount(email, project = 'credrot-sandbox') {
      state.createAccount(email, project);
    },
    seedKey(email) {
      return state.keyFile(state.createKey(must(email)));
    },
    grantKeyAdmin(admin, target) {
      must(target).keyAdmins.add(must(admin).email);
    },
    setRegistryAccess(email, allowed) {
      must(email).registryAccess = allowed;
    },
    keyIds(email) {
      return [...must(email).keys.values()].filter((k) => !k.deleted).map((k) => k.keyId);
    },
    registryLogin: (u, p) => state.registryLogin(u, p),
    expireTokens: () => state.expireTokens(),
  };
}
