/**
 * `items.map(work)` with at most `limit` calls pending at once, results in input order. The first rejection
 * rejects the whole map (calls already running finish; no new ones start). For I/O-bound batches (point reads,
 * status reads, starts) where one-at-a-time is too slow and all-at-once would flood a service.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  return results;
}
