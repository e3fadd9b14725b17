import { generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateDer,
  certificatesPem,
  type Issued,
  selfSignedCa,
  serverCertificate,
} from '../../scripts/lib/test-pki.js';
import { type CheckConfig, scan } from '../../shared/check/scan.js';
import type { Sources } from '../../shared/check/sources.js';
import { ParseError } from '../../shared/errors.js';
import {
  describeEvaluation,
  type ExpiryWindow,
  evaluate,
  readAwsRotation,
  readCertificates,
  readDockerConfig,
  readGcpSecret,
  readGitLabToken,
  readJwt,
  readKubeconfig,
  readWebhookConfiguration,
  SIGNATURE_NOT_VERIFIED,
  type Thresholds,
} from '../../shared/expiry/index.js';
import { MS } from '../../shared/util/clock.js';

const at = (iso: string) => new Date(iso);
const DEFAULTS: Thresholds = { warningMs: 30 * MS.day, criticalMs: 7 * MS.day };
const NOW = at('2025-06-15T12:00:00Z');
const b64 = (text: string) => Buffer.from(text).toString('base64');
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1_000);

let ca: Issued;
let expiredYesterday: Issued;
let notYetValid: Issued;
let firstOfBundle: Issued;
let secondOfBundle: Issued;
let thirdOfBundle: Issued;
let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

beforeAll(async () => {
  ca = await selfSignedCa(
    'CN=test root CA',
    at('2025-01-01T00:00:00Z'),
    at('2035-01-01T00:00:00Z'),
  );
  expiredYesterday = await serverCertificate(
    ca,
    'expired.test',
    at('2025-03-16T12:00:00Z'),
    at('2025-06-14T12:00:00Z'),
  );
  notYetValid = await serverCertificate(
    ca,
    'future.test',
    at('2025-06-20T00:00:00Z'),
    at('2025-09-20T00:00:00Z'),
  );
  firstOfBundle = await selfSignedCa(
    'CN=bundle one',
    at('2025-01-01T00:00:00Z'),
    at('2030-01-01T00:00:00Z'),
  );
  secondOfBundle = await selfSignedCa(
    'CN=bundle two',
    at('2024-07-01T00:00:00Z'),
    at('2025-06-25T00:00:00Z'),
  );
  thirdOfBundle = await selfSignedCa(
    'CN=bundle three',
    at('2025-01-01T00:00:00Z'),
    at('2028-01-01T00:00:00Z'),
  );
  ({ privateKey: signingKey } = await generateKeyPair('RS256'));
});

/** A one-year Kubernetes service-account token expiring 2025-06-15T12:00:00Z. */
async function serviceAccountToken(): Promise<string> {
  return new SignJWT({ 'kubernetes.io': { namespace: 'ci', serviceaccount: { name: 'deployer' } } })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer('https://kubernetes.default.svc.cluster.local')
    .setSubject('system:serviceaccount:ci:deployer')
    .setIssuedAt(seconds('2024-06-15T12:00:00Z'))
    .setExpirationTime(seconds('2025-06-15T12:00:00Z'))
    .sign(signingKey);
}

function decide(window: ExpiryWindow, now: Date) {
  const evaluation = evaluate(window, now, DEFAULTS);
  return {
    status: evaluation.status,
    due: evaluation.due,
    message: describeEvaluation(window, evaluation, now),
  };
}

describe('x509 reader', () => {
  it('reports a certificate that expired yesterday as expired, in the words of x509: certificate has expired', () => {
    const [window] = readCertificates(certificatesPem(expiredYesterday));
    const got = decide(window!, NOW);
    expect(got.status).toBe('expired');
    expect(got.message).toBe(
      'x509: certificate has expired or is not yet valid: current time 2025-06-15T12:00:00Z is after 2025-06-14T12:00:00Z',
    );
  });

  it('reports a certificate before its notBefore as not yet valid', () => {
    const [window] = readCertificates(certificatesPem(notYetValid));
    const got = decide(window!, NOW);
    expect(got.status).toBe('not-yet-valid');
    expect(got.message).toContain('is before 2025-06-20T00:00:00Z');
  });

  it('reads the same window from PEM and from DER', () => {
    const fromPem = readCertificates(certificatesPem(ca));
    const fromDer = readCertificates(certificateDer(ca));
    expect(fromDer).toEqual(fromPem);
    expect(fromPem[0]).toMatchObject({
      kind: 'x509-certificate',
      subject: 'CN=test root CA',
      notBefore: at('2025-01-01T00:00:00Z'),
      notAfter: at('2035-01-01T00:00:00Z'),
    });
    expect(fromPem[0]!.fingerprint).toMatch(/^[0-9a-f]{8}$/);
  });

  it('reads every certificate of a bundle with its position, skipping private keys', () => {
    const text = `-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n${certificatesPem(firstOfBundle, secondOfBundle, thirdOfBundle)}`;
    const windows = readCertificates(text);
    expect(windows.map((w) => [w.subject, w.member])).toEqual([
      ['CN=bundle one', { index: 1, count: 3 }],
      ['CN=bundle two', { index: 2, count: 3 }],
      ['CN=bundle three', { index: 3, count: 3 }],
    ]);
  });
});

describe('a bundle whose second certificate expires first', () => {
  it('is evaluated as a whole and named by that second certificate', async () => {
    const files: Record<string, string> = {
      '/etc/ssl/bundle.pem': certificatesPem(firstOfBundle, secondOfBundle, thirdOfBundle),
    };
    const [finding, ...rest] = await scan(
      configFor([{ name: 'bundle', kind: 'certificate', path: '/etc/ssl/bundle.pem' }]),
      {
        now: NOW,
        sources: fakeSources(files),
      },
    );
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      name: 'bundle',
      subject: 'CN=bundle two',
      status: 'warning',
      notAfter: at('2025-06-25T00:00:00Z'),
    });
    expect(finding!.note).toContain('certificate 2 of 3 is the most urgent (all 3 evaluated)');
  });
});

describe('JWT reader', () => {
  it.each([
    {
      when: 'one day before its expiry',
      now: '2025-06-14T12:00:00Z',
      status: 'critical',
      due: true,
    },
    { when: 'one day after its expiry', now: '2025-06-16T12:00:00Z', status: 'expired', due: true },
  ])('reports a one-year service-account token $when as $status', async ({ now, status, due }) => {
    const window = readJwt(await serviceAccountToken());
    expect(window).toMatchObject({
      kind: 'jwt',
      subject: 'system:serviceaccount:ci:deployer',
      notBefore: at('2024-06-15T12:00:00Z'),
      notAfter: at('2025-06-15T12:00:00Z'),
    });
    expect(window.detail).toContain(SIGNATURE_NOT_VERIFIED);
    expect(decide(window, at(now))).toMatchObject({ status, due });
  });

  it('reports a legacy service-account token without exp as unknown, saying it never expires', async () => {
    const token = await new SignJWT({
      'kubernetes.io/serviceaccount/namespace': 'ci',
      'kubernetes.io/serviceaccount/service-account.name': 'builder',
    })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('kubernetes/serviceaccount')
      .sign(signingKey);
    const window = readJwt(token);
    expect(window.subject).toBe('system:serviceaccount:ci:builder');
    expect(window.detail).toContain('never expires');
    expect(decide(window, NOW).status).toBe('unknown');
  });

  it('prefers nbf over iat for notBefore', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuedAt(seconds('2025-01-01T00:00:00Z'))
      .setNotBefore(seconds('2025-02-01T00:00:00Z'))
      .setExpirationTime(seconds('2025-12-01T00:00:00Z'))
      .sign(signingKey);
    expect(readJwt(token).notBefore).toEqual(at('2025-02-01T00:00:00Z'));
  });
});

describe('GitLab token reader', () => {
  const metadata = {
    id: 42,
    name: 'ci-deploy',
    revoked: false,
    active: true,
    created_at: '2025-03-16T09:30:00.000Z',
    expires_at: '2025-06-16',
    scopes: ['api'],
  };
  it('takes expires_at to mean 00:00 UTC of that date', () => {
    expect(readGitLabToken(metadata).notAfter).toEqual(at('2025-06-16T00:00:00Z'));
  });
  it.each([
    { when: 'on its last day', now: '2025-06-15T12:00:00Z', status: 'critical' },
    { when: 'at midnight UTC of expires_at', now: '2025-06-16T00:00:00Z', status: 'expired' },
  ])('reports a token $when as $status', ({ now, status }) => {
    const window = readGitLabToken(metadata);
    expect(window.subject).toBe('ci-deploy (id 42)');
    expect(decide(window, at(now)).status).toBe(status);
  });
  it('fingerprints the token value when the caller has it, and never shows it', () => {
    const window = readGitLabToken(metadata, { token: 'not-a-real-token-value' });
    expect(window.fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(JSON.stringify(window)).not.toContain('not-a-real-token-value');
  });
  it('accepts the full timestamp of deploy tokens and reports revoked tokens', () => {
    const window = readGitLabToken({
      id: 7,
      name: 'deploy',
      expires_at: '2025-07-01T10:00:00.000Z',
      revoked: true,
    });
    expect(window.notAfter).toEqual(at('2025-07-01T10:00:00Z'));
    expect(window.detail).toBe('revoked');
  });
  it('reports a token without expires_at as never expiring (unknown)', () => {
    const window = readGitLabToken({ ...metadata, expires_at: null });
    expect(decide(window, NOW).status).toBe('unknown');
  });
});

describe('Kubernetes readers', () => {
  it('reads certificate-authority-data and client-certificate-data from a kubeconfig', () => {
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '  - name: prod',
      '    cluster:',
      '      server: https://k8s.test',
      `      certificate-authority-data: ${b64(certificatesPem(ca))}`,
      'users:',
      '  - name: admin',
      '    user:',
      `      client-certificate-data: ${b64(certificatesPem(expiredYesterday))}`,
    ].join('\n');
    const windows = readKubeconfig(kubeconfig);
    expect(windows.map((w) => [w.locator, w.subject])).toEqual([
      ['clusters/prod', 'CN=test root CA'],
      ['users/admin/client-certificate', 'CN=expired.test'],
    ]);
  });

  it('reads the caBundle of every webhook in a ValidatingWebhookConfiguration', () => {
    const yaml = [
      'apiVersion: admissionregistration.k8s.io/v1',
      'kind: ValidatingWebhookConfiguration',
      'metadata: { name: policy }',
      'webhooks:',
      '  - name: a.policy.test',
      `    clientConfig: { caBundle: ${b64(certificatesPem(ca))} }`,
      '  - name: b.policy.test',
      `    clientConfig: { caBundle: ${b64(certificatesPem(notYetValid))} }`,
      '  - name: c.policy.test',
      '    clientConfig: { url: https://uses.system.roots.test }',
    ].join('\n');
    const windows = readWebhookConfiguration(yaml);
    expect(windows.map((w) => [w.locator, w.subject])).toEqual([
      ['ValidatingWebhookConfiguration/policy/a.policy.test', 'CN=test root CA'],
      ['ValidatingWebhookConfiguration/policy/b.policy.test', 'CN=future.test'],
    ]);
  });

  it('reads the caBundle of an APIService and a CRD conversion webhook in one multi-document file', () => {
    const caBundle = b64(certificatesPem(ca));
    const yaml = [
      'kind: APIService',
      'metadata: { name: v1beta1.metrics.k8s.io }',
      `spec: { caBundle: ${caBundle} }`,
      '---',
      'kind: CustomResourceDefinition',
      'metadata: { name: widgets.example.test }',
      `spec: { conversion: { strategy: Webhook, webhook: { clientConfig: { caBundle: ${caBundle} } } } }`,
    ].join('\n');
    expect(readWebhookConfiguration(yaml).map((w) => w.locator)).toEqual([
      'APIService/v1beta1.metrics.k8s.io',
      'CustomResourceDefinition/widgets.example.test/conversion',
    ]);
  });
});

describe('Docker config reader', () => {
  it('decodes user:password, and takes the exp of a password that is a JWT as the expiry', async () => {
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('robot')
      .setIssuedAt(seconds('2025-06-15T00:00:00Z'))
      .setExpirationTime(seconds('2025-06-16T00:00:00Z'))
      .sign(signingKey);
    const config = JSON.stringify({
      auths: {
        'registry.test': { auth: b64('ci:hunter2-not-real') },
        'jwt.registry.test': { auth: b64(`oauth2accesstoken:${jwt}`) },
        'helper.registry.test': {},
      },
      credsStore: 'desktop',
    });
    const windows = readDockerConfig(config);
    expect(windows.map((w) => [w.locator, w.subject, w.notAfter?.toISOString()])).toEqual([
      ['auths/registry.test', 'ci@registry.test', undefined],
      [
        'auths/jwt.registry.test',
        'oauth2accesstoken@jwt.registry.test',
        '2025-06-16T00:00:00.000Z',
      ],
    ]);
    expect(windows[1]!.detail).toContain(SIGNATURE_NOT_VERIFIED);
    const serialized = JSON.stringify(windows);
    expect(serialized).not.toContain('hunter2-not-real');
    expect(serialized).not.toContain(jwt);
  });
});

describe('AWS Secrets Manager rotation reader', () => {
  it.each([
    {
      name: 'uses NextRotationDate when the service reports it',
      metadata: {
        Name: 'db',
        RotationEnabled: true,
        LastRotatedDate: at('2025-06-01T00:00:00Z'),
        NextRotationDate: at('2025-07-01T00:00:00Z'),
        RotationRules: { AutomaticallyAfterDays: 30 },
      },
      notAfter: '2025-07-01T00:00:00.000Z',
    },
    {
      name: 'adds AutomaticallyAfterDays to LastRotatedDate (epoch seconds, as in AWS JSON)',
      metadata: {
        Name: 'db',
        RotationEnabled: true,
        LastRotatedDate: seconds('2025-06-01T00:00:00Z'),
        RotationRules: { AutomaticallyAfterDays: 10 },
      },
      notAfter: '2025-06-11T00:00:00.000Z',
    },
    {
      name: 'reads a rate() ScheduleExpression in hours',
      metadata: {
        Name: 'db',
        RotationEnabled: true,
        LastRotatedDate: '2025-06-15T00:00:00Z',
        RotationRules: { ScheduleExpression: 'rate(4 hours)' },
      },
      notAfter: '2025-06-15T04:00:00.000Z',
    },
    {
      name: 'gives no expiry when rotation is disabled',
      metadata: { Name: 'db', RotationEnabled: false, CreatedDate: '2025-01-01T00:00:00Z' },
      notAfter: undefined,
    },
  ])('$name', ({ metadata, notAfter }) => {
    expect(readAwsRotation(metadata).notAfter?.toISOString()).toBe(notAfter);
  });
});

describe('GCP Secret Manager reader', () => {
  it('reads expire_time and rotation.next_rotation_time as two windows (REST shape)', () => {
    const windows = readGcpSecret({
      name: 'projects/p/secrets/s',
      createTime: '2025-01-01T00:00:00Z',
      expireTime: '2025-12-31T00:00:00Z',
      rotation: { nextRotationTime: '2025-07-01T00:00:00Z', rotationPeriod: '2592000s' },
    });
    expect(
      windows.map((w) => [w.locator, w.notBefore?.toISOString(), w.notAfter?.toISOString()]),
    ).toEqual([
      ['expire_time', '2025-01-01T00:00:00.000Z', '2025-12-31T00:00:00.000Z'],
      ['rotation.next_rotation_time', '2025-06-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z'],
    ]);
  });
  it('reads protobuf timestamps from the gRPC client', () => {
    const [window] = readGcpSecret({
      name: 'projects/p/secrets/s',
      expire_time: { seconds: String(seconds('2025-08-01T00:00:00Z')), nanos: 0 },
    });
    expect(window!.notAfter).toEqual(at('2025-08-01T00:00:00Z'));
  });
});

describe('malformed input', () => {
  const cases: Array<{ kind: string; read: () => unknown; message: RegExp; secret?: string }> = [
    {
      kind: 'certificate: not PEM, not DER',
      read: () => readCertificates('hello'),
      message: /neither PEM .* nor DER/,
    },
    {
      kind: 'certificate: only a private key',
      read: () =>
        readCertificates('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'),
      message: /no CERTIFICATE block found \(found PRIVATE KEY\)/,
    },
    {
      kind: 'certificate: corrupt PEM body',
      read: () =>
        readCertificates('-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n'),
      message: /certificate is not a valid X\.509 certificate/,
    },
    {
      kind: 'certificate: truncated PEM',
      read: () => readCertificates('-----BEGIN CERTIFICATE-----\nMIIB\n'),
      message: /BEGIN line without its END/,
    },
    {
      kind: 'JWT: two parts',
      read: () => readJwt('abc.def'),
      message: /not a JWT: expected three base64url parts/,
    },
    {
      kind: 'JWT: garbage payload',
      read: () => readJwt('eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXNhdXNhZ2U.sig'),
      message: /not a JWT: the header or payload/,
      secret: 'c2VjcmV0LXNhdXNhZ2U',
    },
    {
      kind: 'JWT: exp is a string',
      read: () =>
        readJwt(
          `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"exp":"tomorrow"}').toString('base64url')}.sig`,
        ),
      message: /claim 'exp' is not a NumericDate/,
    },
    {
      kind: 'Docker config: not JSON',
      read: () => readDockerConfig('{"auths": {"r": {"password": s3cr3t-value}}}'),
      message: /Docker config is not valid JSON \(syntax error/,
      secret: 's3cr3t-value',
    },
    {
      kind: 'Docker config: no auths',
      read: () => readDockerConfig('{}'),
      message: /no 'auths' object/,
    },
    {
      kind: 'Docker config: auth is not user:password',
      read: () =>
        readDockerConfig(JSON.stringify({ auths: { r: { auth: b64('justapassword') } } })),
      message: /auths\/r auth does not decode to "username:password"/,
      secret: 'justapassword',
    },
    {
      kind: 'Docker config: auth is not base64',
      read: () => readDockerConfig(JSON.stringify({ auths: { r: { auth: 'p@ss:word!' } } })),
      message: /auths\/r auth is not base64/,
      secret: 'p@ss:word!',
    },
    {
      kind: 'kubeconfig: invalid YAML',
      read: () => readKubeconfig('users:\n  - name: a\n    user: { token: [topsecret\n'),
      message: /kubeconfig is not valid YAML \(\w+ at line \d+\)/,
      secret: 'topsecret',
    },
    {
      kind: 'kubeconfig: caData not base64',
      read: () =>
        readKubeconfig(
          'clusters:\n  - name: c\n    cluster: { certificate-authority-data: "%%%" }\n',
        ),
      message: /clusters\/c certificate-authority-data is not base64/,
    },
    {
      kind: 'kubeconfig: nothing embedded',
      read: () => readKubeconfig('clusters: []\nusers: []\n'),
      message: /embeds no certificate-authority-data/,
    },
    {
      kind: 'webhook configuration: caBundle is not PEM',
      read: () =>
        readWebhookConfiguration(
          `kind: ValidatingWebhookConfiguration\nmetadata: { name: w }\nwebhooks:\n  - name: x\n    clientConfig: { caBundle: ${b64('not pem')} }\n`,
        ),
      message: /ValidatingWebhookConfiguration\/w\/x caBundle: not a certificate/,
    },
    {
      kind: 'webhook configuration: no caBundle',
      read: () => readWebhookConfiguration('kind: ConfigMap\nmetadata: { name: x }\n'),
      message: /no caBundle found/,
    },
    {
      kind: 'GitLab token: impossible date',
      read: () => readGitLabToken({ id: 1, expires_at: '2025-02-30' }),
      message: /'expires_at' is not a calendar date/,
    },
    {
      kind: 'GitLab token: no id',
      read: () => readGitLabToken({ name: 'x' }),
      message: /has no 'id'/,
    },
    {
      kind: 'AWS metadata: bad schedule',
      read: () =>
        readAwsRotation({
          Name: 'x',
          RotationEnabled: true,
          LastRotatedDate: '2025-01-01T00:00:00Z',
          RotationRules: { ScheduleExpression: 'every tuesday' },
        }),
      message: /neither rate\(\.\.\.\) nor cron/,
    },
    {
      kind: 'AWS metadata: bad date',
      read: () => readAwsRotation({ Name: 'x', LastRotatedDate: 'yesterday' }),
      message: /'LastRotatedDate' is not a timestamp/,
    },
    {
      kind: 'GCP secret: bad expireTime',
      read: () => readGcpSecret({ name: 'projects/p/secrets/s', expireTime: 'soon' }),
      message: /'expireTime' is not a timestamp/,
    },
  ];
  it.each(cases)(
    '$kind: a ParseError says what is wrong without quoting the input',
    ({ read, message, secret }) => {
      let caught: unknown;
      try {
        read();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ParseError);
      expect((caught as Error).message).toMatch(message);
      if (secret) expect((caught as Error).message).not.toContain(secret);
    },
  );

  it('becomes a finding that names the file while the rest of the scan goes on', async () => {
    const files = { '/srv/good.pem': certificatesPem(ca), '/srv/broken.pem': 'garbage' };
    const findings = await scan(
      configFor([
        { name: 'broken', kind: 'certificate', path: '/srv/broken.pem' },
        { name: 'missing', kind: 'jwt', path: '/srv/missing.jwt' },
        { name: 'good', kind: 'certificate', path: '/srv/good.pem' },
      ]),
      { now: NOW, sources: fakeSources(files) },
    );
    expect(findings.map((f) => [f.name, f.status, f.error])).toEqual([
      [
        'broken',
        'unknown',
        '/srv/broken.pem: not a certificate: neither PEM (no -----BEGIN line) nor DER',
      ],
      ['missing', 'unknown', '/srv/missing.jwt: cannot read: file not found'],
      ['good', 'ok', undefined],
    ]);
  });
});

function configFor(watchers: CheckConfig['watchers']): CheckConfig {
  return { watchers, defaults: { thresholds: DEFAULTS } };
}

function fakeSources(files: Record<string, string>): Sources {
  return {
    readFile: async (path) => {
      const content = files[path];
      if (content === undefined)
        throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return Buffer.from(content);
    },
    fetchCertificateChain: async () => {
      throw new Error('no network in unit tests');
    },
  };
}
