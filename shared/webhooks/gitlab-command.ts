/**
 * The comment command `/credrot rotate <name>` on an issue or merge request. Who may run
 * it is decided by GitLab at that moment: the author's effective access level on the
 * project, looked up through the API (`GET /projects/:id/members/all/:user_id`, which
 * includes inherited membership), never a role the payload claims. Maintainer (40) or
 * above gets a rotation; anyone else a refusal. Both are answered with a note on the
 * issue or merge request; the rotation's own outcome is posted by the worker.
 *
 * The same command on the same issue or merge request acts once per window, whether it
 * arrives twice (a redelivery) or in the description and then again in a comment.
 *
 * https://docs.gitlab.com/api/members/#get-a-member-of-a-group-or-project-including-inherited-and-invited-members
 * https://docs.gitlab.com/api/notes/#create-new-issue-note
 */
import type { Config, ResolvedCredential } from '../config/load.js';
import { ACCESS_LEVELS } from '../config/schema.js';
import type { JobQueue } from '../jobs/job.js';
import { dedupeKey, makeJob, type ReplyTarget } from '../jobs/job.js';
import type { Log } from '../metrics/log.js';
import { safeMessage } from '../rotation/engine.js';
import type { GitLabClient } from '../sources/gitlab/client.js';
import { isNotFound } from '../sources/gitlab/not-found.js';
import type { DedupeStore } from './dedupe.js';
import { type ProjectRef, projectMayCommand, projectOf } from './gitlab-authorize.js';
import { answer, type WebhookResponse } from './http.js';

const COMMAND = /^\/credrot rotate ([a-z0-9][a-z0-9._-]{0,62})$/;

/** The credential a text names when it is exactly `/credrot rotate <name>` (trimmed). */
export function parseCommand(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  return COMMAND.exec(text.trim())?.[1];
}

export interface CommandRequest {
  credentialName: string;
  project: ProjectRef;
  noteable: 'issue' | 'merge_request';
  /** Global id (shared by the description's and the comments' events). */
  noteableId: number;
  iid: number;
  user: { id: number; username: string };
}

export interface CommandDeps {
  config: Config;
  queue: JobQueue;
  dedupe: DedupeStore;
  now: () => Date;
  log: Log;
  /** The GitLab client of a configured connection. */
  gitlab(connection: string): Promise<GitLabClient>;
}

/**
 * A command request from a `Note Hook`, `Issue Hook` or `Merge Request Hook` payload, or
 * undefined when the event carries no command (or is on a commit or snippet).
 */
export function commandFrom(
  event: string,
  payload: Record<string, unknown>,
): CommandRequest | undefined {
  const attrs = payload['object_attributes'] as Record<string, unknown> | undefined;
  const user = payload['user'] as Record<string, unknown> | undefined;
  const project = projectOf(payload);
  if (!attrs || !user || !project) return undefined;
  const userId = user['id'];
  const username = user['username'];
  if (typeof userId !== 'number' || typeof username !== 'string') return undefined;
  let text: unknown;
  let noteable: CommandRequest['noteable'];
  let target: Record<string, unknown> | undefined;
  if (event === 'Note Hook') {
    text = attrs['note'];
    const type = attrs['noteable_type'];
    if (type === 'Issue') {
      noteable = 'issue';
      target = payload['issue'] as Record<string, unknown> | undefined;
    } else if (type === 'MergeRequest') {
      noteable = 'merge_request';
      target = payload['merge_request'] as Record<string, unknown> | undefined;
    } else return undefined;
  } else if (event === 'Issue Hook' || event === 'Merge Request Hook') {
    if (attrs['action'] !== 'open' && attrs['action'] !== 'reopen') return undefined;
    text = attrs['description'];
    noteable = event === 'Issue Hook' ? 'issue' : 'merge_request';
    target = attrs;
  } else return undefined;
  const credentialName = parseCommand(text);
  const noteableId = target?.['id'];
  const iid = target?.['iid'];
  if (!credentialName || typeof noteableId !== 'number' || typeof iid !== 'number')
    return undefined;
  return {
    credentialName,
    project,
    noteable,
    noteableId,
    iid,
    user: { id: userId, username },
  };
}

/** Posts a note on the command's issue or merge request. */
export async function postNote(
  client: GitLabClient,
  target: Pick<ReplyTarget, 'projectId' | 'noteable' | 'iid'>,
  body: string,
): Promise<void> {
  if (target.noteable === 'issue')
    await client.IssueNotes.create(target.projectId, target.iid, body);
  else await client.MergeRequestNotes.create(target.projectId, target.iid, body);
}

/** Acts on a command request: authorize, de-duplicate, check the role, enqueue, answer by note. */
export async function runCommand(cmd: CommandRequest, deps: CommandDeps): Promise<WebhookResponse> {
  const fields = { credential: cmd.credentialName, project: cmd.project.path, user: cmd.user.id };
  const credential: ResolvedCredential | undefined = deps.config.credentials.find(
    (c) => c.name === cmd.credentialName,
  );
  if (!credential || !projectMayCommand(credential, cmd.project)) {
    // Never answer into a project the configuration does not tie to that credential.
    deps.log.warn('comment command ignored: not a credential this project may rotate', fields);
    return answer(202, 'ignored: no such credential for this project');
  }
  const now = deps.now();
  const window = deps.config.webhooks.gitlab?.commandWindow ?? 3_600_000;
  const key = dedupeKey(
    'comment',
    cmd.project.id,
    cmd.noteable,
    cmd.noteableId,
    cmd.credentialName,
  );
  if (!(await deps.dedupe.claim([key], window, now))) {
    deps.log.info('comment command already handled', fields);
    return answer(202, 'duplicate: this command was already handled', { duplicate: true });
  }
  const connection = credential.source.connection;
  const target = { projectId: cmd.project.id, noteable: cmd.noteable, iid: cmd.iid };
  try {
    const client = await deps.gitlab(connection);
    const level = await accessLevel(client, cmd.project.id, cmd.user.id);
    if (level < ACCESS_LEVELS.maintainer) {
      // A refusal does not use up the window: a Maintainer may still ask right after.
      await deps.dedupe.release([key]);
      await postNote(
        client,
        target,
        `@${cmd.user.username} credrot did not rotate \`${credential.name}\`: \`/credrot rotate\` needs the Maintainer role or above on this project.`,
      );
      deps.log.warn('comment command refused: role below Maintainer', { ...fields, level });
      return answer(202, 'refused: the author is not a Maintainer', { refused: true });
    }
    const slot = Math.floor(now.getTime() / window);
    await deps.queue.enqueue([
      makeJob({
        credential: credential.name,
        trigger: 'comment',
        reason: 'manual',
        force: true,
        dedupeKey: dedupeKey('comment', key, slot),
        reply: { connection, ...target, requestedBy: cmd.user.username },
        now,
      }),
    ]);
    await postNote(
      client,
      target,
      `@${cmd.user.username} credrot is rotating \`${credential.name}\`; the outcome follows here.`,
    ).catch((err: unknown) => {
      deps.log.warn('rotation queued but the acknowledgement note failed', {
        ...fields,
        error: safeMessage(err),
      });
    });
    deps.log.info('comment command queued a rotation', fields);
    return answer(202, 'queued', { queued: [credential.name] });
  } catch (err) {
    await deps.dedupe.release([key]);
    deps.log.error('comment command failed', { ...fields, error: safeMessage(err) });
    return answer(503, 'could not handle the command now; GitLab will retry the delivery');
  }
}

/** The user's effective access level on the project (0 when not a member). */
async function accessLevel(
  client: GitLabClient,
  projectId: number,
  userId: number,
): Promise<number> {
  try {
    const member = await client.ProjectMembers.show(projectId, userId, { includeInherited: true });
    const level = (member as { access_level?: unknown }).access_level;
    return typeof level === 'number' ? level : 0;
  } catch (err) {
    if (isNotFound(err)) return 0;
    throw err;
  }
}
