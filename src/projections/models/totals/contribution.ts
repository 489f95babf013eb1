// A contribution slot's rows: writing them, adding them to (or taking them from) the cells and live conversions.
import { convertSafeMinor, type CurrencyCode } from '../../../domain/money.js';
import { dayText, type Dictionary } from '../columns.js';
import type { AppliedRate, RateBook } from './rateBook.js';
import type { Conversion, TotalsState } from './state.js';

/** A new slot for an announcement's contribution (or one derived from it: see stageSlots.ts). */
export function newSlot(state: TotalsState, id: string): number {
  const contributions = state.contributions;
  const slot = contributions.ids.add(id);
  contributions.days.push(0);
  contributions.currencies.push(0);
  contributions.split.push(0);
  contributions.firstRow.push(0);
  contributions.rowCount.push(0);
  return slot;
}

/** Takes a slot's rows from the cells and leaves it empty (a withdrawn announcement keeps its slot). */
export function withdraw(state: TotalsState, slot: number): void {
  applyContribution(state, slot, -1);
  state.contributions.rowCount.set(slot, 0);
}

/** Whether an announcement's own slot contributes: withdrawn ones keep theirs with no rows. */
export function isActive(state: TotalsState, slot: number | undefined): slot is number {
  return slot !== undefined && state.contributions.rowCount.get(slot) > 0;
}

const texts = new Map<number, string>();

/** The date of a contribution (its rate date), as the rate book takes dates. */
export function dateOf(state: TotalsState, slot: number): string {
  const day = state.contributions.days.get(slot);
  let date = texts.get(day);
  if (date === undefined) {
    date = dayText(day);
    texts.set(day, date);
  }
  return date;
}

export function currencyOf(state: TotalsState, slot: number): CurrencyCode {
  return state.cells.dictionaries.currencies.valueOf(state.contributions.currencies.get(slot)) as CurrencyCode;
}

/** The key of a (currency, day) in a conversion's rate cache. */
export function rateKeyOf(currencyCode: number, day: number): number {
  return currencyCode * 100_000_000 + day;
}

/**
 * The rate from a currency into `target` on a day, the two as rateKeyOf keeps them (the currency's code in the cells'
 * dictionary, the day as YYYYMMDD), with its record as `book` has it: null when none applies, or when the currency is
 * the target. Every conversion, live, recorded in the history or past, finds its rates here.
 */
export function rateIn(book: RateBook, currencies: Dictionary, key: number, target: CurrencyCode): AppliedRate | null {
  const currency = currencies.valueOf(Math.floor(key / 100_000_000)) as CurrencyCode;
  return currency === target ? null : (book.appliedOn(currency, target, dayText(key % 100_000_000)) ?? null);
}

/** The rate a slot's rows convert at (rateIn), kept in `cache`: looked up once per (currency, day), not once per row. */
export function slotRate(
  cache: Map<number, AppliedRate | null>,
  state: Pick<TotalsState, 'rates' | 'cells' | 'contributions'>,
  slot: number,
  target: CurrencyCode,
): AppliedRate | null {
  const key = rateKeyOf(state.contributions.currencies.get(slot), state.contributions.days.get(slot));
  let rate = cache.get(key);
  if (rate === undefined) cache.set(key, (rate = rateIn(state.rates, state.cells.dictionaries.currencies, key, target)));
  return rate;
}

/** Converts one allocation (row) at the rate in force on its slot's date; undefined when no rate applies. */
function convertedRow(
  state: TotalsState,
  conversion: Conversion,
  slot: number,
  row: number,
  target: CurrencyCode,
): number | bigint | undefined {
  const minor = state.contributions.rowMinors.get(row);
  const currency = currencyOf(state, slot);
  if (currency === target) return minor;
  const applied = slotRate(conversion.rates, state, slot, target);
  return applied === null ? undefined : convertSafeMinor(minor, currency, target, applied.rate);
}

/** The announcement a slot belongs to: its own id, or the part of a derived slot's id before the "#". */
export function announcementIdOf(state: Pick<TotalsState, 'contributions'>, slot: number): string {
  const id = state.contributions.ids.idOf(slot);
  const mark = id.indexOf('#');
  return mark < 0 ? id : id.slice(0, mark);
}

export function addConverted(
  state: TotalsState,
  conversion: Conversion,
  slot: number,
  row: number,
  target: CurrencyCode,
  sign: 1 | -1,
): void {
  const cell = state.contributions.rowCells.get(row);
  const converted = convertedRow(state, conversion, slot, row, target);
  if (converted !== undefined) {
    conversion.cells.add(cell, converted, sign);
    return;
  }
  // The id as text only for what cannot be converted: spelling out every id cost more than the conversions.
  conversion.cells.markUnconverted(cell, announcementIdOf(state, slot), sign);
}

export function applyContribution(state: TotalsState, slot: number, sign: 1 | -1): void {
  state.recorder?.contributed(state, slot, sign);
  const c = state.contributions;
  const first = c.firstRow.get(slot);
  const end = first + c.rowCount.get(slot);
  for (let row = first; row < end; row += 1) {
    state.cells.apply(c.rowCells.get(row), c.rowMinors.get(row), sign, row === first);
    // Checked first: iterating an empty map still makes an iterator, on every row of a replay.
    if (state.conversions.size > 0)
      for (const [target, conversion] of state.conversions) addConverted(state, conversion, slot, row, target, sign);
  }
}
