/**
 * What GitLab accepts in a CI/CD variable, checked before any request so that a value the
 * variable cannot hold safely is refused with a clear reason instead of GitLab's bare
 * `400 {"value":["is invalid"]}`, and so that `masked: true` is never sent for a value
 * that would be refused (or, worse, accepted unmasked by some other path).
 *
 * Rules: https://docs.gitlab.com/ci/variables/#mask-a-cicd-variable and GitLab's own
 * `Ci::Maskable::REGEX` (expanded variables; credrot does not set `raw`, so the stricter
 * rule applies): a single line with no whitespace, at least 8 characters, only the Base64
 * alphabet (RFC 4648, with the URL-safe `-` and `_`) plus `@`, `:`, `.` and `~`.
 * Size: https://docs.gitlab.com/api/project_level_variables/ (values are limited to
 * 10,000 characters by the model validation).
 */

/** GitLab's limit on a variable's value, in characters. */
export const MAX_VALUE_CHARACTERS = 10_000;
/** GitLab's shortest maskable value, in characters. */
export const MIN_MASKED_CHARACTERS = 8;

const MASKABLE_CHARACTER = /^[A-Za-z0-9+/=_@:.~-]$/;

/** The first masking rule `value` breaks, in words, or undefined when it can be masked. Never quotes the value. */
export function maskingProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value))
    return 'it spans more than one line (masked values must be a single line)';
  if (/\s/.test(value)) return 'it contains whitespace (masked values cannot)';
  if (value.length < MIN_MASKED_CHARACTERS) {
    return `it is shorter than ${MIN_MASKED_CHARACTERS} characters (masked values must be at least ${MIN_MASKED_CHARACTERS})`;
  }
  for (const ch of value) {
    if (!MASKABLE_CHARACTER.test(ch)) {
      // The offending character is not named: it is part of the secret.
      return 'it contains characters GitLab cannot mask (allowed: letters, digits and + / = _ - @ : . ~)';
    }
  }
  return undefined;
}

/** True when GitLab masks `value` (expanded variables). */
export function isMaskable(value: string): boolean {
  return maskingProblem(value) === undefined;
}
