// Random ledger histories for property tests: actions turned into events by the real deciders, and random totals queries.
import fc from 'fast-check';
import { decideAnnouncement, type RequestedChanges } from '../../src/commands/announcement/decide.js';
import type { Allocation, AnnouncementFields } from '../../src/commands/announcement/events.js';
import { evolveAnnouncement, initialAnnouncementState, type AnnouncementState } from '../../src/commands/announcement/state.js';
import { decideExchangeRate } from '../../src/commands/exchangeRate/decide.js';
import { evolveExchangeRate, initialExchangeRateState, type ExchangeRateState } from '../../src/commands/exchangeRate/state.js';
import { decideProgramme } from '../../src/commands/programme/decide.js';
import { evolveProgramme, initialProgrammeState, type ProgrammeState } from '../../src/commands/programme/state.js';
import { LedgerError } from '../../src/domain/errors.js';
import { formatAmount, type CurrencyCode } from '../../src/domain/money.js';
import type { TotalsQuery } from '../../src/projections/models/totals/query.js';
import { DIMENSIONS } from '../../src/projections/models/totals/state.js';
import { EventLog, type LedgerEvent } from './events.js';

const PROGRAMMES = ['oic-supply-chains', 'cps-smuggling-prosecutions', 'border-security'] as const;
const FUNDERS = ['GB', 'EU'] as const;
const COUNTRIES = ['GB', 'FR', 'DE', 'RS', 'XK'] as const;
const IDS = [0, 1, 2, 3, 4].map((n) => `00000000-0000-4000-8000-00000000000${n}`);
const CURRENCIES: readonly [CurrencyCode, CurrencyCode] = ['GBP', 'EUR'];

/** Mostly the first value, so that announcements often share a cell (and amendments move them between shared cells). */
function mostly<T>(values: readonly [T, ...T[]]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(values[0]) }, { weight: 1, arbitrary: fc.constantFrom(...values) });
}

type Where = { kind: 'unallocated' } | { kind: 'country'; country: string } | { kind: 'split'; countries: string[] };
interface MoneyPlan {
  readonly currency: CurrencyCode;
  readonly where: Where;
  /** One figure per allocation (one in all for unallocated or a single country); the amount is their sum. */
  readonly minors: number[];
}

export type Action =
  | { kind: 'register'; programme: string }
  | { kind: 'announce'; id: string; funder: string; programme: string; announcedOn: string; money: MoneyPlan }
  | { kind: 'amend'; id: string; funder?: string; programme?: string; announcedOn?: string; money?: MoneyPlan }
  | { kind: 'withdraw'; id: string }
  | { kind: 'rate'; base: CurrencyCode; quote: CurrencyCode; rate: string; effectiveOn: string; source: string }
  | { kind: 'check'; query: TotalsQuery };

const FIRST_DAY = Date.UTC(2015, 0, 1);
const LAST_DAY = Date.UTC(2026, 11, 31);
const DAY = 86_400_000;
/** Dates on year and financial-year boundaries, drawn often so that rates and announcements share dates. */
const keyDates = fc.constantFrom('2015-01-01', '2024-12-31', '2025-01-01', '2025-03-31', '2025-04-01', '2026-12-31');
/** Any date 2015-2026. */
const anyDates = fc
  .integer({ min: 0, max: (LAST_DAY - FIRST_DAY) / DAY })
  .map((days) => new Date(FIRST_DAY + days * DAY).toISOString().slice(0, 10));
const dates = fc.oneof(
  { weight: 4, arbitrary: fc.constant('2025-03-31') },
  { weight: 2, arbitrary: keyDates },
  { weight: 1, arbitrary: anyDates },
);
/** Rate dates around the usual announcement date: on it, before it, and after it (where the rate must not apply). */
const rateDates = fc.oneof(
  { weight: 1, arbitrary: anyDates },
  { weight: 3, arbitrary: fc.constantFrom('2024-12-31', '2025-01-01', '2025-03-31', '2025-04-01') },
);

/** Minor units: small ones make rounding ties likely; large ones reach the largest accepted amounts. */
const minors = fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 20_000_000_000_000 }));

const moneyPlans: fc.Arbitrary<MoneyPlan> = fc.oneof(
  fc.record({ currency: mostly(CURRENCIES), where: fc.constant<Where>({ kind: 'unallocated' }), minors: fc.tuple(minors) }),
  fc.record({
    currency: mostly(CURRENCIES),
    where: mostly(COUNTRIES).map((country): Where => ({ kind: 'country', country })),
    minors: fc.tuple(minors),
  }),
  fc.uniqueArray(fc.constantFrom(...COUNTRIES), { minLength: 1, maxLength: 4 }).chain((countries) =>
    fc.record({
      currency: mostly(CURRENCIES),
      where: fc.constant<Where>({ kind: 'split', countries }),
      minors: fc.array(minors, { minLength: countries.length, maxLength: countries.length }),
    }),
  ),
);

/** Rates: some that put conversions exactly on half a minor unit (0.5, 2, 1.5), and arbitrary decimals. */
const rates = fc.oneof(
  fc.constantFrom('1.1876', '0.8420', '2', '0.5', '1.5', '1.25', '0.000001', '1000'),
  fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.stringMatching(/^[0-9]{1,8}$/))
    .map(([whole, fraction]) => `${whole}.${fraction}`)
    .filter((rate) => /[1-9]/.test(rate)),
);

export const queries: fc.Arbitrary<TotalsQuery> = fc.record({
  groupBy: fc.shuffledSubarray([...DIMENSIONS]),
  currency: fc.constantFrom<CurrencyCode | undefined>(undefined, 'GBP', 'EUR'),
  filter: fc.record(
    {
      programme: fc.constantFrom(...PROGRAMMES),
      country: fc.constantFrom(...COUNTRIES, 'unallocated'),
      funder: fc.constantFrom(...FUNDERS),
      yearFrom: fc.integer({ min: 2014, max: 2027 }),
      yearTo: fc.integer({ min: 2014, max: 2027 }),
    },
    { requiredKeys: [] },
  ),
});

const actions: fc.Arbitrary<Action> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('register' as const), programme: fc.constantFrom(...PROGRAMMES) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('announce' as const),
      id: fc.constantFrom(...IDS),
      funder: mostly(FUNDERS),
      programme: mostly(PROGRAMMES),
      announcedOn: dates,
      money: moneyPlans,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record(
      {
        kind: fc.constant('amend' as const),
        id: fc.constantFrom(...IDS),
        funder: mostly(FUNDERS),
        programme: mostly(PROGRAMMES),
        announcedOn: dates,
        money: moneyPlans,
      },
      { requiredKeys: ['kind', 'id'] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), id: fc.constantFrom(...IDS) }) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        kind: fc.constant('rate' as const),
        base: fc.constantFrom<CurrencyCode>('GBP', 'EUR'),
        rate: rates,
        effectiveOn: rateDates,
        source: fc.constantFrom('ECB', 'BoE'),
      })
      .map((rate) => ({ ...rate, quote: rate.base === 'GBP' ? ('EUR' as const) : ('GBP' as const) })),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('check' as const), query: queries }) },
);

function amountOf(plan: MoneyPlan) {
  return { currency: plan.currency, minor: plan.minors.reduce((sum, minor) => sum + minor, 0) };
}

function allocationsOf(plan: MoneyPlan & { where: { kind: 'split' } }): Allocation[] {
  return plan.where.countries.map((country, index) => ({ country, amount: { currency: plan.currency, minor: plan.minors[index] ?? 0 } }));
}

function fieldsOf(action: Action & { kind: 'announce' }): AnnouncementFields {
  const { funder, programme, announcedOn, money } = action;
  const base = { funder, programme, announcedOn, title: `announcement ${action.id}`, amount: amountOf(money), tags: [] };
  switch (money.where.kind) {
    case 'unallocated':
      return base;
    case 'country':
      return { ...base, country: money.where.country };
    case 'split':
      return { ...base, allocations: allocationsOf({ ...money, where: money.where }) };
  }
}

/** An amendment as a request states it: allocation values as decimal strings, which the decider parses. */
function changesOf(action: Action & { kind: 'amend' }): RequestedChanges {
  const { funder, programme, announcedOn, money } = action;
  const changes: { -readonly [K in keyof RequestedChanges]: RequestedChanges[K] } = {};
  if (funder !== undefined) changes.funder = funder;
  if (programme !== undefined) changes.programme = programme;
  if (announcedOn !== undefined) changes.announcedOn = announcedOn;
  if (money !== undefined) {
    changes.amount = amountOf(money);
    if (money.where.kind === 'unallocated') Object.assign(changes, { country: null, allocations: null });
    if (money.where.kind === 'country') changes.country = money.where.country;
    if (money.where.kind === 'split')
      changes.allocations = allocationsOf({ ...money, where: money.where }).map(({ country, amount }) => ({
        country,
        value: formatAmount(amount),
      }));
  }
  return changes;
}

/** Everything a command handler would load: each stream's state, folded by the aggregate's own evolve. */
export class World {
  readonly log = new EventLog();
  private readonly programmes = new Map<string, ProgrammeState>();
  private readonly announcements = new Map<string, AnnouncementState>();
  private readonly rates = new Map<string, ExchangeRateState>();

  /** The events the deciders produced for the action; none when they refused it. */
  run(action: Exclude<Action, { kind: 'check' }>): LedgerEvent[] {
    try {
      const events = this.decide(action);
      for (const event of events) this.evolve(event);
      return events;
    } catch (error) {
      if (error instanceof LedgerError) return [];
      throw error;
    }
  }

  private registered(programme: string): boolean {
    return this.programmes.get(programme)?.status === 'registered';
  }

  private decide(action: Exclude<Action, { kind: 'check' }>): LedgerEvent[] {
    switch (action.kind) {
      case 'register':
        return decideProgramme(this.programmes.get(action.programme) ?? initialProgrammeState(), {
          type: 'RegisterProgramme',
          data: { code: action.programme, name: action.programme, description: '' },
          metadata: { now: '2025-01-01T00:00:00.000Z' },
        });
      case 'announce':
        return decideAnnouncement(this.announcements.get(action.id) ?? initialAnnouncementState(), {
          type: 'AnnounceFunding',
          data: { announcementId: action.id, fields: fieldsOf(action) },
          context: { programmeRegistered: this.registered(action.programme) },
        });
      case 'amend':
        return decideAnnouncement(this.announcements.get(action.id) ?? initialAnnouncementState(), {
          type: 'AmendFunding',
          data: { announcementId: action.id, changes: changesOf(action), reason: 'corrected' },
          context: { programmeRegistered: action.programme !== undefined && this.registered(action.programme) },
        });
      case 'withdraw':
        return decideAnnouncement(this.announcements.get(action.id) ?? initialAnnouncementState(), {
          type: 'WithdrawFunding',
          data: { announcementId: action.id, reason: 'withdrawn' },
        });
      case 'rate': {
        const { base, quote, rate, effectiveOn, source } = action;
        return decideExchangeRate(this.rates.get(`${base}-${quote}`) ?? initialExchangeRateState(), {
          type: 'RecordExchangeRate',
          data: { base, quote, rate, effectiveOn, source },
        });
      }
    }
  }

  private evolve(event: LedgerEvent): void {
    this.log.record(event);
    switch (event.type) {
      case 'ProgrammeRegistered':
      case 'ProgrammeRenamed':
        this.programmes.set(event.data.code, evolveProgramme(this.programmes.get(event.data.code) ?? initialProgrammeState(), event));
        return;
      case 'ExchangeRateRecorded': {
        const pair = `${event.data.base}-${event.data.quote}`;
        this.rates.set(pair, evolveExchangeRate(this.rates.get(pair) ?? initialExchangeRateState(), event));
        return;
      }
      default: {
        const id = event.data.announcementId;
        this.announcements.set(id, evolveAnnouncement(this.announcements.get(id) ?? initialAnnouncementState(), event));
      }
    }
  }
}

/** Histories that usually register most programmes first, so that most announcements are accepted. */
export const histories = (maxLength: number): fc.Arbitrary<Action[]> =>
  fc
    .tuple(fc.subarray([...PROGRAMMES], { minLength: 2 }), fc.array(actions, { minLength: 1, maxLength, size: 'max' }))
    .map(([programmes, rest]) => [...programmes.map((programme): Action => ({ kind: 'register', programme })), ...rest]);
