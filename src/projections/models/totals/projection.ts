// The totals projection: announcements add their allocations, amendments replace them, withdrawals remove them.
import { runAtOnce, type Steps } from '../../../runtime/timeSlice.js';
import { toDomainEvent } from '../../../commands/decider.js';
import { ANNOUNCEMENT_EVENT_TYPES, ANNOUNCEMENT_STREAM_PREFIX, type AnnouncementEvent } from '../../../commands/announcement/events.js';
import type { AnnouncementFields } from '../../../commands/announcement/events.js';
import { applyChanges } from '../../../commands/announcement/state.js';
import { EXCHANGE_RATE_EVENT_TYPES, EXCHANGE_RATE_STREAM_PREFIX, type ExchangeRateEvent } from '../../../commands/exchangeRate/events.js';
import { convertSafeMinor, type CurrencyCode, type ExactRate } from '../../../domain/money.js';
import type { RecordedEvent } from '../../../store/port.js';
import { dayNumber, dayText } from '../columns.js';
import type { Projection } from '../../runtime/projection.js';
import { ConvertedCells } from './convertedCells.js';
import { describeTotals } from './digest.js';
import { initialTotalsState, type Conversion, type TotalsState } from './state.js';
import { storedTotals, type StoredTotals } from './stored.js';

export const UNALLOCATED = 'unallocated';

/** What the totals read from an announcement: where the money goes, from whom, when, in which currency. */
type Contributed = Pick<AnnouncementFields, 'programme' | 'funder' | 'announcedOn' | 'amount' | 'country' | 'allocations'>;

/**
 * The cell of each allocation of one contribution, made on first sight: the codes all its allocations share are
 * looked up once, only the country's per allocation.
 */
function cellFinder(state: TotalsState, fields: Contributed): (country: string) => number {
  const { cells } = state;
  const { dictionaries } = cells;
  const programme = dictionaries.programmes.codeOf(fields.programme);
  const funder = dictionaries.funders.codeOf(fields.funder);
  const currency = dictionaries.currencies.codeOf(fields.amount.currency);
  const period = cells.periodOf(fields.announcedOn);
  return (country) => cells.numberOf(programme, funder, currency, period, dictionaries.countries.codeOf(country));
}

/** A new slot for an announcement's contribution. */
function newSlot(state: TotalsState, id: string): number {
  const contributions = state.contributions;
  const slot = contributions.ids.add(id);
  contributions.days.push(0);
  contributions.currencies.push(0);
  contributions.split.push(0);
  contributions.firstRow.push(0);
  contributions.rowCount.push(0);
  return slot;
}

/** Records what an announcement contributes now (its rows) and adds it to the cells. */
function contribute(state: TotalsState, slot: number, fields: Contributed): void {
  const c = state.contributions;
  const cellOf = cellFinder(state, fields);
  c.days.set(slot, dayNumber(fields.announcedOn));
  c.currencies.set(slot, state.cells.dictionaries.currencies.codeOf(fields.amount.currency));
  c.split.set(slot, fields.allocations === undefined ? 0 : 1);
  c.firstRow.set(slot, c.rowCells.length);
  if (fields.allocations !== undefined) {
    for (const allocation of fields.allocations) {
      c.rowCells.push(cellOf(allocation.country));
      c.rowMinors.push(allocation.amount.minor);
    }
    c.rowCount.set(slot, fields.allocations.length);
  } else {
    c.rowCells.push(cellOf(fields.country ?? UNALLOCATED));
    c.rowMinors.push(fields.amount.minor);
    c.rowCount.set(slot, 1);
  }
  applyContribution(state, slot, 1);
}

function withdraw(state: TotalsState, slot: number): void {
  applyContribution(state, slot, -1);
  state.contributions.rowCount.set(slot, 0);
}

const texts = new Map<number, string>();

/** announcedOn of a contribution, as the rate book takes dates. */
function dateOf(state: TotalsState, slot: number): string {
  const day = state.contributions.days.get(slot);
  let date = texts.get(day);
  if (date === undefined) {
    date = dayText(day);
    texts.set(day, date);
  }
  return date;
}

function currencyOf(state: TotalsState, slot: number): CurrencyCode {
  return state.cells.dictionaries.currencies.valueOf(state.contributions.currencies.get(slot)) as CurrencyCode;
}

/** The rate from the slot's currency into the target on its announcement date, null when none applies. */
function rateFor(state: TotalsState, conversion: Conversion, slot: number, currency: CurrencyCode, target: CurrencyCode): ExactRate | null {
  const c = state.contributions;
  const key = c.currencies.get(slot) * 100_000_000 + c.days.get(slot);
  let rate = conversion.rates.get(key);
  if (rate === undefined) {
    rate = state.rates.rateOn(currency, target, dateOf(state, slot)) ?? null;
    conversion.rates.set(key, rate);
  }
  return rate;
}

/** Converts one allocation (row) at the rate in force on its announcement date; undefined when no rate applies. */
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
  const rate = rateFor(state, conversion, slot, currency, target);
  return rate === null ? undefined : convertSafeMinor(minor, currency, target, rate);
}

function addConverted(state: TotalsState, conversion: Conversion, slot: number, row: number, target: CurrencyCode, sign: 1 | -1): void {
  const cell = state.contributions.rowCells.get(row);
  const converted = convertedRow(state, conversion, slot, row, target);
  if (converted !== undefined) {
    conversion.cells.add(cell, converted, sign);
    return;
  }
  // The id as text only for what cannot be converted: spelling out every id cost more than the conversions.
  conversion.cells.markUnconverted(cell, state.contributions.ids.idOf(slot), sign);
}

function applyContribution(state: TotalsState, slot: number, sign: 1 | -1): void {
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

/**
 * The fields of an announcement that the totals depend on, read back from its contribution, so the totals need not
 * keep every announcement a second time.
 */
function contributedFields(state: TotalsState, slot: number): Contributed {
  const c = state.contributions;
  const { cells } = state;
  const first = c.firstRow.get(slot);
  const count = c.rowCount.get(slot);
  const currency = currencyOf(state, slot);
  const countryOf = (row: number): string => cells.dictionaries.countries.valueOf(cells.codeOf(c.rowCells.get(row), 'countries'));
  let minor = 0;
  const allocations = [];
  for (let row = first; row < first + count; row += 1) {
    minor += c.rowMinors.get(row);
    allocations.push({ country: countryOf(row), amount: { currency, minor: c.rowMinors.get(row) } });
  }
  const firstCell = c.rowCells.get(first);
  const firstCountry = countryOf(first);
  const destination = c.split.get(slot) === 1 ? { allocations } : firstCountry === UNALLOCATED ? {} : { country: firstCountry };
  return {
    funder: cells.dictionaries.funders.valueOf(cells.codeOf(firstCell, 'funders')),
    programme: cells.dictionaries.programmes.valueOf(cells.codeOf(firstCell, 'programmes')),
    announcedOn: dateOf(state, slot),
    amount: { currency, minor },
    ...destination,
  };
}

function evolveAnnouncement(state: TotalsState, event: RecordedEvent): void {
  const domainEvent = toDomainEvent<AnnouncementEvent>({ eventTypes: ANNOUNCEMENT_EVENT_TYPES }, event);
  const id = domainEvent.data.announcementId;
  const existing = state.contributions.ids.slotOf(id);
  const active = existing !== undefined && state.contributions.rowCount.get(existing) > 0;
  switch (domainEvent.type) {
    case 'FundingAnnounced':
      // The decider never records a second one for an id; were one there, the first would stand while active.
      if (!active) contribute(state, existing ?? newSlot(state, id), domainEvent.data);
      return;
    case 'FundingAmended': {
      if (!active) return;
      const next = applyChanges({ ...contributedFields(state, existing), title: '', tags: [] }, domainEvent.data.changes);
      withdraw(state, existing);
      contribute(state, existing, next);
      return;
    }
    case 'FundingWithdrawn':
      if (active) withdraw(state, existing);
      return;
  }
}

export const totalsProjection: Projection<TotalsState, StoredTotals> = {
  name: 'totals',
  canHandle: (event) => event.stream.startsWith(ANNOUNCEMENT_STREAM_PREFIX) || event.stream.startsWith(EXCHANGE_RATE_STREAM_PREFIX),
  initialState: initialTotalsState,
  snapshot: storedTotals,
  describe: describeTotals,
  evolve(state, event) {
    if (event.stream.startsWith(EXCHANGE_RATE_STREAM_PREFIX)) {
      const { data } = toDomainEvent<ExchangeRateEvent>({ eventTypes: EXCHANGE_RATE_EVENT_TYPES }, event);
      state.rates.record(data.base, data.quote, data.effectiveOn, data.rate);
      // Any converted sum may now be different: rebuild conversions lazily at the next query that asks.
      state.conversions.clear();
      return state;
    }
    evolveAnnouncement(state, event);
    return state;
  },
};

/** Converted sums for a target currency, built from every active contribution when first asked for after a rate change. */
export function conversionFor(state: TotalsState, target: CurrencyCode): Conversion {
  return runAtOnce(conversionSteps(state, target));
}

/** How many contributions are converted between two points where a sliced run may pause. */
const CONTRIBUTIONS_PER_STEP = 512;

/**
 * conversionFor as steps: a million contributions take most of a second to convert, so the service does it in slices.
 * With `keep` false the conversion is not stored in the state: for past states held in a cache bounded in bytes, which
 * a conversion (8 bytes a cell, see convertedCells.ts) would otherwise grow behind the cache's back.
 */
export function* conversionSteps(state: TotalsState, target: CurrencyCode, keep = true): Steps<Conversion> {
  const known = state.conversions.get(target);
  if (known !== undefined) return known;
  const conversion: Conversion = { cells: new ConvertedCells(), rates: new Map() };
  const c = state.contributions;
  for (let slot = 0; slot < c.ids.length; slot += 1) {
    const first = c.firstRow.get(slot);
    const end = first + c.rowCount.get(slot);
    for (let row = first; row < end; row += 1) addConverted(state, conversion, slot, row, target, 1);
    if (slot % CONTRIBUTIONS_PER_STEP === 0) yield;
  }
  if (keep) state.conversions.set(target, conversion);
  return conversion;
}
