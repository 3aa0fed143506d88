/**
 * inPool(items, n, fn): run fn over items with at most n at a time (bounded: the lab is
 * one machine). fn gets the item and its worker's index (0…n-1), so a worker can own a
 * resource such as a workspace copy. Rejects with the first error, after every started
 * call has settled.
 */
export async function inPool<T>(
  items: readonly T[],
  n: number,
  fn: (item: T, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (w: number) => {
    while (next < items.length && errors.length === 0) {
      const item = items[next++] as T;
      try {
        await fn(item, w);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, (_, w) => worker(w)));
  if (errors.length > 0) throw errors[0];
}
