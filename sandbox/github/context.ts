/**
 * What the GitHub emulator's route modules share: the world, the key ring, the secret
 * store, the clock and the authenticated caller of a request (set by the `before` hook).
 */
import type { Request } from '../http.js';
import type { KeyRing } from './keys.js';
import type { SecretStore } from './store.js';
import type { GitHubWorld, Token } from './world.js';

export interface GitHubContext {
  world: GitHubWorld;
  keys: KeyRing;
  secrets: SecretStore;
  now(): Date;
  /** The request's token; the `before` hook has already answered 401 when there is none. */
  caller(req: Request): Token;
}
