// The CSV format (README "CSV"): what can be exported, and the columns exports write in this order and import reads.

/** What can be exported as CSV (GET /exports/<kind>.csv, `ledger export <kind>`, scheduled exports). */
export const EXPORT_KINDS = ['totals', 'announcements', 'events'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/**
 * One row per allocation of each announcement (its whole amount when it goes to one country or is unallocated).
 * `amount` is the announcement's whole amount and repeats on each of its rows; `allocationValue` is this row's part, in
 * the same `currency`. `country` is the allocation's country, or `unallocated` (UNALLOCATED_COUNTRY) when the
 * announcement names none. Rows of one announcement are consecutive, in its allocation order.
 */
export const ANNOUNCEMENT_COLUMNS = [
  'id',
  'status',
  'funder',
  'programme',
  'programmeName',
  'title',
  'announcedOn',
  'currency',
  'amount',
  'country',
  'allocationValue',
  'statedEquivalentCurrency',
  'statedEquivalentValue',
  'sourceUrl',
  'sourcePublisher',
  'sourcePublishedOn',
  'tags',
  'withdrawalReason',
  'revision',
] as const;

export type AnnouncementColumn = (typeof ANNOUNCEMENT_COLUMNS)[number];

/**
 * Columns an announcements import reads beyond the export's: `restates`, the parts of the amount that re-announce
 * earlier announcements, as `id:value` parts separated by RESTATEMENT_SEPARATOR (values in the row's currency).
 */
export const IMPORTED_ANNOUNCEMENT_COLUMNS = [...ANNOUNCEMENT_COLUMNS, 'restates'] as const;
export type ImportedAnnouncementColumn = (typeof IMPORTED_ANNOUNCEMENT_COLUMNS)[number];

/** Between the restated parts of one `restates` cell; `:` separates a part's announcement id from its value. */
export const RESTATEMENT_SEPARATOR = ';';

/**
 * A commitments and disbursements import: one row per flow against an announcement the ledger or an earlier import
 * holds (POST /announcements/:id/commitments and /disbursements). `kind` is `commitment` or `disbursement`; `country`
 * is for disbursements only.
 */
export const FLOW_COLUMNS = [
  'announcement',
  'kind',
  'value',
  'on',
  'country',
  'reason',
  'sourceUrl',
  'sourcePublisher',
  'sourcePublishedOn',
] as const;
export type FlowColumn = (typeof FLOW_COLUMNS)[number];

/** The `country` of the one row of an announcement that names no country, as in totals and the `country` filter. */
export const UNALLOCATED_COUNTRY = 'unallocated';

/** Tags are joined with this; a tag can never contain it (tags are letters, digits, spaces, dots, dashes, underscores). */
export const TAG_SEPARATOR = ';';

/** The journal, flattened: one row per event. `data` and `metadata` stay JSON text. */
export const EVENT_COLUMNS = [
  'position',
  'recordedAt',
  'stream',
  'revision',
  'type',
  'actor',
  'correlationId',
  'causationId',
  'idempotencyKey',
  'eventId',
  'data',
  'hash',
  'prevHash',
] as const;

export type EventColumn = (typeof EVENT_COLUMNS)[number];

/**
 * Totals: the groupBy dimensions first (in the order asked), then one row per original currency, so every row holds
 * one exact amount: `currency`, `amount`, `count`; with a target currency also `convertedCurrency`,
 * `convertedAmount` (per-allocation rounding, so rows add up to the total exactly) and `unconvertedIds`.
 */
export const TOTALS_FIGURE_COLUMNS = ['currency', 'amount', 'count'] as const;
export const TOTALS_CONVERSION_COLUMNS = ['convertedCurrency', 'convertedAmount', 'unconvertedIds'] as const;

/** `unconvertedIds` holds announcement ids joined with this (ids are UUIDs, which never contain it). */
export const ID_SEPARATOR = ';';

/**
 * The columns of one totals export. `currency` is always a figure column, so asking to group by currency adds no
 * dimension column of its own (a header never names a column twice).
 */
/**
 * Asked for with `rates=true` (and a currency): the recorded rates a row's converted amount used, each
 * `BASE/QUOTE=rate@effectiveOn#position` (` inverse` appended when used inverted), joined with ID_SEPARATOR.
 */
export const TOTALS_RATES_COLUMN = 'rates';

export function totalsColumnsOf(groupBy: readonly string[], convertedCurrency: string | undefined, rates = false): string[] {
  return [
    ...groupBy.filter((dimension) => dimension !== 'currency'),
    ...TOTALS_FIGURE_COLUMNS,
    ...(convertedCurrency === undefined ? [] : TOTALS_CONVERSION_COLUMNS),
    ...(convertedCurrency !== undefined && rates ? [TOTALS_RATES_COLUMN] : []),
  ];
}

/**
 * Cells a spreadsheet would run as a formula start with one of these; such a cell is written with a leading
 * apostrophe (OWASP "CSV injection"), and import removes exactly that apostrophe again.
 */
export const FORMULA_TRIGGERS = ['=', '+', '-', '@', '\t', '\r'] as const;

/**
 * The mark the export puts before a neutralised cell. A cell that itself starts with it gets one more, so the import
 * can tell "'=1+1" as written (exported "''=1+1") from "=1+1" neutralised (exported "'=1+1").
 */
const NEUTRALISING_MARK = "'";

const needsMark = (first: string | undefined): boolean =>
  first === NEUTRALISING_MARK || (FORMULA_TRIGGERS as readonly (string | undefined)[]).includes(first);

export function neutraliseFormula(cell: string): string {
  return needsMark(cell[0]) ? `${NEUTRALISING_MARK}${cell}` : cell;
}

/** Removes the one mark neutraliseFormula adds; a lone apostrophe or one before anything else is the cell's own. */
export function restoreNeutralised(cell: string): string {
  return cell[0] === NEUTRALISING_MARK && needsMark(cell[1]) ? cell.slice(1) : cell;
}
