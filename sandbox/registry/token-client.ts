/**
 * The client half of the token flow lives in the production code (shared/registry/token.ts),
 * which verifies registry credentials with it; the sandbox's test clients re-export it.
 */
export {
  errorCode,
  fetchRegistryToken,
  grantedAccess,
  networkError,
  type RegistryCredentials,
  type TokenFetcher,
  type TokenFetchResult,
} from '../../shared/registry/token.js';
