// `ledger replay`: rebuild every projection from the first event, compare digests, report events per second.
import type { Command } from 'commander';
import { eventsOfExport } from '../audit/exportFile.js';
import { rebuildProjections, replayReport } from '../audit/replay.js';
import { PROJECTIONS } from '../projections/runtime/all.js';
import { totalsProjection } from '../projections/models/totals/projection.js';
import { queryTotals } from '../projections/models/totals/query.js';
import type { TotalsState } from '../projections/models/totals/state.js';
import { loadSnapshot } from '../projections/storage/snapshot.js';
import { readForReplay } from '../store/port.js';
import { formatPosition } from '../store/position.js';
import { progressOf } from './progress.js';
import { withStore } from './store.js';

export function registerReplayCommand(program: Command, dataDirOf: () => string): void {
  program
    .command('replay')
    .description('rebuild every projection from position 0 and compare its digest; exits 1 on a mismatch')
    .option('--expect <digest>', "the digest the rebuild must match (e.g. from POST /audit/replay); by default the saved snapshot's")
    .option('--from-export <file>', 'rebuild from an audit export file instead of the event store')
    .option('--json', 'print the report as JSON')
    .option('--one-thread', 'read the store on the folding thread too (by default a worker thread reads it): for comparison')
    .action(async (options: { expect?: string; fromExport?: string; json?: boolean; oneThread?: boolean }) => {
      const progress = progressOf('replay', undefined);
      const onProgress = (events: number): void => progress.update(events);
      let expected = options.expect;
      let against = expected === undefined ? 'nothing (no snapshot; pass --expect to compare)' : '--expect';
      const rebuilt =
        options.fromExport !== undefined
          ? await rebuildProjections(eventsOfExport(options.fromExport), PROJECTIONS, { onProgress })
          : await withStore(dataDirOf(), async (store) => {
              // What the service held when it last stopped: the snapshot. The rebuild stops at its position to compare.
              const verdict = expected === undefined ? await loadSnapshot(dataDirOf(), store) : undefined;
              const until = verdict?.usable ? verdict.snapshot.position : undefined;
              if (verdict?.usable) {
                expected = verdict.snapshot.stateDigest;
                against = `the snapshot saved at ${verdict.snapshot.savedAt} (position ${formatPosition(verdict.snapshot.position)})`;
              } else if (verdict !== undefined) against = `nothing (${verdict.reason}; pass --expect to compare)`;
              const events = readForReplay(store, { until, ...(options.oneThread === true && { oneThread: true }) });
              return rebuildProjections(events, PROJECTIONS, { onProgress, until });
            });
      progress.stop();
      const report = replayReport(rebuilt, expected);
      const totals = queryTotals(rebuilt.states.get(totalsProjection.name) as TotalsState, { groupBy: [], filter: {} }).total;
      if (options.json) process.stdout.write(`${JSON.stringify({ ...report, total: totals })}\n`);
      else {
        process.stdout.write(
          `events: ${report.events}\nposition: ${report.position}\nseconds: ${report.seconds}\nevents/s: ` +
            `${report.eventsPerSecond}\ndigest: ${report.digest}\n`,
        );
        process.stdout.write(
          `total: ${totals.amounts.map((a) => `${a.currency} ${a.value}`).join(', ') || 'nothing'} (${totals.count} announcements)\n`,
        );
        process.stdout.write(`compared with: ${against}\n`);
        if (expected !== undefined) process.stdout.write(report.match ? 'digest matches\n' : `MISMATCH: expected ${expected}\n`);
      }
      if (!report.match) process.exitCode = 1;
    });
}
