// One full garbage collection on demand: after start-up and after a burst of heavy work, when the process is idle.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * V8 does not collect while the process is idle, so the garbage of a burst (a replay, hundreds of distinct heavy
 * queries: 300 MB of dead rows and text in the heavy-work bench) would stay mapped until memory grew tight.
 * `--expose-gc` set at run time reaches only new contexts, hence the fresh one; nothing else sees a `gc` global.
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
