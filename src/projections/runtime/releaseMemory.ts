// After a long catch-up (a replay or a snapshot read), give back the garbage it left before the service settles.
import { collectGarbage } from '../../runtime/garbage.js';

/**
 * One full collection, once, at the end of start-up. Folding a million events leaves a few hundred megabytes of
 * short-lived garbage (replaced sums, pages of events, outgrown columns, the snapshot's bytes).
 */
export function releaseStartupGarbage(): void {
  collectGarbage();
}
