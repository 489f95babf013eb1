// `ledger audit`: verify the hash chains, export the journal for offline audit, verify such an export.
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { exportLines, verifyExportFile } from '../audit/exportFile.js';
import { ChainVerifier, verifyStreamWalk, type BrokenLink } from '../audit/verify.js';
import { progressOf } from './progress.js';
import { withStore } from './store.js';

function describeBreak(broken: BrokenLink): string {
  return `first broken link: ${broken.stream} revision ${broken.revision} (${broken.type}) at position ${broken.position}: ${broken.problem}`;
}

export function registerAuditCommands(program: Command, dataDirOf: () => string): void {
  const audit = program.command('audit').description('tamper evidence: hash chains and offline exports');

  audit
    .command('verify')
    .description('walk the journal and every stream, check every hash chain; exits 1 on any break')
    .option('--json', 'print the report as JSON')
    .action(async (options: { json?: boolean }) => {
      const report = await withStore(dataDirOf(), async (store) => {
        const verifier = new ChainVerifier();
        const progress = progressOf('verify', undefined);
        let checked = 0;
        for await (const event of store.readAll()) {
          verifier.check(event);
          checked += 1;
          if (checked % 5000 === 0) progress.update(checked);
        }
        progress.stop();
        const journal = verifier.report();
        // Then every stream on its own, as the store serves it to the command handler.
        let streamBreak: BrokenLink | undefined;
        for (const [stream, head] of journal.chainHeads) {
          streamBreak = await verifyStreamWalk(stream, store.readStream(stream), head);
          if (streamBreak !== undefined) break;
        }
        return streamBreak === undefined || !journal.ok
          ? journal
          : { ...journal, ok: false, breaks: journal.breaks + 1, firstBreak: journal.firstBreak ?? streamBreak };
      });
      const { chainHeads: _heads, ...summary } = report;
      if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        process.stdout.write(`events checked: ${report.events}\nstreams: ${report.streams}\nlast position: ${report.lastPosition ?? '-'}\n`);
        process.stdout.write(report.ok ? 'every chain is intact\n' : `${report.breaks} broken link(s); ${describeBreak(report.firstBreak!)}\n`);
      }
      if (!report.ok) process.exitCode = 1;
    });

  audit
    .command('export')
    .description('write the whole journal as JSON Lines with a final manifest line')
    .requiredOption('--out <file>', 'file to write (written to <file>.partial, then renamed)')
    .action(async (options: { out: string }) => {
      const partial = `${options.out}.partial`;
      await withStore(dataDirOf(), async (store) => {
        await pipeline(Readable.from(exportLines(store)), createWriteStream(partial));
      });
      await rename(partial, options.out);
      process.stderr.write(`wrote ${options.out}\n`);
    });

  audit
    .command('verify-export')
    .argument('<file>', 'an export written by `ledger audit export` or GET /audit/export')
    .description('check an export file alone: chains, count, last position, chain heads, digest; exits 1 on any problem')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const report = await verifyExportFile(file);
      if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        process.stdout.write(`events checked: ${report.events}\nstreams: ${report.streams}\nlast position: ${report.lastPosition ?? '-'}\n`);
        if (report.firstBreak) process.stdout.write(`${report.breaks} broken link(s); ${describeBreak(report.firstBreak)}\n`);
        for (const problem of report.manifestProblems) process.stdout.write(`manifest: ${problem}\n`);
        if (report.ok) process.stdout.write('the export is intact\n');
      }
      if (!report.ok) process.exitCode = 1;
    });
}
