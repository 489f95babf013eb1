// The CSV columns, fixed and documented (README "CSV"): exports write them in this order and import reads them.

/** One row per allocation of each announcement (its whole amount when it goes to one country or is unallocated). */
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

/**
 * Totals: the groupBy dimensions first (in the order asked), then one row per original currency, so every row holds
 * one exact amount: `currency`, `amount`, `count`; with a target currency also `convertedCurrency`,
 * `convertedAmount` (per-allocation rounding, so rows add up to the total exactly) and `unconvertedIds`.
 */
export const TOTALS_FIGURE_COLUMNS = ['currency', 'amount', 'count'] as const;
export const TOTALS_CONVERSION_COLUMNS = ['convertedCurrency', 'convertedAmount', 'unconvertedIds'] as const;

/**
 * Cells a spreadsheet would run as a formula start with one of these; such a cell is written with a leading
 * apostrophe (OWASP "CSV injection"), and import removes exactly that apostrophe again.
 */
export const FORMULA_TRIGGERS = ['=', '+', '-', '@', '\t', '\r'] as const;

export function neutraliseFormula(cell: string): string {
  return cell !== '' && (FORMULA_TRIGGERS as readonly string[]).includes(cell[0] as string) ? `'${cell}` : cell;
}

export function restoreNeutralised(cell: string): string {
  return cell.length > 1 && cell[0] === "'" && (FORMULA_TRIGGERS as readonly string[]).includes(cell[1] as string) ? cell.slice(1) : cell;
}
