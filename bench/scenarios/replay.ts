// Replay: `ledger replay --json` rebuilding every projection from the store (read on a worker thread), beside
// `ledger replay --one-thread` and beside reading and JSON-parsing the same rows with nothing else, just before and
// just after (averaged, as the write baseline is). The service must be stopped: one process holds the store at a time.
import { runJsonScript, replayReportOf, spawnChild } from '../children.js';
import { CLI_ENTRY, benchScript } from '../paths.js';
import type { RawReadResult } from '../baselines/rawRead.js';
import { ratioOf } from '../stats.js';

export interface ReplayFigure {
  readonly events: number;
  readonly eventsPerSecond: number;
  readonly seconds: number;
  /** Whether the rebuild's digest matched the snapshot the service saved when it stopped (or nothing to compare). */
  readonly digestMatch: boolean;
  readonly comparedWithSnapshot: boolean;
  readonly rawBefore: RawReadResult;
  readonly rawAfter: RawReadResult;
  /** The two raw reads together: rows and seconds summed. */
  readonly raw: RawReadResult;
  /** replay events per second / raw rows per second. */
  readonly ratio: number;
  /** The same replay with the store read on the folding thread (--one-thread), run between the two reads. */
  readonly oneThread?: { readonly eventsPerSecond: number; readonly seconds: number };
  /** replay events per second / one-thread events per second. */
  readonly speedUp?: number;
}

interface ReplayReport {
  readonly match: boolean;
  readonly events: number;
  readonly eventsPerSecond: number;
  readonly seconds: number;
  readonly expectedDigest?: string;
}

export async function measureReplay(
  dataDir: string,
  options: { timeoutMs: number; nodeArgs?: readonly string[] },
  log: (line: string) => void,
): Promise<ReplayFigure> {
  const rawRead = (): Promise<RawReadResult> =>
    runJsonScript<RawReadResult>(benchScript('baselines/rawRead.ts'), { dataDir }, 'raw read', options.timeoutMs);
  log('replay: reading and parsing the rows alone (before)');
  const rawBefore = await rawRead();
  log('replay: ledger replay --json');
  const report = await replayOnce(dataDir, [], options);
  log('replay: ledger replay --json --one-thread');
  const oneThread = await replayOnce(dataDir, ['--one-thread'], options);
  log('replay: reading and parsing the rows alone (after)');
  const rawAfter = await rawRead();
  const rows = rawBefore.rows + rawAfter.rows;
  const seconds = rawBefore.seconds + rawAfter.seconds;
  const raw: RawReadResult = { rows, seconds: Math.round(seconds * 1000) / 1000, rowsPerSecond: Math.round(rows / seconds) };
  return {
    events: report.events,
    eventsPerSecond: report.eventsPerSecond,
    seconds: report.seconds,
    digestMatch: report.match,
    comparedWithSnapshot: report.expectedDigest !== undefined && report.expectedDigest !== null,
    rawBefore,
    rawAfter,
    raw,
    ratio: ratioOf(report.eventsPerSecond, raw.rowsPerSecond),
    oneThread: { eventsPerSecond: oneThread.eventsPerSecond, seconds: oneThread.seconds },
    speedUp: ratioOf(report.eventsPerSecond, oneThread.eventsPerSecond),
  };
}

async function replayOnce(
  dataDir: string,
  flags: readonly string[],
  options: { timeoutMs: number; nodeArgs?: readonly string[] },
): Promise<ReplayReport> {
  const args = [...(options.nodeArgs ?? []), CLI_ENTRY, '--data-dir', dataDir, 'replay', '--json', ...flags];
  return replayReportOf<ReplayReport>(spawnChild(process.execPath, args), 'ledger replay', options.timeoutMs);
}
