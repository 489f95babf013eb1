// The `ledger` command line: thin shells over the modules the service uses.
import { resolve } from 'node:path';
import { Command } from 'commander';
import { registerAuditCommands } from './audit.js';
import { registerExportCommand } from './export.js';
import { registerGenerateCommand } from './generate.js';
import { registerImportCommand } from './import.js';
import { registerKeysCommands } from './keys.js';
import { registerReplayCommand } from './replay.js';
import { registerRestoreCommand } from './restore.js';

// Every file a command creates (the store, keys, snapshots, exports) is the user's alone unless a mode says more;
// each place also sets its mode itself, this is the backstop for any it missed.
process.umask(0o077);

const program = new Command('ledger')
  .description('funding-ledger: an event-sourced ledger of public funding announcements')
  .option('--data-dir <dir>', 'data directory (default: $DATA_DIR or ./data)');

const dataDirOf = (): string => resolve(program.opts<{ dataDir?: string }>().dataDir ?? (process.env.DATA_DIR || './data'));

registerKeysCommands(program, dataDirOf);
registerAuditCommands(program, dataDirOf);
registerReplayCommand(program, dataDirOf);
registerExportCommand(program, dataDirOf);
registerImportCommand(program, dataDirOf);
registerGenerateCommand(program, dataDirOf);
registerRestoreCommand(program, dataDirOf);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`ledger: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
