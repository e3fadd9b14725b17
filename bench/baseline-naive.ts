/**
 * The naive baseline, kept so the bench compares against what scripts commonly do: walk
 * every project and list its tokens, one project at a time, then each project's group
 * the same way, and filter on the client. It is correct, and it spends one request (or
 * more) per project whatever is due.
 */
import type { TokenOwner } from '../shared/discovery/bot-owner.js';
import type { GitLabClient } from '../shared/sources/gitlab/client.js';

export interface NaiveToken {
  id: number;
  owner: TokenOwner;
}

interface ProjectView {
  id: number;
  namespace?: { id: number; kind?: string };
}

interface TokenView {
  id: number;
  active: boolean;
  expires_at?: string | null;
}

/** Active tokens expiring before `horizon` (`YYYY-MM-DD`), found the slow way. */
export async function naiveDiscovery(client: GitLabClient, horizon: string): Promise<NaiveToken[]> {
  const due = (t: TokenView) => t.active && !!t.expires_at && t.expires_at < horizon;
  const out: NaiveToken[] = [];
  const projects = (await client.Projects.all({
    perPage: 100,
  } as never)) as unknown as ProjectView[];
  const groups = new Set<number>();
  for (const p of projects) {
    if (p.namespace?.kind !== 'user' && p.namespace) groups.add(p.namespace.id);
    const tokens = (await client.ProjectAccessTokens.all(p.id, {
      perPage: 100,
    } as never)) as unknown as TokenView[];
    for (const t of tokens.filter(due))
      out.push({ id: t.id, owner: { kind: 'project', projectId: p.id } });
  }
  for (const g of groups) {
    const tokens = (await client.GroupAccessTokens.all(g, {
      perPage: 100,
    } as never)) as unknown as TokenView[];
    for (const t of tokens.filter(due))
      out.push({ id: t.id, owner: { kind: 'group', groupId: g } });
  }
  return out;
}
