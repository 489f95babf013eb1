// Async iterables in tests: everything a store read or a stream yields, as one array to assert on.
/** Every item the iterable yields, in order; rejects as the iteration does. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
