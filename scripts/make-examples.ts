/**
 * Writes the offline examples of `credrot check` into examples/: certificates (a CA and
 * a chain that expires soon, an expired and a not-yet-valid certificate, a bundle whose
 * second certificate expires first), a kubeconfig and a ValidatingWebhookConfiguration
 * embedding the CA, a Docker config.json (basic auth, and a password that is a JWT), a
 * Kubernetes service-account JWT, and credrot.config.yaml watching all of them.
 *
 * Every date is relative to the anchor instant (now, or `--at <ISO>`), recorded in
 * examples/manifest.json so tests can pass `check --now <anchor>` and stay stable.
 * ALL KEYS ARE TEST-ONLY, generated here and used nowhere else.
 *
 * Usage: npm run examples [-- --at 2025-06-01T00:00:00Z]
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateKeyPair, SignJWT } from 'jose';
import {
  certificatesPem as pem,
  privateKeyPem,
  selfSignedCa,
  serverCertificate,
} from './lib/test-pki.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'examples');
/** Shapes secret scanners flag; nothing generated may match them. */
const FORBIDDEN = [/glpat-[A-Za-z0-9_-]{20}/, /ghp_[A-Za-z0-9]{36}/, /AKIA[0-9A-Z]{16}/];

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const seconds = (date: Date) => Math.floor(date.getTime() / 1_000);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { at: { type: 'string' } } });
  const at = new Date(
    Math.floor((values.at ? Date.parse(values.at) : Date.now()) / 60_000) * 60_000,
  );
  if (Number.isNaN(at.getTime()))
    throw new Error(`--at must be an ISO 8601 instant, not '${values.at}'`);
  const t = (ms: number) => new Date(at.getTime() + ms);

  const ca = await selfSignedCa(
    'CN=credrot example root CA,O=credrot examples',
    t(-DAY),
    t(3650 * DAY),
  );
  const webhook = await serverCertificate(
    ca,
    'webhook.credrot-system.svc',
    t(-85 * DAY),
    t(5 * DAY),
  );
  const expired = await serverCertificate(ca, 'expired.example.test', t(-91 * DAY), t(-DAY));
  const future = await serverCertificate(ca, 'not-yet-valid.example.test', t(2 * DAY), t(92 * DAY));
  const legacyCa = await selfSignedCa(
    'CN=credrot example legacy CA,O=credrot examples',
    t(-345 * DAY),
    t(20 * DAY),
  );
  const newCa = await selfSignedCa(
    'CN=credrot example next CA,O=credrot examples',
    t(-DAY),
    t(400 * DAY),
  );

  const signing = await generateKeyPair('RS256');
  const serviceAccountJwt = await new SignJWT({
    aud: ['https://kubernetes.default.svc.cluster.local'],
    'kubernetes.io': {
      namespace: 'ci',
      serviceaccount: { name: 'deployer', uid: '6c0f6a4e-0000-4000-8000-000000000001' },
    },
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'credrot-example-test-only' })
    .setIssuer('https://kubernetes.default.svc.cluster.local')
    .setSubject('system:serviceaccount:ci:deployer')
    .setIssuedAt(seconds(t(-300 * DAY)))
    .setNotBefore(seconds(t(-300 * DAY)))
    .setExpirationTime(seconds(t(65 * DAY)))
    .sign(signing.privateKey);
  const registryJwt = await new SignJWT({
    access: [{ type: 'repository', name: 'ci/app', actions: ['pull', 'push'] }],
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'credrot-example-test-only' })
    .setIssuer('registry-token-issuer.example.test')
    .setSubject('ci-bot')
    .setAudience('jwt-registry.example.test')
    .setIssuedAt(seconds(t(-12 * HOUR)))
    .setExpirationTime(seconds(t(12 * HOUR)))
    .sign(signing.privateKey);

  const caPem = pem(ca);
  const files: Record<string, string> = {
    'pki/ca.pem': caPem,
    'pki/ca.key.pem': await privateKeyPem(ca),
    'pki/webhook-chain.pem': pem(webhook, ca),
    'pki/webhook.key.pem': await privateKeyPem(webhook),
    'pki/expired.pem': pem(expired),
    'pki/not-yet-valid.pem': pem(future),
    'pki/bundle.pem': pem(ca, legacyCa, newCa),
    'kubeconfig.yaml': kubeconfig(b64(caPem)),
    'webhook-configuration.yaml': webhookConfiguration(b64(caPem)),
    'docker/config.json': `${JSON.stringify(
      {
        auths: {
          'registry.example.test': { auth: b64('ci-bot:example-password-not-a-real-secret') },
          'jwt-registry.example.test': { auth: b64(`ci-bot:${registryJwt}`) },
        },
      },
      null,
      2,
    )}\n`,
    'serviceaccount.jwt': `${serviceAccountJwt}\n`,
    'credrot.config.yaml': CONFIG,
    'manifest.json': `${JSON.stringify({ generatedAt: at.toISOString(), generator: 'scripts/make-examples.ts', note: 'All keys and secrets here are test-only. Run checks with --now <generatedAt> for stable results.' }, null, 2)}\n`,
  };

  await rm(join(ROOT, 'pki'), { recursive: true, force: true });
  for (const [name, content] of Object.entries(files)) {
    for (const pattern of FORBIDDEN) {
      if (pattern.test(content))
        throw new Error(`${name} matches ${pattern}; run the script again`);
    }
    const path = join(ROOT, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, { mode: name.includes('key') ? 0o600 : 0o644 });
  }
  // Read back one file to prove the write went where we think.
  await readFile(join(ROOT, 'credrot.config.yaml'));
  process.stdout.write(
    `wrote ${Object.keys(files).length} files to ${ROOT} (anchor ${at.toISOString()})\n`,
  );
}

function kubeconfig(caData: string): string {
  return `# Example kubeconfig for credrot check (test-only CA; no user credentials).
apiVersion: v1
kind: Config
clusters:
  - name: example
    cluster:
      server: https://kubernetes.example.test:6443
      certificate-authority-data: ${caData}
contexts:
  - name: example
    context:
      cluster: example
      user: example-user
current-context: example
users:
  - name: example-user
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: example-credential-helper
`;
}

function webhookConfiguration(caBundle: string): string {
  return `# Example admission webhook whose caBundle credrot watches (test-only CA).
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: credrot-example-policy
webhooks:
  - name: policy.credrot.example.test
    admissionReviewVersions: ["v1"]
    sideEffects: None
    clientConfig:
      service:
        namespace: credrot-system
        name: webhook
        path: /validate
      caBundle: ${caBundle}
    rules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE"]
        resources: ["pods"]
`;
}

const CONFIG = `# credrot check --config examples/credrot.config.yaml
# Watches the offline examples made by \`npm run examples\` (dates relative to
# manifest.json's generatedAt; pass --now <generatedAt> for stable output).
version: 1
defaults:
  thresholds:
    warning: 30d
    critical: 7d
watchers:
  - name: root-ca
    kind: certificate
    path: pki/ca.pem
  - name: webhook-tls
    kind: certificate
    path: pki/webhook-chain.pem
  - name: expired-cert
    kind: certificate
    path: pki/expired.pem
  - name: future-cert
    kind: certificate
    path: pki/not-yet-valid.pem
  - name: ca-bundle
    kind: certificate
    path: pki/bundle.pem
  - name: cluster-ca
    kind: kubeconfig
    path: kubeconfig.yaml
  - name: admission-webhook
    kind: webhook-configuration
    path: webhook-configuration.yaml
  - name: registry-auth
    kind: docker-config
    path: docker/config.json
  - name: ci-deployer-token
    kind: jwt
    path: serviceaccount.jwt
`;

await main();
