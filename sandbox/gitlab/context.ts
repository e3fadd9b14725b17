/**
 * What the GitLab emulator's route modules share: the world (users, groups, projects,
 * memberships) and the authorization checks GitLab applies. `identity.ts` implements it;
 * `variables.ts`, `hooks.ts` and `notes.ts` only consume it, so they can be written apart.
 *
 * Access levels as GitLab numbers them: https://docs.gitlab.com/api/members/#roles
 */
import type { Request } from '../http.js';

export const AccessLevel = {
  none: 0,
  minimalAccess: 5,
  guest: 10,
  planner: 15,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;
export type AccessLevelValue = (typeof AccessLevel)[keyof typeof AccessLevel];

export interface GitLabUser {
  id: number;
  username: string;
  name: string;
  admin: boolean;
  bot: boolean;
  state: 'active' | 'blocked';
}

export interface GitLabGroup {
  id: number;
  path: string;
  full_path: string;
  name: string;
  parent_id: number | null;
}

export interface GitLabProject {
  id: number;
  path: string;
  path_with_namespace: string;
  name: string;
  namespace_id: number;
}

/** The token (or deploy token) that authenticated the request, already checked active and unexpired. */
export interface Caller {
  user: GitLabUser;
  scopes: string[];
  /** Id of the access token used, when it was one. */
  tokenId?: number;
}

export interface GitLabContext {
  /** Authenticates `PRIVATE-TOKEN` or `Authorization: Bearer`; throws HttpError 401 as GitLab does. */
  authenticate(req: Request): Caller;
  /** Throws 403 unless the caller's scopes include one of `scopes` (e.g. ['api']). */
  requireScope(caller: Caller, scopes: string[]): void;
  /** Resolves an id or URL-encoded full path; throws 404 (also when the caller cannot see it). */
  project(caller: Caller, idOrPath: string): GitLabProject;
  group(caller: Caller, idOrPath: string): GitLabGroup;
  /** The caller's effective level (inherited from ancestor groups), admins count as owner. */
  projectAccess(user: GitLabUser, project: GitLabProject): number;
  groupAccess(user: GitLabUser, group: GitLabGroup): number;
  /** Throws 403 `{"message":"403 Forbidden"}` when below `level`. */
  requireProjectAccess(caller: Caller, project: GitLabProject, level: number): void;
  requireGroupAccess(caller: Caller, group: GitLabGroup, level: number): void;
  /** Throws 403 unless the caller is an instance administrator. */
  requireAdmin(caller: Caller): void;
  /** Next id in a sequence shared by the world (ids are unique per resource kind). */
  nextId(kind: string): number;
  /** The emulator's clock (tests move it to make tokens expire). */
  now(): Date;
}
