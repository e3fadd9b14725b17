/**
 * Just enough issues and merge requests to hang comments on, and the comments (notes)
 * themselves. Creating an issue emits `Issue Hook`; creating a note emits `Note Hook`.
 *
 * Wiring (for `index.ts`): `registerNoteRoutes(router, ctx, hooks)` where `hooks` is the
 * `HookDispatcher` returned by `registerHookRoutes`.
 *
 * Roles (https://docs.gitlab.com/user/permissions/): issues and their comments need Guest,
 * merge requests and their comments need Reporter to read or comment and Developer to
 * open one. There is no repository behind merge requests: branches are not checked.
 *
 * Operation names (fault plans): gitlab.{list,get,create}{Issue,MergeRequest} and
 * gitlab.{listNotesOn,createNoteOn}{Issue,MergeRequest}.
 */
import { HttpError, type Request, type Router } from '../http.js';
import {
  AccessLevel,
  type Caller,
  type GitLabContext,
  type GitLabProject,
  type GitLabUser,
} from './context.js';
import { apiParams as params, requireParams, strParam as str } from './grape.js';
import type { HookDispatcher } from './hooks-delivery.js';
import type { IssueLike, MergeRequestLike, NoteLike } from './hooks-payloads.js';
import { paginate } from './pagination.js';

type NoteableKind = 'issues' | 'merge_requests';

interface Noteable extends IssueLike {
  kind: NoteableKind;
  author: GitLabUser;
  source_branch?: string;
  target_branch?: string;
}

interface Note extends NoteLike {
  author: GitLabUser;
  noteable_iid: number;
}

const KIND = {
  issues: {
    type: 'Issue',
    notFound: '404 Issue Not Found',
    read: AccessLevel.guest,
    create: AccessLevel.guest,
    comment: AccessLevel.guest,
    ref: '#',
  },
  merge_requests: {
    type: 'MergeRequest',
    notFound: '404 Merge Request Not Found',
    read: AccessLevel.reporter,
    create: AccessLevel.developer,
    comment: AccessLevel.reporter,
    ref: '!',
  },
} as const;

/** Registers issues, merge requests and their notes. */
export function registerNoteRoutes(
  router: Router,
  ctx: GitLabContext,
  hooks: HookDispatcher,
): void {
  const noteables = new Map<string, Noteable[]>();
  // Issue and MR ids are separate sequences, so notes are keyed by noteable type and id.
  const notes = new Map<string, Note[]>();
  const notesKey = (n: Noteable) => `${n.kind}:${n.id}`;
  const listOf = (projectId: number, kind: NoteableKind): Noteable[] => {
    const key = `${projectId}:${kind}`;
    let list = noteables.get(key);
    if (!list) {
      list = [];
      noteables.set(key, list);
    }
    return list;
  };
  const access = (req: Request, level: number, scopes: string[]) => {
    const caller: Caller = ctx.authenticate(req);
    ctx.requireScope(caller, scopes);
    const project = ctx.project(caller, req.params['id'] ?? '');
    ctx.requireProjectAccess(caller, project, level);
    return { caller, project };
  };
  const findNoteable = (project: GitLabProject, kind: NoteableKind, req: Request): Noteable => {
    const iid = Number(req.params['iid']);
    const found = listOf(project.id, kind).find((n) => n.iid === iid);
    if (!found) throw new HttpError(404, { message: KIND[kind].notFound });
    return found;
  };
  const webUrl = (project: GitLabProject, kind: NoteableKind, iid: number) =>
    `${hooks.instanceUrl}/${project.path_with_namespace}/-/${kind}/${iid}`;
  const showNoteable = (project: GitLabProject, n: Noteable) =>
    presentNoteable(project, n, notes.get(notesKey(n))?.length ?? 0, hooks.instanceUrl);

  for (const kind of ['issues', 'merge_requests'] as const) {
    const spec = KIND[kind];
    const base = `/api/v4/projects/:id/${kind}`;
    const op = (name: string) => `gitlab.${name}${spec.type}`;

    // https://docs.gitlab.com/api/issues/ and https://docs.gitlab.com/api/merge_requests/
    router.on('GET', base, op('list'), (req) => {
      const { project } = access(req, spec.read, ['api', 'read_api']);
      const items = [...listOf(project.id, kind)].reverse();
      return paginate(req, items, (n) => showNoteable(project, n));
    });

    router.on('GET', `${base}/:iid`, op('get'), (req) => {
      const { project } = access(req, spec.read, ['api', 'read_api']);
      return { status: 200, body: showNoteable(project, findNoteable(project, kind, req)) };
    });

    router.on('POST', base, op('create'), (req) => {
      const { caller, project } = access(req, spec.create, ['api']);
      const p = params(req);
      requireParams(p, kind === 'issues' ? ['title'] : ['source_branch', 'target_branch', 'title']);
      const list = listOf(project.id, kind);
      const now = ctx.now();
      const iid = (list.at(-1)?.iid ?? 0) + 1;
      const n: Noteable = {
        kind,
        id: ctx.nextId(kind),
        iid,
        project_id: project.id,
        title: str(p, 'title') ?? '',
        description: str(p, 'description') ?? null,
        state: 'opened',
        author_id: caller.user.id,
        author: caller.user,
        created_at: now,
        updated_at: now,
        web_url: webUrl(project, kind, iid),
        ...(kind === 'merge_requests'
          ? { source_branch: str(p, 'source_branch'), target_branch: str(p, 'target_branch') }
          : {}),
      };
      list.push(n);
      if (kind === 'issues') {
        hooks.background(hooks.emitIssueEvent({ user: caller.user, project, issue: n }));
      }
      return { status: 201, body: showNoteable(project, n) };
    });

    // https://docs.gitlab.com/api/notes/
    router.on('GET', `${base}/:iid/notes`, op('listNotesOn'), (req) => {
      const { project } = access(req, spec.read, ['api', 'read_api']);
      const noteable = findNoteable(project, kind, req);
      const asc = req.query.get('sort') === 'asc';
      const list = [...(notes.get(notesKey(noteable)) ?? [])];
      if (!asc) list.reverse();
      return paginate(req, list, (n) => presentNote(n, hooks.instanceUrl));
    });

    router.on('POST', `${base}/:iid/notes`, op('createNoteOn'), (req) => {
      const { caller, project } = access(req, spec.comment, ['api']);
      const noteable = findNoteable(project, kind, req);
      const p = params(req);
      requireParams(p, ['body']);
      const body = str(p, 'body') ?? '';
      if (body.trim().length === 0) {
        throw new HttpError(400, { message: { note: ["can't be blank"] } });
      }
      const now = ctx.now();
      const note: Note = {
        id: ctx.nextId('note'),
        body,
        author_id: caller.user.id,
        author: caller.user,
        project_id: project.id,
        noteable_id: noteable.id,
        noteable_iid: noteable.iid,
        noteable_type: spec.type,
        created_at: now,
        updated_at: now,
      };
      notes.set(notesKey(noteable), [...(notes.get(notesKey(noteable)) ?? []), note]);
      hooks.background(
        hooks.emitNoteEvent({ user: caller.user, project, note, noteable: asPayload(noteable) }),
      );
      return { status: 201, body: presentNote(note, hooks.instanceUrl) };
    });
  }
}

function asPayload(n: Noteable): IssueLike | MergeRequestLike {
  if (n.kind === 'merge_requests') {
    return { ...n, source_branch: n.source_branch ?? '', target_branch: n.target_branch ?? '' };
  }
  return n;
}

function presentUser(u: GitLabUser, instanceUrl: string) {
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    state: u.state,
    locked: false,
    avatar_url: null,
    web_url: `${instanceUrl}/${u.username}`,
  };
}

function presentNoteable(
  project: GitLabProject,
  n: Noteable,
  noteCount: number,
  instanceUrl: string,
) {
  const ref = `${KIND[n.kind].ref}${n.iid}`;
  const common = {
    id: n.id,
    iid: n.iid,
    project_id: n.project_id,
    title: n.title,
    description: n.description,
    state: n.state,
    created_at: n.created_at.toISOString(),
    updated_at: n.updated_at.toISOString(),
    closed_at: null,
    closed_by: null,
    labels: [],
    milestone: null,
    author: presentUser(n.author, instanceUrl),
    assignees: [],
    assignee: null,
    user_notes_count: noteCount,
    upvotes: 0,
    downvotes: 0,
    web_url: n.web_url,
    references: { short: ref, relative: ref, full: `${project.path_with_namespace}${ref}` },
  };
  if (n.kind === 'issues') {
    return { ...common, type: 'ISSUE', issue_type: 'issue', confidential: false, due_date: null };
  }
  return {
    ...common,
    source_branch: n.source_branch,
    target_branch: n.target_branch,
    source_project_id: n.project_id,
    target_project_id: n.project_id,
    draft: false,
    work_in_progress: false,
    merged_by: null,
    merged_at: null,
    reviewers: [],
    merge_status: 'can_be_merged',
    detailed_merge_status: 'mergeable',
    sha: null,
  };
}

function presentNote(n: Note, instanceUrl: string) {
  return {
    id: n.id,
    type: null,
    body: n.body,
    attachment: null,
    author: presentUser(n.author, instanceUrl),
    created_at: n.created_at.toISOString(),
    updated_at: n.updated_at.toISOString(),
    system: false,
    noteable_id: n.noteable_id,
    noteable_type: n.noteable_type,
    project_id: n.project_id,
    noteable_iid: n.noteable_iid,
    resolvable: false,
    confidential: false,
    internal: false,
  };
}
