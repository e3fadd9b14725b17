/**
 * The value template of a sink: how a credential becomes the text a consumer holds.
 * Five variables, the same set the configuration schema allows:
 * `{{token}}`, `{{username}}`, `{{registry}}`, `{{dockerAuthConfig}}`, the compact
 * `~/.docker/config.json` document `{"auths":{"<registry>":{"auth":"<base64 user:token>"}}}`
 * that `docker login` would write, and `{{dockerConfigJson}}`, the same with `username`
 * and `password` in the entry, as a Kubernetes `.dockerconfigjson` holds it
 * (shared/registry/docker-config.ts). Pure: no I/O, no clock.
 */
import { ValidationError } from '../errors.js';
import { dockerAuthConfig, dockerConfigJson } from '../registry/docker-config.js';
import type { RenderContext } from './types.js';

export const TEMPLATE_VARIABLES = [
  'token',
  'username',
  'registry',
  'dockerAuthConfig',
  'dockerConfigJson',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** What each variable needs from the context, and how to get it when it is missing. */
const MISSING_FIX: Record<Exclude<TemplateVariable, 'token'>, string> = {
  username:
    'the credential has no username (only deploy tokens and registry credentials do): remove {{username}} from the template or use a credential kind that has one',
  registry:
    'no registry host is configured for this credential: set the registry, or remove {{registry}} from the template',
  dockerAuthConfig:
    '{{dockerAuthConfig}} needs both a username and a registry host: use it only for a credential that has a username (deploy token) and a configured registry',
  dockerConfigJson:
    '{{dockerConfigJson}} needs both a username and a registry host: use it only for a credential that has a username (deploy token, registry credential) and a configured registry',
};

export { dockerAuthConfig } from '../registry/docker-config.js';

function variableValue(name: string, ctx: RenderContext): string {
  let value: string | undefined;
  switch (name) {
    case 'token':
      return ctx.token;
    case 'username':
      value = ctx.username;
      break;
    case 'registry':
      value = ctx.registry;
      break;
    case 'dockerAuthConfig':
      if (ctx.registry !== undefined && ctx.username !== undefined)
        value = dockerAuthConfig(ctx.registry, ctx.username, ctx.token);
      break;
    case 'dockerConfigJson':
      if (ctx.registry !== undefined && ctx.username !== undefined)
        value = dockerConfigJson(ctx.registry, ctx.username, ctx.token);
      break;
    default:
      throw new ValidationError(
        `unknown template variable {{${name}}}: a template may only use ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`,
        { context: { variable: name } },
      );
  }
  if (value !== undefined) return value;
  const fix = MISSING_FIX[name as keyof typeof MISSING_FIX];
  throw new ValidationError(`template variable {{${name}}} has no value: ${fix}`, {
    context: { variable: name },
  });
}

/**
 * Renders `template` for one credential. Every `{{name}}` is replaced in one pass, so a
 * token that happens to contain `{{...}}` is never expanded again.
 * @throws ValidationError naming the variable and the fix when the context lacks it; the
 *   message never contains the token.
 */
export function renderTemplate(template: string, ctx: RenderContext): string {
  return template.replace(PLACEHOLDER, (_, name: string) => variableValue(name, ctx));
}
