// Reads a CSV with the announcements export's columns (src/schemas/csv.ts) into one candidate per announcement, or a
// commitments and disbursements file (FLOW_COLUMNS) into one candidate per row.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { isCurrencyCode, parseAmount } from '../domain/money.js';
import {
  FLOW_COLUMNS,
  IMPORTED_ANNOUNCEMENT_COLUMNS,
  RESTATEMENT_SEPARATOR,
  TAG_SEPARATOR,
  UNALLOCATED_COUNTRY,
  restoreNeutralised,
  type AnnouncementColumn,
  type ImportedAnnouncementColumn,
} from '../schemas/csv.js';
import type { Candidate, FileItem } from './candidate.js';
import { flowCandidateOfRow } from './flowFile.js';
import { fieldPath, ImportFileError, type RowProblem } from './problems.js';

/** Without these a row cannot be an announcement; every other column may be left out of a hand-made file. */
const REQUIRED_COLUMNS: readonly AnnouncementColumn[] = ['funder', 'programme', 'title', 'announcedOn', 'currency', 'amount'];

/** Without these a row cannot be a commitment or disbursement. */
const REQUIRED_FLOW_COLUMNS: readonly string[] = ['announcement', 'kind', 'value', 'on'];

/** Columns that hold one value per announcement, so every row of a split announcement repeats them. */
const ANNOUNCEMENT_LEVEL_COLUMNS = IMPORTED_ANNOUNCEMENT_COLUMNS.filter(
  (column) => column !== 'country' && column !== 'allocationValue' && column !== 'revision',
);

/** Body paths -> the column that holds them, for reporting. */
const COLUMN_OF_PATH: Record<string, AnnouncementColumn> = {
  amount: 'amount',
  'amount.value': 'amount',
  'amount.currency': 'currency',
  statedEquivalent: 'statedEquivalentCurrency',
  'statedEquivalent.value': 'statedEquivalentValue',
  'statedEquivalent.currency': 'statedEquivalentCurrency',
  source: 'sourceUrl',
  'source.url': 'sourceUrl',
  'source.publisher': 'sourcePublisher',
  'source.publishedOn': 'sourcePublishedOn',
};

interface Row {
  /** Physical line the row starts on (a quoted cell may hold newlines). */
  readonly line: number;
  readonly cells: Readonly<Record<ImportedAnnouncementColumn, string>>;
}

/** A `kind` column makes the file one of commitments and disbursements; the announcements export has none. */
const isFlowHeader = (header: readonly string[]): boolean => header.includes('kind');

function checkHeader(header: string[], line: number): string[] {
  const problems: string[] = [];
  const [columns, required] = isFlowHeader(header)
    ? [FLOW_COLUMNS, REQUIRED_FLOW_COLUMNS]
    : [IMPORTED_ANNOUNCEMENT_COLUMNS, REQUIRED_COLUMNS];
  const unknown = header.filter((name) => !(columns as readonly string[]).includes(name));
  if (unknown.length > 0)
    problems.push(`unknown column(s) ${unknown.map((name) => `"${name}"`).join(', ')}; the columns are ${columns.join(', ')}`);
  const repeated = header.filter((name, index) => header.indexOf(name) !== index);
  if (repeated.length > 0) problems.push(`column(s) ${[...new Set(repeated)].join(', ')} appear more than once`);
  const missing = required.filter((name) => !header.includes(name));
  if (missing.length > 0) problems.push(`missing column(s) ${missing.join(', ')}`);
  if (problems.length > 0) throw new ImportFileError(`line ${line}: header: ${problems.join('; ')}`);
  return header;
}

/**
 * Physical lines. csv-parse reports the line a record ends on, but counts a CRLF inside a quoted cell as two lines
 * (and every later line one further on); this takes those back, then steps back over the line breaks inside the
 * record to the line it starts on.
 */
function lineCounter() {
  let overcounted = 0;
  return {
    physical: (parserLine: number): number => parserLine - overcounted,
    firstLineOf(endLine: number, cells: readonly string[]): number {
      let breaks = 0;
      for (const cell of cells) {
        overcounted += cell.match(/\r\n/g)?.length ?? 0;
        breaks += cell.match(/\r\n|\r|\n/g)?.length ?? 0;
      }
      return endLine - overcounted - breaks;
    },
  };
}

function rowOf(header: readonly string[], record: readonly string[], line: number): Row {
  const given = new Map(header.map((name, index) => [name, record[index] ?? '']));
  const cells = Object.fromEntries(IMPORTED_ANNOUNCEMENT_COLUMNS.map((column) => [column, restoreNeutralised(given.get(column) ?? '')]));
  return { line, cells: cells as Record<ImportedAnnouncementColumn, string> };
}

/**
 * One item per announcement, in file order. Rows of one announcement are consecutive and share a non-empty `id`
 * (as the export writes them); a row without an id is an announcement of its own. Records come as arrays so that a
 * row with the wrong number of cells is reported and skipped here, while broken quoting ends the file.
 */
export async function* readCsvFile(input: Readable): AsyncGenerator<FileItem> {
  const lines = lineCounter();
  const parser = parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true });
  // pipeline, not pipe: an error of the input (a byte that is not UTF-8) ends the records with that error.
  pipeline(input, parser).catch(() => undefined);
  let header: string[] | undefined;
  let group: Row[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = lines.firstLineOf(info.lines, record);
      if (header === undefined) {
        header = checkHeader(record, line);
        continue;
      }
      if (record.length !== header.length) {
        yield {
          kind: 'unreadable',
          problem: { line, field: '(row)', message: `has ${record.length} cells where the header has ${header.length}` },
        };
        continue;
      }
      if (isFlowHeader(header)) {
        yield flowCandidateOfRow(header, record, line);
        continue;
      }
      const row = rowOf(header, record, line);
      const current = group[0];
      if (current !== undefined && (row.cells.id === '' || row.cells.id !== current.cells.id)) {
        yield candidateOf(group);
        group = [];
      }
      group.push(row);
    }
  } catch (error) {
    // Broken quoting leaves the rest of the file unreadable: every later row would be guesswork.
    if (error instanceof CsvError)
      throw new ImportFileError(`line ${lines.physical(Number(error.lines))}: the file is not valid CSV: ${error.message}`);
    throw error;
  }
  if (group.length > 0) yield candidateOf(group);
}

const optional = (cell: string): string | undefined => (cell === '' ? undefined : cell);

function sameValue(a: string, b: string, currency: string): boolean {
  if (!isCurrencyCode(currency)) return a === b;
  const [x, y] = [parseAmount(a, currency), parseAmount(b, currency)];
  return typeof x === 'object' && typeof y === 'object' ? x.minor === y.minor : a === b;
}

/** Where the money goes: one row to a country (its whole amount) or unallocated, or one row per allocation. */
function destinationOf(rows: readonly Row[], problems: RowProblem[]): Record<string, unknown> {
  const [only, ...more] = rows;
  if (only === undefined) return {};
  if (more.length > 0)
    return { allocations: rows.map(({ cells }) => ({ country: optional(cells.country), value: optional(cells.allocationValue) })) };
  const { country, allocationValue, amount, currency } = only.cells;
  const wholeAmount = allocationValue === '' || sameValue(allocationValue, amount, currency);
  if (country === '' || country === UNALLOCATED_COUNTRY) {
    if (!wholeAmount)
      problems.push({
        line: only.line,
        field: 'allocationValue',
        message: 'unallocated money is the whole amount: leave this empty or repeat the amount',
      });
    return {};
  }
  return wholeAmount ? { country } : { allocations: [{ country, value: allocationValue }] };
}

/** Rows of one announcement must agree on everything but the allocation they carry. */
function disagreements(rows: readonly Row[]): RowProblem[] {
  const [first, ...rest] = rows;
  if (first === undefined) return [];
  return rest.flatMap((row) =>
    ANNOUNCEMENT_LEVEL_COLUMNS.filter((column) => row.cells[column] !== first.cells[column]).map((column) => ({
      line: row.line,
      field: column,
      message: `differs from line ${first.line}, the first row of announcement ${first.cells.id}`,
    })),
  );
}

/**
 * `id:value;id:value` as the API's restates array. A part without `:` keeps its text as the id and no value, so
 * validation names `restates[i].value` as required; empty parts (a trailing `;`) are ignored.
 */
function restatesOf(cell: string): { restates?: { announcement: string; value: string | undefined }[] } {
  const parts = cell
    .split(RESTATEMENT_SEPARATOR)
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const colon = part.indexOf(':');
      return colon === -1
        ? { announcement: part, value: undefined }
        : { announcement: part.slice(0, colon).trim(), value: part.slice(colon + 1).trim() };
    });
  // No part at all (an empty cell, or only separators) restates nothing, as an absent column does.
  return parts.length === 0 ? {} : { restates: parts };
}

function candidateOf(rows: readonly Row[]): Candidate {
  const first = rows[0] as Row;
  const cells = first.cells;
  const problems = disagreements(rows);
  const body: Record<string, unknown> = {
    ...(cells.id !== '' && { id: cells.id }),
    funder: optional(cells.funder),
    programme: optional(cells.programme),
    title: optional(cells.title),
    announcedOn: optional(cells.announcedOn),
    amount: { value: optional(cells.amount), currency: optional(cells.currency) },
    ...destinationOf(rows, problems),
    ...((cells.statedEquivalentValue !== '' || cells.statedEquivalentCurrency !== '') && {
      statedEquivalent: { value: optional(cells.statedEquivalentValue), currency: optional(cells.statedEquivalentCurrency) },
    }),
    ...((cells.sourceUrl !== '' || cells.sourcePublisher !== '' || cells.sourcePublishedOn !== '') && {
      source: {
        url: optional(cells.sourceUrl),
        publisher: optional(cells.sourcePublisher),
        publishedOn: optional(cells.sourcePublishedOn),
      },
    }),
    tags: cells.tags === '' ? [] : cells.tags.split(TAG_SEPARATOR),
    ...restatesOf(cells.restates),
  };
  const lines = rows.map((row) => row.line);
  return {
    kind: 'announcement',
    lines,
    body,
    status: optional(cells.status),
    withdrawalReason: optional(cells.withdrawalReason),
    programmeName: optional(cells.programmeName),
    problems,
    locate(path) {
      const [head, index, leaf] = path;
      // The column holds every part; the path names the part and what of it is wrong, as the API does.
      if (head === 'restates') return { line: first.line, field: fieldPath(path) };
      if (head === 'allocations') {
        const line = typeof index === 'number' ? (lines[index] ?? first.line) : first.line;
        return { line, field: leaf === 'country' ? 'country' : 'allocationValue' };
      }
      const key = path.filter((part) => typeof part === 'string').join('.');
      return { line: first.line, field: COLUMN_OF_PATH[key] ?? (typeof head === 'string' ? head : '(row)') };
    },
  };
}
