// `ledger export`: the CSV files of GET /exports/*.csv, written from the event store to a file, atomically.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXPORT_KINDS, type ExportKind } from '../schemas/csv.js';
import { writeCsvFile } from '../exports/file.js';
import { parseExportSpec } from '../exports/options.js';
import { prepareExport } from '../exports/request.js';
import { rebuiltSources } from '../exports/sources.js';
import { progressOf } from './progress.js';
import { withStore } from './store.js';

interface ExportFlags {
  out: string;
  groupBy?: string;
  currency?: string;
  programme?: string;
  country?: string;
  funder?: string;
  yearFrom?: string;
  yearTo?: string;
  asOf?: string;
  basis?: string;
  stage?: string;
  rates?: boolean;
  bom?: boolean;
}

/** The flags that shape totals, by option name; only a totals export takes them. */
const TOTALS_FLAGS = {
  groupBy: '--group-by',
  currency: '--currency',
  programme: '--programme',
  country: '--country',
  funder: '--funder',
  yearFrom: '--year-from',
  yearTo: '--year-to',
  asOf: '--as-of',
  basis: '--basis',
  stage: '--stage',
  rates: '--rates',
} as const;

const flagOf = (option: PropertyKey | undefined): string => TOTALS_FLAGS[option as keyof typeof TOTALS_FLAGS] ?? `--${String(option)}`;

function specOf(kind: ExportKind, flags: ExportFlags) {
  const given = (Object.keys(TOTALS_FLAGS) as (keyof typeof TOTALS_FLAGS)[]).filter((option) => flags[option] !== undefined);
  if (kind !== 'totals' && given.length > 0) throw new Error(`${given.map(flagOf).join(', ')}: only a totals export takes these`);
  const options: Record<string, unknown> = { bom: flags.bom === true };
  for (const option of given) options[option] = flags[option];
  const parsed = parseExportSpec(kind, options);
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => `${flagOf(issue.path[0])}: ${issue.message}`).join('\n'));
  return parsed.data;
}

export function registerExportCommand(program: Command, dataDirOf: () => string): void {
  program
    .command('export')
    .argument('<kind>', `what to export: ${EXPORT_KINDS.join(', ')}`)
    .description(
      'write the CSV that GET /exports/<kind>.csv answers, from the event store; stop the service first when the store is embedded (it ' +
        'holds the data directory)',
    )
    .requiredOption('--out <file>', 'file to write (through <file>.tmp, fsynced, then renamed)')
    .option('--group-by <dimensions>', 'totals: comma-separated dimensions (programme, country, year, fiscalYear, funder, currency, stage)')
    .option('--currency <code>', 'totals: also convert into this currency (GBP, EUR)')
    .option('--programme <code>', 'totals: only this programme')
    .option('--country <code>', 'totals: only the money going to this country, or "unallocated"')
    .option('--funder <code>', 'totals: only this funder')
    .option('--year-from <year>', 'totals: only announcements from this calendar year on')
    .option('--year-to <year>', 'totals: only announcements up to this calendar year')
    .option('--as-of <moment>', 'totals: as they stood right after a position, or at an ISO 8601 instant')
    .option('--basis <basis>', 'totals: announced (the default) or new (less the money restating earlier announcements still active)')
    .option('--stage <stages>', 'totals: only these stages (announced, committed, disbursed)')
    .option('--rates', 'totals with --currency: a last column with the recorded rates each row used')
    .option('--bom', 'start with a UTF-8 byte order mark, for Excel')
    .action(async (kindArgument: string, flags: ExportFlags) => {
      if (!(EXPORT_KINDS as readonly string[]).includes(kindArgument))
        throw new Error(`unknown export "${kindArgument}": use ${EXPORT_KINDS.join(', ')}`);
      const kind = kindArgument as ExportKind;
      const spec = specOf(kind, flags);
      const out = resolve(flags.out);
      const started = performance.now();
      const written = await withStore(dataDirOf(), async (store) => {
        const reading = progressOf(`export ${kind}: reading`, undefined);
        const sources = await rebuiltSources(store, kind, (events) => reading.update(events));
        reading.stop();
        const csv = await prepareExport(sources, spec.request);
        const writing = progressOf(`export ${kind}: writing`, undefined, process.stderr, 'rows');
        const file = await writeCsvFile(csv, out, { bom: spec.bom, onRow: (rows) => rows % 1000 === 0 && writing.update(rows) });
        writing.update(file.rows);
        writing.stop();
        return { ...file, position: csv.position };
      });
      const seconds = Math.round(performance.now() - started) / 1000;
      process.stderr.write(
        `wrote ${out}: ${written.rows} rows at position ${written.position} in ${seconds} s (sha256 ${written.sha256})\n`,
      );
    });
}
