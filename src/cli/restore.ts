// `ledger restore`: lays a backup (POST /admin/backups, BACKUP_SCHEDULE) out as a new data directory, after checking it.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { restoreBackup } from '../backup/restore.js';

export function registerRestoreCommand(program: Command, dataDirOf: () => string): void {
  program
    .command('restore')
    .description(
      'check a backup (its manifest, SHA-256 and hash chains) and restore it into --data-dir, which must hold no store; exits 1 on a ' +
        'damaged backup',
    )
    .requiredOption(
      '--from <file>',
      'the events-<time>.sqlite copy of a backup, with its manifest (events-<time>.json) and keys copy beside it',
    )
    .option('--json', 'print the report as JSON')
    .action(async (options: { from: string; json?: boolean }) => {
      const report = await restoreBackup(resolve(options.from), dataDirOf());
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      process.stdout.write(
        `restored ${report.events} events (${report.streams} streams, up to position ${report.lastPosition}, backed up ` +
          `${report.createdAt}) into ${report.dataDir}\n` +
          'the audit signing key is not part of a backup: put it at <data-dir>/audit/signing.key (or set AUDIT_SIGNING_KEY_FILE) before ' +
          'starting the service\n',
      );
    });
}
