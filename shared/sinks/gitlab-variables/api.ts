/**
 * One small face over gitbeaker's three variable resources, so the sink does not care
 * which level it writes to. Every call names its environment scope through
 * `filter[environment_scope]`, so a key that exists in several scopes is never guessed
 * (GitLab answers 409 at project level without it, and picks the oldest at group level).
 *
 * API: https://docs.gitlab.com/api/project_level_variables/,
 * https://docs.gitlab.com/api/group_level_variables/,
 * https://docs.gitlab.com/api/instance_level_ci_variables/ (no scopes, no hidden variables).
 */
import type { GitLabClient } from '../../sources/gitlab/client.js';
import { gitlabMessageOf, type LevelKind, statusOf } from './errors.js';

export type VariableLevel =
  | { project: string | number }
  | { group: string | number }
  | { instance: true };

/** What GitLab reports about one variable. `value` is null for hidden variables. */
export interface RemoteVariable {
  value: string | null;
  hidden: boolean;
  masked: boolean;
  protected: boolean;
  variableType: 'env_var' | 'file';
}

export interface VariableFlags {
  protected: boolean;
  masked: boolean;
  variableType: 'env_var' | 'file';
}

export interface VariableApi {
  readonly kind: LevelKind;
  /** The variable in this sink's scope, or undefined when GitLab answers 404 for it. */
  get(): Promise<RemoteVariable | undefined>;
  /** POST; `hidden` sends `masked_and_hidden: true` (project and group only). */
  create(value: string, flags: VariableFlags, hidden: boolean): Promise<void>;
  /** PUT; `flags` fields left undefined are not sent (GitLab keeps them). */
  update(value: string, flags: Partial<VariableFlags>): Promise<void>;
}

export function levelKind(level: VariableLevel): LevelKind {
  if ('project' in level) return 'project';
  if ('group' in level) return 'group';
  return 'instance';
}

function toRemote(body: Record<string, unknown>): RemoteVariable {
  const value = body['value'];
  return {
    value: typeof value === 'string' ? value : null,
    hidden: body['hidden'] === true || value === null,
    masked: body['masked'] === true,
    protected: body['protected'] === true,
    variableType: body['variable_type'] === 'file' ? 'file' : 'env_var',
  };
}

/**
 * A 404 for the variable itself means absent; a 404 for the project or group (or the
 * path) is a real failure and is rethrown.
 */
async function absentOn404(call: () => Promise<unknown>): Promise<RemoteVariable | undefined> {
  try {
    return toRemote((await call()) as Record<string, unknown>);
  } catch (err) {
    if (statusOf(err) === 404 && /variable not found/i.test(gitlabMessageOf(err))) {
      return undefined;
    }
    throw err;
  }
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Builds the API face for `level`, scoped to `key` and `environmentScope`. */
export function variableApi(
  client: GitLabClient,
  level: VariableLevel,
  key: string,
  environmentScope: string,
): VariableApi {
  if ('instance' in level) {
    const api = client.InstanceLevelCICDVariables;
    return {
      kind: 'instance',
      get: () => absentOn404(() => api.show(key)),
      async create(value, flags) {
        await api.create(key, value, flags);
      },
      async update(value, flags) {
        await api.edit(key, value, defined(flags));
      },
    };
  }
  const [kind, id, api] =
    'project' in level
      ? (['project', level.project, client.ProjectVariables] as const)
      : (['group', level.group, client.GroupVariables] as const);
  const filter = { environment_scope: environmentScope };
  return {
    kind,
    get: () => absentOn404(() => api.show(id, key, { filter })),
    async create(value, flags, hidden) {
      // gitbeaker's typings predate `masked_and_hidden` (GitLab 17.4); it forwards
      // unknown options as body fields after snake-casing their names.
      const options = { ...flags, environmentScope, ...(hidden ? { maskedAndHidden: true } : {}) };
      await api.create(id, key, value, options);
    },
    async update(value, flags) {
      await api.edit(id, key, value, { ...defined(flags), filter });
    },
  };
}
