// The totals projection: announcements add their allocations, amendments replace them, withdrawals remove them.
import { toDomainEvent } from '../../commands/handle.js';
import { ANNOUNCEMENT_EVENT_TYPES, ANNOUNCEMENT_STREAM_PREFIX, type AnnouncementEvent } from '../../commands/announcement/events.js';
import type { AnnouncementFields } from '../../commands/announcement/events.js';
import { applyChanges } from '../../commands/announcement/state.js';
import { EXCHANGE_RATE_EVENT_TYPES, EXCHANGE_RATE_STREAM_PREFIX, type ExchangeRateEvent } from '../../commands/exchangeRate/events.js';
import { fiscalYearOf, yearOf } from '../../domain/dates.js';
import { convertMinor, type CurrencyCode } from '../../domain/money.js';
import type { RecordedEvent } from '../../store/port.js';
import type { Projection } from '../projection.js';
import { initialTotalsState, type Cell, type Contribution, type ContributionRow, type TotalsState } from './state.js';

export const UNALLOCATED = 'unallocated';

/** Year and fiscal year per date, computed once per distinct date rather than once per allocation. */
const calendar = new Map<string, { year: number; fiscalYear: string }>();

function calendarOf(date: string): { year: number; fiscalYear: string } {
  let entry = calendar.get(date);
  if (entry === undefined) {
    entry = { year: yearOf(date), fiscalYear: fiscalYearOf(date) };
    calendar.set(date, entry);
  }
  return entry;
}

/** The cell of one allocation; `prefix` is the part of the key shared by all allocations of an announcement. */
function cellFor(state: TotalsState, announcement: AnnouncementFields, prefix: string, country: string): Cell {
  const cellKey = `${prefix}|${country}`;
  let cell = state.cells.get(cellKey);
  if (cell === undefined) {
    const { year, fiscalYear } = calendarOf(announcement.announcedOn);
    const { programme, funder } = announcement;
    cell = { programme, country, year, fiscalYear, funder, currency: announcement.amount.currency, minor: 0n, allocations: 0, announcements: 0 };
    state.cells.set(cellKey, cell);
  }
  return cell;
}

function contributionOf(state: TotalsState, id: string, announcement: AnnouncementFields): Contribution {
  const { fiscalYear } = calendarOf(announcement.announcedOn);
  // The fiscal year label fixes the calendar year too once the date's month is known, so the date itself is not needed.
  const prefix = `${announcement.programme}|${announcement.announcedOn.slice(0, 4)}|${fiscalYear}|${announcement.funder}|${announcement.amount.currency}`;
  const rows: ContributionRow[] = [];
  if (announcement.allocations !== undefined) {
    announcement.allocations.forEach((allocation, index) => {
      rows.push({ cell: cellFor(state, announcement, prefix, allocation.country), minor: allocation.amount.minor, primary: index === 0 });
    });
  } else {
    rows.push({ cell: cellFor(state, announcement, prefix, announcement.country ?? UNALLOCATED), minor: announcement.amount.minor, primary: true });
  }
  return { id, announcedOn: announcement.announcedOn, currency: announcement.amount.currency, split: announcement.allocations !== undefined, rows };
}

/** Converts one allocation at the rate in force on its announcement date; undefined when no rate applies. */
export function convertedRow(state: TotalsState, contribution: Contribution, row: ContributionRow, target: CurrencyCode): bigint | undefined {
  if (contribution.currency === target) return BigInt(row.minor);
  const rate = state.rates.rateOn(contribution.currency, target, contribution.announcedOn);
  return rate === undefined ? undefined : convertMinor(BigInt(row.minor), contribution.currency, target, rate);
}

function applyContribution(state: TotalsState, contribution: Contribution, sign: 1 | -1): void {
  const delta = BigInt(sign);
  for (const row of contribution.rows) {
    row.cell.minor += delta * BigInt(row.minor);
    row.cell.allocations += sign;
    if (row.primary) row.cell.announcements += sign;
    for (const [target, conversion] of state.conversions) {
      const converted = convertedRow(state, contribution, row, target);
      const entry = conversion.byCell.get(row.cell) ?? { minor: 0n, unconverted: new Set<string>() };
      conversion.byCell.set(row.cell, entry);
      if (converted === undefined) {
        if (sign === 1) entry.unconverted.add(contribution.id);
        else entry.unconverted.delete(contribution.id);
      } else entry.minor += delta * converted;
    }
  }
  if (sign === 1) state.contributions.set(contribution.id, contribution);
  else state.contributions.delete(contribution.id);
}

/**
 * The fields of an announcement that the totals depend on, read back from its contribution, so the totals need not
 * keep every announcement a second time. Fields the totals never use (title, tags, source) are left empty.
 */
function fieldsOfContribution(contribution: Contribution): AnnouncementFields {
  const first = contribution.rows[0] as ContributionRow;
  const minor = contribution.rows.reduce((sum, row) => sum + row.minor, 0);
  const destination =
    contribution.split
      ? { allocations: contribution.rows.map((row) => ({ country: row.cell.country, amount: { currency: contribution.currency, minor: row.minor } })) }
      : first.cell.country === UNALLOCATED
        ? {}
        : { country: first.cell.country };
  return {
    funder: first.cell.funder,
    programme: first.cell.programme,
    title: '',
    announcedOn: contribution.announcedOn,
    amount: { currency: contribution.currency, minor },
    ...destination,
    tags: [],
  };
}

function evolveAnnouncement(state: TotalsState, event: RecordedEvent): void {
  const domainEvent = toDomainEvent<AnnouncementEvent>({ eventTypes: ANNOUNCEMENT_EVENT_TYPES }, event);
  const id = domainEvent.data.announcementId;
  const previous = state.contributions.get(id);
  switch (domainEvent.type) {
    case 'FundingAnnounced':
      if (previous === undefined) applyContribution(state, contributionOf(state, id, domainEvent.data), 1);
      return;
    case 'FundingAmended': {
      if (previous === undefined) return;
      const next = applyChanges(fieldsOfContribution(previous), domainEvent.data.changes);
      applyContribution(state, previous, -1);
      applyContribution(state, contributionOf(state, id, next), 1);
      return;
    }
    case 'FundingWithdrawn':
      if (previous !== undefined) applyContribution(state, previous, -1);
      return;
  }
}

export const totalsProjection: Projection<TotalsState> = {
  name: 'totals',
  canHandle: (event) => event.stream.startsWith(ANNOUNCEMENT_STREAM_PREFIX) || event.stream.startsWith(EXCHANGE_RATE_STREAM_PREFIX),
  initialState: initialTotalsState,
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
export function conversionFor(state: TotalsState, target: CurrencyCode) {
  let conversion = state.conversions.get(target);
  if (conversion === undefined) {
    conversion = { byCell: new Map() };
    for (const contribution of state.contributions.values()) {
      for (const row of contribution.rows) {
        const entry = conversion.byCell.get(row.cell) ?? { minor: 0n, unconverted: new Set<string>() };
        conversion.byCell.set(row.cell, entry);
        const converted = convertedRow(state, contribution, row, target);
        if (converted === undefined) entry.unconverted.add(contribution.id);
        else entry.minor += converted;
      }
    }
    state.conversions.set(target, conversion);
  }
  return conversion;
}
