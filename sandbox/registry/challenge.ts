/**
 * The registry challenge parser lives in the production code (shared/registry), which
 * walks the same flow to verify a credential; the sandbox re-exports it.
 */
export { type BearerChallenge, parseBearerChallenge } from '../../shared/registry/challenge.js';
