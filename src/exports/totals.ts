// The totals export: /totals split by original currency, one exact amount per row, so rows add up to the totals.
import type { CurrencyCode } from '../domain/money.js';
import { totalsQuerySteps, type Basis, type TotalsAnswer, type TotalsFilter, type TotalsRow } from '../projections/models/totals/query.js';
import { runInSlices } from '../runtime/timeSlice.js';
import type { Dimension, TotalsState } from '../projections/models/totals/state.js';
import { ID_SEPARATOR, totalsColumnsOf } from '../schemas/csv.js';
import type { CsvExport } from './csv.js';

export interface TotalsExportOptions {
  readonly groupBy: readonly Dimension[];
  readonly currency?: CurrencyCode | undefined;
  readonly filter: TotalsFilter;
  readonly basis?: Basis | undefined;
  /** With `currency`: a last column `rates`, the recorded rates each row used (TOTALS_RATES_COLUMN). */
  readonly rates?: boolean | undefined;
}

/** Totals state at a known position: the live projection, or a past moment rebuilt by AsOfTotals. */
export interface TotalsAt {
  readonly position: string;
  readonly state: TotalsState;
  /** Lets the live projections move again: they hold still while rows are computed from them in slices. */
  readonly release?: () => void;
  /** A past state from the as-of cache: a conversion built for the export is not kept in it. */
  readonly past?: boolean;
}

function cellsOf(row: TotalsRow, dimensions: readonly Dimension[], currency: CurrencyCode | undefined, rates: boolean): string[] {
  const amount = row.amounts[0];
  return [
    ...dimensions.map((dimension) => String(row[dimension] ?? '')),
    String(row.currency ?? amount?.currency ?? ''),
    amount?.value ?? '0',
    String(row.count),
    ...(currency === undefined
      ? []
      : [row.converted?.currency ?? currency, row.converted?.value ?? '', (row.unconverted ?? []).join(ID_SEPARATOR)]),
    ...(currency !== undefined && rates ? [ratesCell(row)] : []),
  ];
}

/**
 * A row's rates in one cell: each `BASE/QUOTE=rate@effectiveOn#position`, with ` inverse` when used inverted, joined
 * by ID_SEPARATOR, in the answer's order. The source is in /totals' `rates`; the position finds the event behind it.
 */
function ratesCell(row: TotalsRow): string {
  return (row.rates ?? [])
    .map((rate) => `${rate.base}/${rate.quote}=${rate.rate}@${rate.effectiveOn}#${rate.position}${rate.inverse === true ? ' inverse' : ''}`)
    .join(ID_SEPARATOR);
}

/**
 * Grouping by currency as well puts every original currency on its own row; each row's converted amount is the sum
 * of its allocations converted one by one, exactly as /totals sums them, so the rows partition the grand total.
 * The rows are computed before the first is written, at one position, in slices (the state holds still meanwhile):
 * there is one per group and currency, never per event.
 */
export async function totalsExport(totals: TotalsAt, options: TotalsExportOptions): Promise<CsvExport> {
  const groupBy: Dimension[] = options.groupBy.includes('currency') ? [...options.groupBy] : [...options.groupBy, 'currency'];
  let answer: TotalsAnswer;
  try {
    answer = await runInSlices(
      totalsQuerySteps(
        totals.state,
        { groupBy, currency: options.currency, filter: options.filter, basis: options.basis },
        { keepConversion: totals.past !== true },
      ),
    );
  } finally {
    totals.release?.();
  }
  const dimensions = options.groupBy.filter((dimension) => dimension !== 'currency');
  const rows = answer.rows.filter((row) => row.amounts.length > 0);
  return {
    kind: 'totals',
    position: totals.position,
    columns: totalsColumnsOf(options.groupBy, options.currency, options.rates === true),
    rows: (async function* () {
      for (const row of rows) yield cellsOf(row, dimensions, options.currency, options.rates === true);
    })(),
  };
}
