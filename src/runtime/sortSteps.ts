// A stable merge sort as steps (see timeSlice.ts): sorting 50,000 totals rows with a comparator holds the thread for
// tens of milliseconds in one call to Array.prototype.sort, too long for one slice.
import type { Steps } from './timeSlice.js';

/** Runs of this length are sorted by Array.prototype.sort at once (a millisecond or so), then merged in steps. */
const RUN = 1024;
/** Items merged between two points where a sliced run may pause. */
const MERGED_PER_STEP = 4096;

/** Returns a new array holding `items` in order; stable, like Array.prototype.sort. */
export function* sortSteps<T>(items: readonly T[], compare: (a: T, b: T) => number): Steps<T[]> {
  let from: T[] = [];
  for (let start = 0; start < items.length; start += RUN) {
    from.push(...items.slice(start, start + RUN).sort(compare));
    yield;
  }
  let to: T[] = new Array<T>(items.length);
  let merged = 0;
  for (let width = RUN; width < items.length; width *= 2) {
    for (let left = 0; left < items.length; left += 2 * width) {
      const middle = Math.min(left + width, items.length);
      const end = Math.min(left + 2 * width, items.length);
      let i = left;
      let j = middle;
      for (let k = left; k < end; k += 1) {
        // Taking from the left on ties keeps the sort stable.
        if (i < middle && (j >= end || compare(from[i] as T, from[j] as T) <= 0)) to[k] = from[i++] as T;
        else to[k] = from[j++] as T;
        if (++merged % MERGED_PER_STEP === 0) yield;
      }
    }
    [from, to] = [to, from];
  }
  return from;
}
