/**
 * GitLab's offset pagination, applied to every list endpoint of the emulator.
 * https://docs.gitlab.com/api/rest/#offset-based-pagination
 *
 * `page` (default 1) and `per_page` (default 20, at most 100) select the slice; the answer
 * carries `x-page`, `x-per-page`, `x-next-page` and `x-prev-page` (empty when there is
 * none), `x-total`, `x-total-pages` and a `Link` header with `prev`/`next`/`first`/`last`
 * as absolute URLs built from the request's Host, keeping every other query parameter
 * (clients such as @gitbeaker follow `next` by re-reading its query string).
 */
import type { Request, Response } from '../http.js';

export const DEFAULT_PER_PAGE = 20;
export const MAX_PER_PAGE = 100;

export interface PageInfo {
  page: number;
  perPage: number;
  total: number;
  totalPages: number;
}

function positiveInt(raw: string | null, fallback: number): number {
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** The page a request asks for, clamped the way GitLab clamps it. */
export function pageInfo(req: Request, total: number): PageInfo {
  const perPage = Math.min(positiveInt(req.query.get('per_page'), DEFAULT_PER_PAGE), MAX_PER_PAGE);
  const page = positiveInt(req.query.get('page'), 1);
  return { page, perPage, total, totalPages: Math.max(1, Math.ceil(total / perPage)) };
}

/** The request's own URL on the host the client used (`X-Forwarded-Proto` honoured). */
export function requestBase(req: Request): string {
  const proto = req.header('x-forwarded-proto') ?? 'http';
  return `${proto}://${req.header('host') ?? '127.0.0.1'}`;
}

function pageUrl(req: Request, page: number, perPage: number): string {
  const q = new URLSearchParams(req.query);
  q.set('page', String(page));
  q.set('per_page', String(perPage));
  return `${requestBase(req)}${req.rawPath}?${q.toString()}`;
}

/** Pagination headers for `info` (exported for endpoints that slice on their own). */
export function paginationHeaders(req: Request, info: PageInfo): Record<string, string> {
  const { page, perPage, total, totalPages } = info;
  const next = page < totalPages ? page + 1 : undefined;
  const prev = page > 1 ? Math.min(page - 1, totalPages) : undefined;
  const links: string[] = [];
  if (prev !== undefined) links.push(`<${pageUrl(req, prev, perPage)}>; rel="prev"`);
  if (next !== undefined) links.push(`<${pageUrl(req, next, perPage)}>; rel="next"`);
  links.push(`<${pageUrl(req, 1, perPage)}>; rel="first"`);
  links.push(`<${pageUrl(req, totalPages, perPage)}>; rel="last"`);
  return {
    'x-page': String(page),
    'x-per-page': String(perPage),
    'x-next-page': next === undefined ? '' : String(next),
    'x-prev-page': prev === undefined ? '' : String(prev),
    'x-total': String(total),
    'x-total-pages': String(totalPages),
    link: links.join(', '),
  };
}

/** Answers one page of `items` (already filtered and sorted) with GitLab's headers. */
export function paginate<T>(
  req: Request,
  items: readonly T[],
  present: (item: T) => unknown,
): Response {
  const info = pageInfo(req, items.length);
  const start = (info.page - 1) * info.perPage;
  return {
    status: 200,
    headers: paginationHeaders(req, info),
    body: items.slice(start, start + info.perPage).map(present),
  };
}

/** Query parameters that pick a page, not the result set. */
const PAGE_PARAMS = new Set(['page', 'per_page']);

/**
 * Filtered result sets of a listing, reused across the pages of one walk. GitLab serves
 * each page from an index; an emulator that re-filtered its whole world per page would
 * make a client's page walk look CPU-bound. An entry is valid for one caller, one query
 * (page parameters aside) and one `version` of the data; a query that filters on
 * `last_used_*` (which every authenticated call changes) is never cached.
 */
export class ListingCache<T> {
  private readonly entries = new Map<string, { version: string; items: T[] }>();

  constructor(private readonly capacity = 64) {}

  get(req: Request, callerId: number, version: string, compute: () => T[]): T[] {
    const params = [...req.query.entries()].filter(([k]) => !PAGE_PARAMS.has(k));
    if (params.some(([k]) => k.startsWith('last_used'))) return compute();
    const key = `${callerId}?${params
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join('&')}`;
    const hit = this.entries.get(key);
    if (hit && hit.version === version) return hit.items;
    const items = compute();
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { version, items });
    return items;
  }
}
