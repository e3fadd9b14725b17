/** The expiry module: pure readers and policy. No I/O; the clock is always a parameter. */
export { describeEvaluation, rfc3339 } from './describe.js';
export type { Evaluation, RenewalBasis, RenewalTime } from './policy.js';
export { evaluate, renewalTime } from './policy.js';
export { readAwsRotation } from './readers/aws-rotation.js';
export { readDockerConfig } from './readers/docker-config.js';
export { readGcpSecret } from './readers/gcp-rotation.js';
export { expiresAt, readGitLabToken } from './readers/gitlab-token.js';
export { looksLikeJwt, readJwt, SIGNATURE_NOT_VERIFIED } from './readers/jwt.js';
export {
  readBase64Certificates,
  readKubeconfig,
  readWebhookConfiguration,
} from './readers/kubernetes.js';
export { readCertificates, windowOf } from './readers/x509.js';
export type { Reason } from './reasons.js';
export { REASONS } from './reasons.js';
export type { CredentialKind, ExpiryStatus, ExpiryWindow, Thresholds } from './types.js';
export { DEFAULT_THRESHOLDS, EXPIRY_STATUSES } from './types.js';
