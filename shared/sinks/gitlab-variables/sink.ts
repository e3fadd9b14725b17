/**
 * A GitLab CI/CD variable (project, group or instance level) as a credential sink.
 *
 * - `push` updates the variable in its environment scope when it exists and creates it
 *   otherwise. A readable variable that already holds the value and the configured flags
 *   is left alone (`unchanged`); a hidden one can never be read back, so it is always
 *   written.
 * - Hidden variables (`masked_and_hidden`, GitLab 17.4+) can only be made at creation, and
 *   GitLab refuses to unmask them afterwards (https://docs.gitlab.com/ci/variables/#hide-a-cicd-variable).
 *   So an existing hidden variable is updated without touching its visibility, and an
 *   existing visible one configured `hidden: true` is updated masked but stays visible:
 *   deleting it to recreate it hidden would leave running pipelines without the variable.
 *   To hide it, delete it once in GitLab; the next push creates it hidden.
 * - A POST that dies without an answer (the HTTP policy never repeats a POST) is
 *   reconciled: the variable is read, and the create is retried once only if it is absent.
 */
import { ConfigError, ValidationError } from '../../errors.js';
import { renderTemplate } from '../../rotation/template.js';
import type { CredentialSink, PushOutcome, RenderContext } from '../../rotation/types.js';
import type { GitLabClient } from '../../sources/gitlab/client.js';
import { fingerprint } from '../../util/fingerprint.js';
import {
  levelKind,
  type RemoteVariable,
  type VariableApi,
  type VariableFlags,
  type VariableLevel,
  variableApi,
} from './api.js';
import { gitlabMessageOf, isAmbiguous, statusOf, translate } from './errors.js';
import { MAX_VALUE_CHARACTERS, maskingProblem } from './masking.js';

export type { VariableLevel } from './api.js';

export interface GitLabVariableSinkOptions {
  /** From `createGitLabClient` (shared/sources/gitlab/client.ts): it carries credrot's retry policy. */
  client: GitLabClient;
  level: VariableLevel;
  key: string;
  /** Default `*`. Instance variables have no scopes: only `*` is accepted there. */
  environmentScope?: string;
  /** Default false. */
  protected?: boolean;
  /** Default true. */
  masked?: boolean;
  /** Default false. Implies masked. Not available at instance level. */
  hidden?: boolean;
  /** Default `env_var`. */
  variableType?: 'env_var' | 'file';
  /** Default `{{token}}` (shared/rotation/template.ts). */
  template?: string;
}

export class GitLabVariableSink implements CredentialSink {
  readonly label: string;
  private readonly api: VariableApi;
  private readonly flags: VariableFlags;
  private readonly hidden: boolean;
  private readonly template: string;

  constructor(options: GitLabVariableSinkOptions) {
    const scope = options.environmentScope ?? '*';
    const kind = levelKind(options.level);
    this.hidden = options.hidden ?? false;
    this.flags = {
      protected: options.protected ?? false,
      masked: this.hidden || (options.masked ?? true),
      variableType: options.variableType ?? 'env_var',
    };
    this.template = options.template ?? '{{token}}';
    const where =
      'project' in options.level
        ? `project ${options.level.project} (scope ${scope})`
        : 'group' in options.level
          ? `group ${options.level.group} (scope ${scope})`
          : 'the instance';
    this.label = `gitlab variable ${options.key} on ${where}`;
    if (kind === 'instance' && this.hidden) {
      throw new ConfigError(
        `${this.label}: GitLab has no hidden instance variables; set hidden: false (masked: true still masks it in job logs)`,
      );
    }
    if (kind === 'instance' && scope !== '*') {
      throw new ConfigError(
        `${this.label}: instance variables have no environment scopes; remove environmentScope or use a project or group variable`,
      );
    }
    this.api = variableApi(options.client, options.level, options.key, scope);
  }

  render(ctx: RenderContext): string {
    return renderTemplate(this.template, ctx);
  }

  /** Refuses a value GitLab would refuse (too long) or could not mask, naming the rule and the fix. */
  validate(rendered: string): void {
    const id = `value ${fingerprint(rendered)}`;
    if (rendered.length > MAX_VALUE_CHARACTERS) {
      throw new ValidationError(
        `${this.label}: the ${id} is ${rendered.length} characters; GitLab variables hold at most ${MAX_VALUE_CHARACTERS}: use a shorter template, or keep the value in a secret store and give CI a reference to it`,
        { context: { sink: this.label, length: rendered.length } },
      );
    }
    if (!this.flags.masked) return;
    const problem = maskingProblem(rendered);
    if (!problem) return;
    const fix = this.hidden
      ? 'set hidden: false, masked: false and variableType: file, with protected: true so only protected branches and tags receive it; or change the template so the value can be masked'
      : 'use variableType: file and masked: false, with protected: true so only protected branches and tags receive it; or change the template so the value can be masked';
    throw new ValidationError(
      `${this.label}: the ${id} cannot be masked: ${problem}. Fix: ${fix}`,
      { context: { sink: this.label } },
    );
  }

  async push(rendered: string): Promise<PushOutcome> {
    // Validate first: `masked: true` is never sent for a value GitLab would refuse.
    this.validate(rendered);
    const current = await this.read(rendered);
    if (!current) return this.create(rendered);
    if (!current.hidden && current.value === rendered && this.flagsMatch(current)) {
      return 'unchanged';
    }
    await this.update(rendered, current);
    return 'written';
  }

  async readBack(): Promise<string | 'unreadable' | undefined> {
    const current = await this.read();
    if (!current) return undefined;
    return current.hidden || current.value === null ? 'unreadable' : current.value;
  }

  private async read(value?: string): Promise<RemoteVariable | undefined> {
    try {
      return await this.api.get();
    } catch (err) {
      throw translate(err, this.label, this.api.kind, value);
    }
  }

  private flagsMatch(current: RemoteVariable): boolean {
    return (
      current.protected === this.flags.protected &&
      current.masked === this.flags.masked &&
      current.variableType === this.flags.variableType
    );
  }

  private async update(rendered: string, current: RemoteVariable): Promise<void> {
    // GitLab refuses to unmask a hidden variable: leave its visibility alone.
    const flags: Partial<VariableFlags> = current.hidden
      ? { protected: this.flags.protected, variableType: this.flags.variableType }
      : this.flags;
    if (current.hidden) {
      const problem = maskingProblem(rendered);
      if (problem) {
        throw new ValidationError(
          `${this.label}: the variable was created hidden, so GitLab keeps it masked, and the value ${fingerprint(rendered)} cannot be masked: ${problem}. Fix: delete the variable once in GitLab (Settings > CI/CD > Variables); the next run creates it as configured`,
          { context: { sink: this.label } },
        );
      }
    }
    try {
      await this.api.update(rendered, flags);
    } catch (err) {
      throw translate(err, this.label, this.api.kind, rendered);
    }
  }

  private async create(rendered: string): Promise<PushOutcome> {
    let failure: unknown;
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        await this.api.create(rendered, this.flags, this.hidden);
        return 'written';
      } catch (err) {
        // Taken: someone created it between our read and our POST, so update it instead.
        // Ambiguous: the POST may have taken effect, so look before writing again.
        const taken = statusOf(err) === 400 && /has already been taken/.test(gitlabMessageOf(err));
        if (!taken && !isAmbiguous(err)) throw translate(err, this.label, this.api.kind, rendered);
        failure = err;
      }
      const current = await this.read(rendered);
      if (current) {
        if (current.hidden || current.value !== rendered || !this.flagsMatch(current)) {
          await this.update(rendered, current);
        }
        return 'written';
      }
    }
    throw translate(failure, this.label, this.api.kind, rendered);
  }
}
