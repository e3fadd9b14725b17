/**
 * The GitHub world the emulator serves: accounts (users and organizations), private
 * repositories, their environments, and access tokens with the repositories and
 * organizations they were granted. Names are case-insensitive, as on GitHub.
 *
 * Visibility rules (https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api):
 * a private repository the token cannot see answers 404, never 403, so that its existence
 * does not leak; an organization is public, so missing permission on it answers 403
 * "Resource not accessible by personal access token".
 */
import { randomBytes } from 'node:crypto';
import type { Request } from '../http.js';
import { githubError, notFound } from './errors.js';

export interface Account {
  id: number;
  login: string;
  type: 'User' | 'Organization';
}

export interface Repo {
  id: number;
  name: string;
  owner: Account;
  environments: Set<string>;
}

export interface Token {
  value: string;
  user: Account;
  /** Lower-cased `owner/name`. */
  repos: Set<string>;
  /** Lower-cased organization logins: org secrets plus every repository of the org. */
  orgs: Set<string>;
  admin: boolean;
  readOnly: boolean;
}

export interface SeedTokenInput {
  repos?: string[];
  orgs?: string[];
  admin?: boolean;
  /** Read endpoints work, writes answer 403 (like a token with read-only "Secrets" permission). */
  readOnly?: boolean;
}

export class GitHubWorld {
  readonly accounts = new Map<string, Account>();
  readonly repos = new Map<string, Repo>();
  readonly tokens = new Map<string, Token>();
  private ids = 1000;

  nextId(): number {
    this.ids += 1;
    return this.ids;
  }

  seedOrg(login: string): Account {
    const existing = this.accounts.get(login.toLowerCase());
    if (existing) return existing;
    const org: Account = { id: this.nextId(), login, type: 'Organization' };
    this.accounts.set(login.toLowerCase(), org);
    return org;
  }

  /** Creates the repository (and its owner as a user when no such org was seeded). */
  seedRepo(owner: string, name: string): Repo {
    const key = `${owner}/${name}`.toLowerCase();
    const existing = this.repos.get(key);
    if (existing) return existing;
    let account = this.accounts.get(owner.toLowerCase());
    if (!account) {
      account = { id: this.nextId(), login: owner, type: 'User' };
      this.accounts.set(owner.toLowerCase(), account);
    }
    const repo: Repo = { id: this.nextId(), name, owner: account, environments: new Set() };
    this.repos.set(key, repo);
    return repo;
  }

  seedEnvironment(owner: string, name: string, env: string): void {
    this.seedRepo(owner, name).environments.add(env.toLowerCase());
  }

  /** Issues a token for a fresh bot user; returns its value (`github_pat_...`). */
  seedToken(input: SeedTokenInput): string {
    const id = this.nextId();
    const user: Account = { id, login: `credrot-bot-${id}`, type: 'User' };
    const value = `github_pat_${randomBytes(30).toString('base64url')}`;
    this.tokens.set(value, {
      value,
      user,
      repos: new Set((input.repos ?? []).map((r) => r.toLowerCase())),
      orgs: new Set((input.orgs ?? []).map((o) => o.toLowerCase())),
      admin: input.admin ?? false,
      readOnly: input.readOnly ?? false,
    });
    return value;
  }

  /** The token named by `Authorization: token X` / `Bearer X`; undefined when absent. */
  tokenOf(req: Request): { present: boolean; token?: Token } {
    const header = req.header('authorization');
    if (!header) return { present: false };
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header.trim());
    const token = match ? this.tokens.get(match[1]!) : undefined;
    return token ? { present: true, token } : { present: true };
  }

  repoById(id: number): Repo | undefined {
    for (const repo of this.repos.values()) if (repo.id === id) return repo;
    return undefined;
  }

  canSeeRepo(token: Token, repo: Repo): boolean {
    const full = `${repo.owner.login}/${repo.name}`.toLowerCase();
    return token.admin || token.repos.has(full) || token.orgs.has(repo.owner.login.toLowerCase());
  }

  /** Resolves a repository the caller may see; 404 otherwise. Writes need a writable token (403). */
  repo(req: Request, token: Token, owner: string, name: string): Repo {
    const repo = this.repos.get(`${owner}/${name}`.toLowerCase());
    if (!repo || !this.canSeeRepo(token, repo)) throw notFound(req);
    this.requireWrite(req, token);
    return repo;
  }

  /** Resolves an organization; 404 when unknown, 403 when the token has no permission on it. */
  org(req: Request, token: Token, login: string): Account {
    const org = this.accounts.get(login.toLowerCase());
    if (org?.type !== 'Organization') throw notFound(req);
    if (!token.admin && !token.orgs.has(org.login.toLowerCase())) throw forbidden(req);
    this.requireWrite(req, token);
    return org;
  }

  private requireWrite(req: Request, token: Token): void {
    if (token.readOnly && req.method !== 'GET') throw forbidden(req);
  }
}

function forbidden(req: Request) {
  return githubError(req, 403, 'Resource not accessible by personal access token');
}

/** GitHub's timestamp format: ISO 8601 without milliseconds. */
export function isoSeconds(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The API root as the client addressed it, so returned URLs lead back to this emulator. */
export function apiRoot(req: Request): string {
  const host = req.header('host');
  return host ? `http://${host}` : 'https://api.github.com';
}

/** GitHub's minimal repository shape (`minimal-repository`), enough for clients' typings. */
export function minimalRepository(repo: Repo, root: string): Record<string, unknown> {
  const fullName = `${repo.owner.login}/${repo.name}`;
  return {
    id: repo.id,
    node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
    name: repo.name,
    full_name: fullName,
    private: true,
    owner: {
      login: repo.owner.login,
      id: repo.owner.id,
      type: repo.owner.type,
      url: `${root}/${repo.owner.type === 'Organization' ? 'orgs' : 'users'}/${repo.owner.login}`,
    },
    html_url: `https://github.com/${fullName}`,
    url: `${root}/repos/${fullName}`,
  };
}
