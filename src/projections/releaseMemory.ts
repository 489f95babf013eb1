// After a long catch-up (a replay or a snapshot read), give back the garbage it left before the service settles.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * One full collection, once, at the end of start-up. Folding a million events leaves a few hundred megabytes of
 * short-lived garbage (replaced sums, pages of events, outgrown columns, the snapshot's bytes) that V8 would
 * otherwise keep mapped until memory grew tight. `--expose-gc` set at run time reaches only new contexts,
 * hence the fresh one; nothing else in the process sees a `gc` global.
 */
export function releaseStartupGarbage(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
