// The totals as the README defines them, recomputed naively from the final state of every announcement stream.
// Written without any of the projection's code, so that the property tests compare two independent derivations.
import type { AnnouncementEvent } from '../../src/commands/announcement/events.js';
import { evolveAnnouncement, initialAnnouncementState, type AnnouncementState } from '../../src/commands/announcement/state.js';
import type { ExchangeRateRecorded } from '../../src/commands/exchangeRate/events.js';
import type { CurrencyCode } from '../../src/domain/money.js';
import type { RateCited, TotalsAnswer, TotalsFigures, TotalsQuery, TotalsRow } from '../../src/projections/models/totals/query.js';
import type { RecordedEvent } from '../../src/store/port.js';

const CURRENCIES: readonly CurrencyCode[] = ['GBP', 'EUR'];

interface Part {
  readonly id: string;
  readonly programme: string;
  readonly country: string;
  readonly year: number;
  readonly fiscalYear: string;
  readonly funder: string;
  readonly currency: CurrencyCode;
  readonly announcedOn: string;
  readonly minor: bigint;
  /** Only announced money here: restatements, commitments and disbursements have their own naive model (naiveStages.ts). */
  readonly stage: 'announced';
}

function financialYear(date: string): string {
  const year = Number(date.slice(0, 4));
  const start = Number(date.slice(5, 7)) >= 4 ? year : year - 1;
  return `${start}-${String(start + 1).slice(-2)}`;
}

/** Every allocation of every active announcement, from each announcement stream folded by the aggregate's evolve. */
function activeParts(events: readonly RecordedEvent[]): Part[] {
  const states = new Map<string, AnnouncementState>();
  for (const event of events) {
    if (!event.stream.startsWith('announcement-')) continue;
    const domainEvent = { type: event.type, data: event.data } as AnnouncementEvent;
    const id = domainEvent.data.announcementId;
    states.set(id, evolveAnnouncement(states.get(id) ?? initialAnnouncementState(), domainEvent));
  }
  const parts: Part[] = [];
  for (const state of states.values()) {
    if (state.status !== 'active') continue;
    const a = state.announcement;
    const shares = a.allocations?.map((x) => ({ country: x.country, minor: x.amount.minor })) ?? [
      { country: a.country ?? 'unallocated', minor: a.amount.minor },
    ];
    for (const share of shares) {
      parts.push({
        id: a.id,
        programme: a.programme,
        country: share.country,
        year: Number(a.announcedOn.slice(0, 4)),
        fiscalYear: financialYear(a.announcedOn),
        funder: a.funder,
        currency: a.amount.currency,
        announcedOn: a.announcedOn,
        minor: BigInt(share.minor),
        stage: 'announced',
      });
    }
  }
  return parts;
}

type RecordedRate = ExchangeRateRecorded['data'] & { readonly position: string };

/** The last record, in log order, for the pair with the greatest effectiveOn on or before the date. */
function latestRecord(records: readonly RecordedRate[], base: CurrencyCode, quote: CurrencyCode, date: string): RecordedRate | undefined {
  let best: RecordedRate | undefined;
  for (const record of records) {
    if (record.base !== base || record.quote !== quote || record.effectiveOn > date) continue;
    if (best === undefined || record.effectiveOn >= best.effectiveOn) best = record;
  }
  return best;
}

/** The record that converts a part per the README rule, and whether it is used inverted; undefined when none applies. */
function chosenRecord(
  records: readonly RecordedRate[],
  part: Part,
  target: CurrencyCode,
): { record: RecordedRate; inverse: boolean } | undefined {
  const direct = latestRecord(records, part.currency, target, part.announcedOn);
  const inverse = latestRecord(records, target, part.currency, part.announcedOn);
  const chosen = direct !== undefined && (inverse === undefined || direct.effectiveOn >= inverse.effectiveOn) ? direct : inverse;
  return chosen === undefined ? undefined : { record: chosen, inverse: chosen !== direct };
}

/** Converted minor units per the README rule, or undefined when no rate applies. */
function naiveConvert(records: readonly RecordedRate[], part: Part, target: CurrencyCode): bigint | undefined {
  if (part.currency === target) return part.minor;
  const found = chosenRecord(records, part, target);
  if (found === undefined) return undefined;
  const chosen = found.record;
  const [whole = '', fraction = ''] = chosen.rate.split('.');
  const scaled = BigInt(whole + fraction);
  const unit = 10n ** BigInt(fraction.length);
  const [n, d] = found.inverse ? [part.minor * unit, scaled] : [part.minor * scaled, unit];
  // Half to even, by comparing twice the remainder with the divisor.
  const floor = n / d;
  const twice = 2n * (n - floor * d);
  return twice > d || (twice === d && floor % 2n === 1n) ? floor + 1n : floor;
}

function decimal(minor: bigint): string {
  return `${minor / 100n}.${String(minor % 100n).padStart(2, '0')}`;
}

function naiveFigures(parts: readonly Part[], records: readonly RecordedRate[], currency: CurrencyCode | undefined): TotalsFigures {
  const sums = new Map<CurrencyCode, bigint>();
  for (const part of parts) sums.set(part.currency, (sums.get(part.currency) ?? 0n) + part.minor);
  const figures: TotalsFigures = {
    // Distinct announcements: once in a row, and once per country in a row of one country (at most one share there).
    count: new Set(parts.map((part) => part.id)).size,
    amounts: [...CURRENCIES]
      .sort()
      .filter((code) => (sums.get(code) ?? 0n) !== 0n)
      .map((code) => ({ currency: code, value: decimal(sums.get(code) ?? 0n) })),
  };
  if (currency === undefined) return figures;
  let converted = 0n;
  const unconverted = new Set<string>();
  for (const part of parts) {
    const value = naiveConvert(records, part, currency);
    if (value === undefined) unconverted.add(part.id);
    else converted += value;
  }
  return {
    ...figures,
    converted: { currency, value: decimal(converted) },
    unconverted: [...unconverted].sort(),
    rates: naiveRates(parts, records, currency),
  };
}

/** Every record used to convert the parts, each once: by pair, effectiveOn, position, then direct before inverse. */
function naiveRates(parts: readonly Part[], records: readonly RecordedRate[], currency: CurrencyCode): RateCited[] {
  const used = new Map<string, RateCited>();
  for (const part of parts) {
    if (part.currency === currency) continue;
    const chosen = chosenRecord(records, part, currency);
    if (chosen === undefined) continue;
    const { base, quote, rate, effectiveOn, source, position } = chosen.record;
    used.set(`${position}/${chosen.inverse}`, {
      base,
      quote,
      rate,
      effectiveOn,
      source,
      position,
      ...(chosen.inverse && { inverse: true }),
    });
  }
  return [...used.values()].sort(
    (a, b) =>
      a.base.localeCompare(b.base) ||
      a.quote.localeCompare(b.quote) ||
      a.effectiveOn.localeCompare(b.effectiveOn) ||
      Number(BigInt(a.position) - BigInt(b.position)) ||
      Number(a.inverse === true) - Number(b.inverse === true),
  );
}

export function naiveTotals(events: readonly RecordedEvent[], query: TotalsQuery): TotalsAnswer {
  const records = events
    .filter((event) => event.type === 'ExchangeRateRecorded')
    .map((event) => ({ ...(event.data as ExchangeRateRecorded['data']), position: event.position.commit.toString() }));
  const { programme, country, funder, yearFrom, yearTo } = query.filter;
  const parts = activeParts(events).filter(
    (part) =>
      (programme === undefined || part.programme === programme) &&
      (country === undefined || part.country === country) &&
      (funder === undefined || part.funder === funder) &&
      (yearFrom === undefined || part.year >= yearFrom) &&
      (yearTo === undefined || part.year <= yearTo),
  );
  const groups = new Map<string, Part[]>();
  for (const part of parts) {
    const key = JSON.stringify(query.groupBy.map((dimension) => part[dimension]));
    groups.set(key, [...(groups.get(key) ?? []), part]);
  }
  if (query.groupBy.length === 0 && groups.size === 0) groups.set('[]', []);
  const rows: TotalsRow[] = [...groups.values()].map((group) => ({
    ...Object.fromEntries(query.groupBy.map((dimension) => [dimension, (group[0] as Part)[dimension]])),
    ...naiveFigures(group, records, query.currency),
  }));
  rows.sort((a, b) => {
    for (const dimension of query.groupBy) {
      const [x, y] = [a[dimension], b[dimension]] as [string | number, string | number];
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
  return { rows, total: naiveFigures(parts, records, query.currency) };
}
