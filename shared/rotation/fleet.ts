/**
 * Runs the protocol over many credentials with bounded concurrency. One credential
 * failing (a registry down, a store refusing) never stops the others: every credential
 * gets an outcome, and the caller reports each.
 */

/**
 * Applies `work` to every item, at most `concurrency` at a time, in input order of
 * results. A thrown error becomes that item's `failed` result through `onError`.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  onError: (item: T, error: unknown) => R,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      const item = items[i]!;
      try {
        results[i] = await work(item, i);
      } catch (err) {
        results[i] = onError(item, err);
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker),
  );
  return results;
}
