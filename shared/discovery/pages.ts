/**
 * GitLab's offset pagination, read with as few round trips in a row as possible: the
 * first page says how many pages there are (`x-total-pages`), so the rest are fetched
 * side by side (bounded) instead of one after another. When GitLab leaves the total out
 * (it does above 10,000 records) the `x-next-page` chain is followed instead.
 * https://docs.gitlab.com/api/rest/#offset-based-pagination
 */
import { mapBounded } from '../rotation/fleet.js';

export interface Page<T> {
  items: T[];
  /** `x-total-pages`, when the server sent it. */
  totalPages?: number;
  /** `x-total`, when the server sent it. */
  total?: number;
  /** `x-next-page`, when there is one. */
  nextPage?: number;
}

export type PageFetcher<T> = (page: number) => Promise<Page<T>>;

export interface Paged<T> {
  items: T[];
  /** API calls spent. */
  calls: number;
}

/** Fetches every page after `first` (which is page 1), `concurrency` at a time. */
export async function restOfPages<T>(
  first: Page<T>,
  fetchPage: PageFetcher<T>,
  concurrency: number,
): Promise<Paged<T>> {
  const items = [...first.items];
  let calls = 0;
  if (first.totalPages !== undefined) {
    const pages = Array.from({ length: Math.max(0, first.totalPages - 1) }, (_, i) => i + 2);
    const results = await mapBounded(
      pages,
      concurrency,
      async (page) => {
        calls += 1;
        return fetchPage(page);
      },
      (_page, err) => {
        throw err;
      },
    );
    for (const r of results) items.push(...r.items);
    return { items, calls };
  }
  for (let next = first.nextPage; next !== undefined; ) {
    calls += 1;
    const page = await fetchPage(next);
    items.push(...page.items);
    next = page.nextPage;
  }
  return { items, calls };
}

/** Every item of a listing: page 1, then the rest side by side. */
export async function allPages<T>(
  fetchPage: PageFetcher<T>,
  concurrency: number,
): Promise<Paged<T>> {
  const first = await fetchPage(1);
  const rest = await restOfPages(first, fetchPage, concurrency);
  return { items: rest.items, calls: rest.calls + 1 };
}

/** Reads GitLab's pagination headers (gitbeaker's `paginationInfo`) into a `Page`. */
export function pageOf<T>(
  items: T[],
  info: { total?: number | null; totalPages?: number | null; next?: number | null } | undefined,
): Page<T> {
  const page: Page<T> = { items };
  if (info?.total !== undefined && info.total !== null && Number.isFinite(info.total))
    page.total = info.total;
  if (
    info?.totalPages !== undefined &&
    info.totalPages !== null &&
    Number.isFinite(info.totalPages)
  )
    page.totalPages = info.totalPages;
  if (info?.next !== undefined && info.next !== null && Number.isFinite(info.next))
    page.nextPage = info.next;
  return page;
}
