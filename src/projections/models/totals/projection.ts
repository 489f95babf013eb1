// The totals projection: announcements add their allocations, amendments replace them, withdrawals remove them;
// restatements, commitments and disbursements add money in stages of their own (stageSlots.ts).
import { runAtOnce, type Steps } from '../../../runtime/timeSlice.js';
import { toDomainEvent } from '../../../commands/decider.js';
import { ANNOUNCEMENT_EVENT_TYPES, ANNOUNCEMENT_STREAM_PREFIX, type AnnouncementEvent } from '../../../commands/announcement/events.js';
import type { AnnouncementFields } from '../../../commands/announcement/events.js';
import { applyChanges } from '../../../commands/announcement/state.js';
import { EXCHANGE_RATE_EVENT_TYPES, EXCHANGE_RATE_STREAM_PREFIX, type ExchangeRateEvent } from '../../../commands/exchangeRate/events.js';
import type { CurrencyCode } from '../../../domain/money.js';
import type { RecordedEvent } from '../../../store/port.js';
import { positionText } from '../../../store/position.js';
import { dayNumber } from '../columns.js';
import type { Projection } from '../../runtime/projection.js';
import { addConverted, applyContribution, currencyOf, dateOf, isActive, newSlot, withdraw } from './contribution.js';
import { ConvertedCells } from './convertedCells.js';
import { describeTotals } from './digest.js';
import { initialTotalsState, type Conversion, type TotalsState } from './state.js';
import { commit, disburse, followAmendment, restatedChanged, setRestates, withdrawDerived } from './stageSlots.js';
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
  const active = isActive(state, existing);
  switch (domainEvent.type) {
    case 'FundingAnnounced': {
      // The decider never records a second one for an id; were one there, the first would stand while active.
      if (active) return;
      const slot = existing ?? newSlot(state, id);
      contribute(state, slot, domainEvent.data);
      const { restates } = domainEvent.data;
      if (restates !== undefined && restates.length > 0) setRestates(state, slot, restates);
      restatedChanged(state, id);
      return;
    }
    case 'FundingAmended': {
      if (!active) return;
      const { changes } = domainEvent.data;
      const next = applyChanges({ ...contributedFields(state, existing), title: '', tags: [] }, changes);
      withdraw(state, existing);
      contribute(state, existing, next);
      if (changes.restates !== undefined) setRestates(state, existing, changes.restates);
      // Only announcements with restatements, commitments or disbursements have slots derived from theirs.
      if (state.stages.derived.size > 0) followAmendment(state, existing);
      return;
    }
    case 'FundingWithdrawn':
      if (!active) return;
      withdraw(state, existing);
      if (state.stages.derived.size > 0) withdrawDerived(state, existing);
      restatedChanged(state, id);
      return;
    case 'FundingCommitted':
      if (active) commit(state, existing, domainEvent.data.amount.minor, domainEvent.data.on);
      return;
    case 'FundingDisbursed':
      if (active) disburse(state, existing, domainEvent.data.amount.minor, domainEvent.data.on, domainEvent.data.country);
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
      const record = { ...data, position: positionText(event.position) };
      state.rates.record(record);
      state.recorder?.rateRecorded(state, record);
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
