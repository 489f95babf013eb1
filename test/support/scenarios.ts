// Named scenarios shared by the tests: the real programmes and announcements, made-up ones that differ from them in one way each, the money helpers, and ledgers built from them.
import fixtures from '../fixtures/announcements.json' with { type: 'json' };
import type { AnnouncementFields } from '../../src/commands/announcement/events.js';
import type { CurrencyCode } from '../../src/domain/money.js';
import {
  announce,
  clientOf,
  expectStatus,
  startInjectedLedger,
  startTestLedger,
  type LedgerUnderTest,
  type TestLedgerOptions,
} from './ledger.js';

// ---- Money, as the API writes it ----

/** An amount in pounds as the API reads and answers it, e.g. gbp('3000000.00'). */
export const gbp = (value: string) => ({ currency: 'GBP', value });

/** An amount in euros as the API reads and answers it. */
export const eur = (value: string) => ({ currency: 'EUR', value });

/** A two-decimal amount in minor units, e.g. '30000000.00' -> 3000000000n. */
/** A recorded rate as /totals cites it, from the answer to its POST /exchange-rates. */
export function citedRate(reply: { readonly json: unknown }): Record<string, unknown> {
  const { base, quote, rate, effectiveOn, source, position } = reply.json as Record<string, unknown>;
  return { base, quote, rate, effectiveOn, source, position };
}

/** Converted figures as /totals gives them for money in one currency: its amount, the conversion, nothing left out, one rate cited. */
export function convertedFigures(
  count: number,
  amount: { currency: string; value: string },
  converted: { currency: string; value: string },
  rate: Record<string, unknown>,
) {
  return { count, amounts: [amount], converted, unconverted: [] as string[], rates: [rate] };
}

export const minorOf = (value: string): bigint => BigInt(value.replace('.', ''));

// ---- Request bodies, from the real announcements in test/fixtures/announcements.json (a copy of the shared data set) ----

export type Body = Record<string, unknown>;

const [supplyChains, prosecutions] = fixtures.programmes as unknown as [Body, Body];
const [thirtyMillion, threeMillion] = fixtures.announcements as unknown as [Body, Body];

/** A field set to undefined in `overrides` is left out of the JSON. */
function build(base: Body, overrides: Body): Body {
  return { ...structuredClone(base), ...overrides };
}

/** The oic-supply-chains programme. */
export function aProgramme(overrides: Body = {}): Body {
  return build(supplyChains, overrides);
}

/** Both programmes the real announcements name. */
export function theProgrammes(): Body[] {
  return [build(supplyChains, {}), build(prosecutions, {})];
}

/** £30m for supply chains, illicit finance and trafficking routes (€36m quoted beside it); unallocated. */
export function theThirtyMillion(overrides: Body = {}): Body {
  return build(thirtyMillion, overrides);
}

/** £3m for the Crown Prosecution Service (€3.5m quoted beside it); all to GB. */
export function theThreeMillion(overrides: Body = {}): Body {
  return build(threeMillion, overrides);
}

/** An announcement: the £30m one unless overridden. */
export function anAnnouncement(overrides: Body = {}): Body {
  return theThirtyMillion(overrides);
}

export function anExchangeRate(overrides: Body = {}): Body {
  return { base: 'GBP', quote: 'EUR', rate: '1.1876', effectiveOn: '2025-03-31', source: 'test fixture', ...overrides };
}

/** The £30m as split at the summit: £20m to Serbia, £10m to Kosovo. */
export function theSummitSplit(): Body[] {
  return [
    { country: 'RS', value: '20000000.00' },
    { country: 'XK', value: '10000000.00' },
  ];
}

/** The £3m allocated £1m to Serbia and £2m to Kosovo instead of all to GB. */
export function theThreeMillionSplit(overrides: Body = {}): Body {
  return theThreeMillion({
    country: undefined,
    allocations: [
      { country: 'RS', value: '1000000.00' },
      { country: 'XK', value: '2000000.00' },
    ],
    ...overrides,
  });
}

// ---- The real announcements as their FundingAnnounced events hold them: for tests below the API ----

/** A request body's fields as an event records them: amounts in minor units, defaults filled in. */
function fieldsOfBody(body: Body): AnnouncementFields {
  const minor = (money: unknown) => {
    const { currency, value } = money as { currency: CurrencyCode; value: string };
    return { currency, minor: Number(minorOf(value)) };
  };
  const { amount, statedEquivalent, tags, ...rest } = body;
  return {
    ...(rest as Omit<AnnouncementFields, 'amount' | 'statedEquivalent' | 'tags'>),
    amount: minor(amount),
    ...(statedEquivalent !== undefined && { statedEquivalent: minor(statedEquivalent) }),
    tags: (tags as string[] | undefined) ?? [],
  };
}

/** The £30m as FundingAnnounced records it (3,000,000,000 pence, €36m quoted); unallocated. */
export function theThirtyMillionFields(overrides: Partial<AnnouncementFields> = {}): AnnouncementFields {
  return { ...fieldsOfBody(theThirtyMillion()), ...overrides };
}

/** The £3m as FundingAnnounced records it (300,000,000 pence, €3.5m quoted); all to GB. */
export function theThreeMillionFields(overrides: Partial<AnnouncementFields> = {}): AnnouncementFields {
  return { ...fieldsOfBody(theThreeMillion()), ...overrides };
}

// ---- Made-up announcements, each unlike the real ones in date, funder, currency or countries ----

/** £2m for border technology on 2025-04-17, split between Serbia (£1.5m) and Kosovo (£0.5m); no stated equivalent. */
export function theBalkansBorderTechnology(overrides: Body = {}): Body {
  return anAnnouncement({
    title: 'Western Balkans border technology',
    announcedOn: '2025-04-17',
    amount: gbp('2000000.00'),
    allocations: [
      { country: 'RS', value: '1500000.00' },
      { country: 'XK', value: '500000.00' },
    ],
    statedEquivalent: undefined,
    ...overrides,
  });
}

/** €5m from Germany to Serbia on 2025-10-22; no stated equivalent. */
export function theGermanContribution(overrides: Body = {}): Body {
  return anAnnouncement({
    funder: 'DE',
    title: 'German contribution',
    announcedOn: '2025-10-22',
    amount: eur('5000000.00'),
    country: 'RS',
    statedEquivalent: undefined,
    ...overrides,
  });
}

/** £1m for the CPS on 2024-11-05, the fiscal year before the real ones; no stated equivalent. */
export function theEarlierCpsFunding(overrides: Body = {}): Body {
  return theThreeMillion({
    title: 'Earlier CPS funding',
    announcedOn: '2024-11-05',
    amount: gbp('1000000.00'),
    statedEquivalent: undefined,
    ...overrides,
  });
}

// ---- Ledgers ----

/** Registers both programmes of the real announcements. */
export async function registerProgrammes(ledger: LedgerUnderTest): Promise<void> {
  const api = clientOf(ledger);
  for (const programme of theProgrammes()) expectStatus(await api.post('/programmes', programme), 201);
}

/** A fresh ledger, answering through app.inject(), with both real programmes registered (positions 1 and 2). */
export async function aLedgerWithProgrammes(options: TestLedgerOptions = {}): Promise<LedgerUnderTest> {
  const ledger = await startInjectedLedger(options);
  await registerProgrammes(ledger);
  return ledger;
}

/** The £30m (unallocated) and the £3m (GB), both announced on 2025-03-31: positions 3 and 4 after the two programmes. */
export async function aLedgerWithTheRealAnnouncements(options: TestLedgerOptions = {}) {
  const ledger = await aLedgerWithProgrammes(options);
  const thirty = await announce(ledger, theThirtyMillion());
  const three = await announce(ledger, theThreeMillion());
  return { ledger, thirty, three };
}

/** A ledger listening on 127.0.0.1 with both programmes registered and the £30m announced (positions 1 to 3). */
export async function aListeningLedgerWithTheThirtyMillion(options: TestLedgerOptions = {}) {
  const ledger = await startTestLedger(options);
  await registerProgrammes(ledger);
  return { ledger, created: await announce(ledger, theThirtyMillion()) };
}

/** The two real announcements plus the Balkans, German and earlier CPS ones: positions 3 to 7. */
export async function aLedgerWithFiveAnnouncements(options: TestLedgerOptions = {}) {
  const { ledger, thirty, three } = await aLedgerWithTheRealAnnouncements(options);
  const balkans = await announce(ledger, theBalkansBorderTechnology());
  const german = await announce(ledger, theGermanContribution());
  const earlier = await announce(ledger, theEarlierCpsFunding());
  return { ledger, ids: { thirty: thirty.id, three: three.id, balkans: balkans.id, german: german.id, earlier: earlier.id } };
}

// ---- Scheduled exports ----

/** The scheduled export of issue 6: totals by country and year in EUR, every morning at 6 in London, the last 30 kept. */
export function theDailyByCountrySchedule(overrides: Body = {}): Body {
  return {
    name: 'daily-by-country',
    cron: '0 6 * * *',
    timezone: 'Europe/London',
    kind: 'totals',
    options: { groupBy: ['country', 'year'], currency: 'EUR' },
    directory: 'exports',
    keep: 30,
    ...overrides,
  };
}
