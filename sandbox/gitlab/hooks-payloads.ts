/**
 * Webhook payload shapes, as the "Webhook events" page documents them:
 * https://docs.gitlab.com/user/project/integrations/webhook_events/
 * Only the fields a receiver plausibly reads are filled; the rest follow the documented
 * examples with neutral values.
 */
import type { GitLabGroup, GitLabProject, GitLabUser } from './context.js';

/** Where the token event is raised: a project hook receives project tokens, a group hook group ones. */
export type HookTarget = { project: GitLabProject } | { group: GitLabGroup };

/** A project or group access token about to expire. */
export interface ExpiringAccessToken {
  id: number;
  name: string;
  /** The token's bot user. */
  user_id: number;
  created_at: Date | string;
  /** `YYYY-MM-DD`, as GitLab stores token expiry. */
  expires_at: string | null;
}

/** A deploy token about to expire. */
export interface ExpiringDeployToken {
  id: number;
  name: string;
  username: string;
  created_at: Date | string;
  expires_at: string | null;
}

/** The issue, MR and note fields the payloads need (see notes.ts). */
export interface IssueLike {
  id: number;
  iid: number;
  project_id: number;
  title: string;
  description: string | null;
  state: string;
  author_id: number;
  created_at: Date;
  updated_at: Date;
  web_url: string;
}
export interface MergeRequestLike extends IssueLike {
  source_branch: string;
  target_branch: string;
}
export interface NoteLike {
  id: number;
  body: string;
  author_id: number;
  project_id: number;
  noteable_id: number;
  noteable_type: 'Issue' | 'MergeRequest';
  created_at: Date;
  updated_at: Date;
}

/** GitLab's webhook timestamp style: `2024-05-14 06:06:01 UTC`. */
export function hookTime(d: Date | string): string {
  const date = typeof d === 'string' ? new Date(d) : d;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function projectPayload(project: GitLabProject, instanceUrl: string) {
  const web = `${instanceUrl}/${project.path_with_namespace}`;
  const host = new URL(instanceUrl).host;
  const ssh = `git@${host}:${project.path_with_namespace}.git`;
  const namespacePath = project.path_with_namespace.split('/').slice(0, -1).join('/');
  return {
    id: project.id,
    name: project.name,
    description: null,
    web_url: web,
    avatar_url: null,
    git_ssh_url: ssh,
    git_http_url: `${web}.git`,
    namespace: namespacePath.split('/').pop() ?? namespacePath,
    visibility_level: 0,
    path_with_namespace: project.path_with_namespace,
    default_branch: 'main',
    ci_config_path: null,
    homepage: web,
    url: ssh,
    ssh_url: ssh,
    http_url: `${web}.git`,
  };
}

function groupPayload(group: GitLabGroup) {
  return {
    group_name: group.name,
    group_path: group.path,
    full_path: group.full_path,
    group_id: group.id,
  };
}

/** Webhooks never carry e-mail addresses; GitLab sends `[REDACTED]`. */
export function userPayload(user: GitLabUser, instanceUrl: string) {
  return {
    id: user.id,
    name: user.name,
    username: user.username,
    avatar_url: `${instanceUrl}/uploads/-/system/user/avatar/${user.id}/avatar.png`,
    email: '[REDACTED]',
  };
}

function targetPart(target: HookTarget, instanceUrl: string) {
  if ('project' in target) {
    return { project_id: target.project.id, project: projectPayload(target.project, instanceUrl) };
  }
  return { group_id: target.group.id, group: groupPayload(target.group) };
}

/** "Project and group access token events" (`X-Gitlab-Event: Resource Access Token Hook`). */
export function accessTokenPayload(
  target: HookTarget,
  token: ExpiringAccessToken,
  instanceUrl: string,
) {
  return {
    object_kind: 'access_token',
    ...targetPart(target, instanceUrl),
    object_attributes: {
      user_id: token.user_id,
      created_at: hookTime(token.created_at),
      id: token.id,
      name: token.name,
      expires_at: token.expires_at,
    },
    event_name: 'expiring_access_token',
  };
}

/** "Deploy token events" (`X-Gitlab-Event: Resource Deploy Token Hook`). */
export function deployTokenPayload(
  target: HookTarget,
  token: ExpiringDeployToken,
  instanceUrl: string,
) {
  return {
    object_kind: 'deploy_token',
    ...targetPart(target, instanceUrl),
    object_attributes: {
      id: token.id,
      name: token.name,
      username: token.username,
      created_at: hookTime(token.created_at),
      expires_at: token.expires_at,
    },
    event_name: 'expiring_deploy_token',
  };
}

function repositoryPayload(project: GitLabProject, instanceUrl: string) {
  const p = projectPayload(project, instanceUrl);
  return { name: project.name, url: p.ssh_url, description: null, homepage: p.web_url };
}

function issueAttributes(issue: IssueLike) {
  return {
    id: issue.id,
    iid: issue.iid,
    title: issue.title,
    description: issue.description,
    state: issue.state,
    author_id: issue.author_id,
    project_id: issue.project_id,
    created_at: hookTime(issue.created_at),
    updated_at: hookTime(issue.updated_at),
    url: issue.web_url,
  };
}

/** "Comment events" (`X-Gitlab-Event: Note Hook`). */
export function notePayload(args: {
  user: GitLabUser;
  project: GitLabProject;
  note: NoteLike;
  noteable: IssueLike | MergeRequestLike;
  instanceUrl: string;
}) {
  const { user, project, note, noteable, instanceUrl } = args;
  const kindKey = note.noteable_type === 'Issue' ? 'issue' : 'merge_request';
  const attrs =
    'source_branch' in noteable
      ? {
          ...issueAttributes(noteable),
          source_branch: noteable.source_branch,
          target_branch: noteable.target_branch,
        }
      : issueAttributes(noteable);
  return {
    object_kind: 'note',
    event_type: 'note',
    user: userPayload(user, instanceUrl),
    project_id: project.id,
    project: projectPayload(project, instanceUrl),
    object_attributes: {
      id: note.id,
      note: note.body,
      noteable_type: note.noteable_type,
      author_id: note.author_id,
      created_at: hookTime(note.created_at),
      updated_at: hookTime(note.updated_at),
      project_id: note.project_id,
      attachment: null,
      line_code: null,
      commit_id: '',
      noteable_id: note.noteable_id,
      system: false,
      st_diff: null,
      action: 'create',
      url: `${noteable.web_url}#note_${note.id}`,
    },
    repository: repositoryPayload(project, instanceUrl),
    [kindKey]: attrs,
  };
}

/** "Work item events" for an opened issue (`X-Gitlab-Event: Issue Hook`). */
export function issuePayload(args: {
  user: GitLabUser;
  project: GitLabProject;
  issue: IssueLike;
  instanceUrl: string;
}) {
  const { user, project, issue, instanceUrl } = args;
  return {
    object_kind: 'issue',
    event_type: 'issue',
    user: userPayload(user, instanceUrl),
    project: projectPayload(project, instanceUrl),
    object_attributes: { ...issueAttributes(issue), action: 'open' },
    repository: repositoryPayload(project, instanceUrl),
    labels: [],
    changes: {},
    assignees: [],
  };
}
