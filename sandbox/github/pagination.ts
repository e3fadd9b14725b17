/**
 * GitHub's page-number pagination: `per_page` (default 30, max 100) and `page`
 * (1-based), with a `Link` header carrying `next`, `last`, `first` and `prev`.
 *
 * https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api
 */
import type { Request } from '../http.js';
import { apiRoot } from './world.js';

export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

function positiveInt(raw: string | null, fallback: number): number {
  const n = raw === null ? Number.NaN : Number.parseInt(raw, 10);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Slices `all` for the request's page and builds the `Link` header. */
export function paginate<T>(req: Request, all: T[]): Page<T> {
  const perPage = Math.min(positiveInt(req.query.get('per_page'), 30), 100);
  const page = positiveInt(req.query.get('page'), 1);
  const lastPage = Math.max(1, Math.ceil(all.length / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);
  const link = (n: number, rel: string) => {
    const query = new URLSearchParams(req.query);
    query.set('per_page', String(perPage));
    query.set('page', String(n));
    return `<${apiRoot(req)}${req.rawPath}?${query.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < lastPage) links.push(link(page + 1, 'next'), link(lastPage, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return { items, headers: links.length > 0 ? { link: links.join(', ') } : {} };
}
