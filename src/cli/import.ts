// `ledger import FILE.csv|FILE.jsonl`: validate every row, then append all of them or nothing.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { formatOf, importFile, type ImportReport } from '../imports/importFile.js';
import { describeProblem } from '../imports/problems.js';
import { progressOf, type Progress } from './progress.js';
import { storedRestatedFacts } from './restatementFacts.js';
import { withStore } from './store.js';

function summaryOf(report: ImportReport, dryRun: boolean): string {
  const would = dryRun ? ' (dry run: would be)' : '';
  const programmes = report.programmesRegistered;
  return [
    `rows read: ${report.rowsRead}`,
    `announcements imported${would}: ${report.imported}`,
    `withdrawals recorded${would}: ${report.withdrawals}`,
    ...(report.commitments > 0 ? [`commitments recorded${would}: ${report.commitments}`] : []),
    ...(report.disbursements > 0 ? [`disbursements recorded${would}: ${report.disbursements}`] : []),
    `already present: ${report.alreadyPresent}`,
    `programmes registered${would}: ${programmes.length}${programmes.length > 0 ? ` (${programmes.join(', ')})` : ''}`,
    `bad rows: ${report.badRows}`,
  ].join('\n');
}

/** One bar per phase on a terminal; plain progress lines otherwise. */
function phasedProgress(): { update: (phase: string, done: number, total: number) => void; stop: () => void } {
  let current: { phase: string; progress: Progress } | undefined;
  return {
    update(phase, done, total) {
      if (current?.phase !== phase) {
        current?.progress.stop();
        current = { phase, progress: progressOf(phase === 'check' ? 'checking' : 'importing', total) };
      }
      current.progress.update(done);
    },
    stop: () => current?.progress.stop(),
  };
}

export function registerImportCommand(program: Command, dataDirOf: () => string): void {
  program
    .command('import')
    .argument(
      '<file>',
      'a .csv with the announcements export columns (or of commitments and disbursements), or a .jsonl with one POST body a line',
    )
    .description('validate every row, then append the announcements; appends nothing and exits 1 if any row is bad')
    .option('--dry-run', 'validate and report what would be written; write nothing')
    .option('--skip-invalid', 'import the good announcements and list the bad rows')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, options: { dryRun?: boolean; skipInvalid?: boolean; json?: boolean }) => {
      formatOf(file);
      // Before the store is opened (which would create an empty data directory for nothing).
      if (!existsSync(file)) throw new Error(`${file}: no such file`);
      const progress = phasedProgress();
      const report = await withStore(dataDirOf(), (store) =>
        importFile(store, file, {
          dryRun: options.dryRun,
          skipInvalid: options.skipInvalid,
          storedFacts: storedRestatedFacts(store),
          correlationId: randomUUID(),
          now: () => new Date().toISOString(),
          onProgress: progress.update,
        }),
      ).finally(progress.stop);
      for (const problem of report.problems) process.stderr.write(`${describeProblem(problem)}\n`);
      if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(`${summaryOf(report, options.dryRun === true)}\n`);
      if (options.dryRun) process.stderr.write('dry run: nothing written\n');
      else if (report.problems.length > 0 && !options.skipInvalid) {
        process.stderr.write(`nothing imported: ${report.badRows} bad row(s); fix them, or pass --skip-invalid to import the rest\n`);
      }
      if (report.problems.length > 0 && !options.skipInvalid) process.exitCode = 1;
    });
}
