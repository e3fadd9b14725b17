/**
 * The checks every "create or update a secret" call shares: the name rules, the body
 * fields, and opening the sealed box with the scope's private key. Each failure is the
 * 422 GitHub answers; nothing is stored unless all pass.
 *
 * https://docs.github.com/rest/actions/secrets#create-or-update-a-repository-secret
 */
import type { Request } from '../http.js';
import type { GitHubContext } from './context.js';
import { githubError, validationFailed } from './errors.js';
import { MAX_SECRET_BYTES, secretNameProblem } from './store.js';

/** Throws 422 unless `name` follows GitHub's secret naming rules. */
export function checkSecretName(req: Request, name: string): void {
  const problem = secretNameProblem(name);
  if (problem) throw validationFailed(req, 'name', problem);
}

/**
 * Reads `encrypted_value` + `key_id` from the body and opens the sealed box for `scope`.
 * Answers undefined when the body carries no value and `required` is false (an
 * organization secret whose visibility alone changes).
 */
export async function openSealedValue(
  ctx: GitHubContext,
  req: Request,
  scope: string,
  required: boolean,
): Promise<string | undefined> {
  const body = req.json<Record<string, unknown>>();
  const encrypted = body['encrypted_value'];
  const keyId = body['key_id'];
  if (encrypted === undefined && keyId === undefined && !required) return undefined;
  if (typeof encrypted !== 'string') {
    throw githubError(req, 422, 'Invalid request.\n\n"encrypted_value" wasn\'t supplied.');
  }
  if (typeof keyId !== 'string') {
    throw githubError(req, 422, 'Invalid request.\n\n"key_id" wasn\'t supplied.');
  }
  await ctx.keys.ready();
  const opened = ctx.keys.open(scope, keyId, encrypted);
  if (!opened.ok) {
    if (opened.reason === 'unknown-key-id') {
      throw validationFailed(req, 'key_id', 'The key_id does not match the current public key.');
    }
    if (opened.reason === 'not-base64') {
      throw githubError(
        req,
        422,
        'Invalid request.\n\n"encrypted_value" does not match the base64 pattern.',
      );
    }
    throw validationFailed(
      req,
      'encrypted_value',
      'The value could not be decrypted with the public key for key_id.',
    );
  }
  if (Buffer.byteLength(opened.plaintext, 'utf8') > MAX_SECRET_BYTES) {
    throw validationFailed(req, 'encrypted_value', 'Secrets are limited to 48 KB in size.');
  }
  return opened.plaintext;
}
