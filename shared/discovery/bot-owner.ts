/**
 * Which project or group a bot user belongs to, from its username alone. GitLab names the
 * bot user of a project or group access token `project_{id}_bot_{random}` /
 * `group_{id}_bot_{random}` (older versions: `project_{id}_bot` and `project_{id}_bot{n}`).
 * https://docs.gitlab.com/user/project/settings/project_access_tokens/#bot-users-for-projects
 * https://docs.gitlab.com/user/group/settings/group_access_tokens/#bot-users-for-groups
 */

export type TokenOwner =
  | { kind: 'project'; projectId: number }
  | { kind: 'group'; groupId: number }
  | { kind: 'personal'; userId: number };

const BOT_USERNAME = /^(project|group)_(\d+)_bot(?:\d+|_[0-9a-z]+)?$/;

/** The resource a bot username names, or undefined for any other user. */
export function ownerOfBot(username: string): TokenOwner | undefined {
  const m = BOT_USERNAME.exec(username);
  if (!m) return undefined;
  const id = Number(m[2]);
  return m[1] === 'project' ? { kind: 'project', projectId: id } : { kind: 'group', groupId: id };
}
