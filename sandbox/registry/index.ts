/**
 * The sandbox's container registry: Debian's real `docker-registry` (Distribution 2.8)
 * with token authentication, the GitLab-style token endpoint that feeds it, and test
 * clients that push an image and walk the `docker login` flow.
 */
export {
  type CreateRegistryAuthorityOptions,
  createRegistryAuthority,
  type IssuedRegistryToken,
  type IssueRegistryTokenOptions,
  issueRegistryToken,
  type RegistryAccess,
  type RegistryAuthority,
  type RegistryTokenAlgorithm,
} from './authority.js';
export { type BearerChallenge, parseBearerChallenge } from './challenge.js';
export { libtrustKeyId } from './libtrust.js';
export {
  type DockerLoginOptions,
  type DockerLoginResult,
  dockerLogin,
  type LoginStep,
  type LoginStepName,
} from './login.js';
export {
  DEFAULT_REGISTRY_BINARY,
  RegistryStartError,
  RegistryUnavailableError,
  type RunningRegistry,
  type StartRegistryOptions,
  startRegistry,
} from './process.js';
export { type PushedImage, pushTestImage } from './push.js';
export {
  fetchRegistryToken,
  grantedAccess,
  type RegistryCredentials,
  type TokenFetcher,
  type TokenFetchResult,
} from './token-client.js';
export {
  parseScopes,
  type RegistryAuthorization,
  type RegistryAuthorize,
  type RegistryTokenHandlerOptions,
  registryTokenHandler,
} from './token-endpoint.js';
