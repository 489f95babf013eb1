// `ledger import`: read a CSV or JSON Lines file, validate all of it, hold it against the ledger, then write or refuse.
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import type { EventStore } from '../store/port.js';
import { applyPlan, stepsOf, type ImportRun } from './apply.js';
import { identify, type IdentifiedAnnouncement } from './content.js';
import type { FileItem } from './candidate.js';
import { readCsvFile } from './csvFile.js';
import { readJsonlFile } from './jsonlFile.js';
import { identifyFlow, validateFlow, type IdentifiedFlow } from './flowFile.js';
import type { StoredRestatedFacts } from './pendingLedger.js';
import { planImport } from './plan.js';
import { ImportFileError, sortedProblems, type RowProblem } from './problems.js';
import { checkedUtf8 } from './utf8.js';
import { validateCandidate } from './validate.js';

export type ImportFormat = 'csv' | 'jsonl';

export interface ImportOptions extends ImportRun {
  /** What the ledger holds about restated announcements (folded by the caller); needed when a file restates one it holds. */
  readonly storedFacts?: StoredRestatedFacts | undefined;
  /** Validate and report what would be written; write nothing. */
  readonly dryRun?: boolean;
  /** Write the good announcements even when some rows are bad (the bad ones are still reported). */
  readonly skipInvalid?: boolean;
  /** `check`: announcements held against the ledger; `write`: steps written. */
  readonly onProgress?: (phase: 'check' | 'write', done: number, total: number) => void;
}

export interface ImportReport {
  readonly format: ImportFormat;
  readonly rowsRead: number;
  /** Announcements written (in a dry run: that would be written). */
  readonly imported: number;
  /** Withdrawals written (in a dry run: that would be), with a new announcement or completing an earlier import. */
  readonly withdrawals: number;
  /** Commitments and disbursements written (in a dry run: that would be). */
  readonly commitments: number;
  readonly disbursements: number;
  /** Announcements, commitments and disbursements the ledger already holds. */
  readonly alreadyPresent: number;
  /** Codes of the programmes registered (in a dry run: that would be). */
  readonly programmesRegistered: readonly string[];
  /** Distinct lines with a problem. */
  readonly badRows: number;
  readonly problems: readonly RowProblem[];
  /** Whether anything was appended: false on a dry run and when bad rows stopped the import. */
  readonly written: boolean;
}

export function formatOf(file: string): ImportFormat {
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  throw new ImportFileError(`${file}: give a .csv file (the announcements export columns) or a .jsonl file (one announcement body a line)`);
}

/** Items of a file, in file order; a file that is not UTF-8 fails at its first bad byte, before any row is used. */
export function readImportFile(input: Readable, format: ImportFormat): AsyncGenerator<FileItem> {
  const bytes = checkedUtf8(input);
  return format === 'csv' ? readCsvFile(bytes) : readJsonlFile(bytes);
}

interface Checked {
  readonly rowsRead: number;
  readonly valid: readonly IdentifiedAnnouncement[];
  readonly flows: readonly IdentifiedFlow[];
  readonly problems: readonly RowProblem[];
}

/** Everything that can be known without the ledger: each row read, validated and given its id; repeats refused. */
export async function checkFile(items: AsyncIterable<FileItem>): Promise<Checked> {
  let rowsRead = 0;
  const valid: IdentifiedAnnouncement[] = [];
  const flows: IdentifiedFlow[] = [];
  const problems: RowProblem[] = [];
  const firstLineOf = new Map<string, number>();
  const occurrences = new Map<string, number>();
  const occurrence = (content: string): number => {
    const nth = (occurrences.get(content) ?? 0) + 1;
    occurrences.set(content, nth);
    return nth;
  };
  for await (const item of items) {
    if (item.kind === 'unreadable') {
      rowsRead += 1;
      problems.push(item.problem);
      continue;
    }
    if (item.kind === 'flow') {
      rowsRead += 1;
      const validated = validateFlow(item);
      if (validated.ok) flows.push(identifyFlow(validated.flow, occurrence));
      else problems.push(...validated.problems);
      continue;
    }
    rowsRead += item.lines.length;
    const validated = validateCandidate(item);
    if (!validated.ok) {
      problems.push(...validated.problems);
      continue;
    }
    const announcement = identify(validated.announcement);
    const line = announcement.lines[0] ?? 0;
    const earlier = firstLineOf.get(announcement.id);
    if (earlier !== undefined) {
      const message =
        announcement.givenId === undefined
          ? `the same announcement as line ${earlier}; give each an id to import both`
          : `announcement ${announcement.id} already appears at line ${earlier}; rows of one announcement are consecutive`;
      problems.push({ line, field: 'id', message });
      continue;
    }
    firstLineOf.set(announcement.id, line);
    valid.push(announcement);
  }
  return { rowsRead, valid, flows, problems };
}

export async function importFile(store: EventStore, file: string, options: ImportOptions): Promise<ImportReport> {
  const format = formatOf(file);
  const checked = await checkFile(readImportFile(createReadStream(file), format));
  const onProgress = options.onProgress ?? (() => undefined);
  const plan = await planImport(store, checked.valid, checked.flows, {
    storedFacts: options.storedFacts,
    onChecked: (done) => onProgress('check', done, checked.valid.length),
  });
  const problems = sortedProblems([...checked.problems, ...plan.problems]);
  const refused = problems.length > 0 && options.skipInvalid !== true;
  const written = !refused && options.dryRun !== true && stepsOf(plan) > 0;
  if (written) await applyPlan(store, plan, options, (done) => onProgress('write', done, stepsOf(plan)));
  const counted = !refused;
  return {
    format,
    rowsRead: checked.rowsRead,
    imported: counted ? plan.announce.length : 0,
    withdrawals: counted ? plan.announce.filter((a) => a.withdrawalReason !== undefined).length + plan.withdraw.length : 0,
    commitments: counted ? plan.flows.filter((flow) => flow.kind === 'commitment').length : 0,
    disbursements: counted ? plan.flows.filter((flow) => flow.kind === 'disbursement').length : 0,
    alreadyPresent: plan.present.length + plan.flowsPresent,
    programmesRegistered: counted ? plan.programmes.map((p) => p.code) : [],
    badRows: new Set(problems.map((p) => p.line)).size,
    problems,
    written,
  };
}
