// A realistic synthetic ledger for benchmarks and demos: deterministic from a seed, decided by the real deciders.
import { v5 as uuidV5 } from 'uuid';
import { announcementDecider, type RequestedChanges } from '../commands/announcement/decide.js';
import { announcementStream, type AnnouncementFields } from '../commands/announcement/events.js';
import type { DomainEvent } from '../commands/decider.js';
import { exchangeRateDecider } from '../commands/exchangeRate/decide.js';
import { exchangeRateStream } from '../commands/exchangeRate/events.js';
import { programmeDecider } from '../commands/programme/decide.js';
import { programmeStream } from '../commands/programme/events.js';

/** One stream's worth of events to append at once, and when they were recorded. */
export interface SyntheticAppend {
  readonly stream: string;
  readonly events: readonly DomainEvent[];
  readonly recordedAt: string;
}

export interface SyntheticOptions {
  readonly announcements: number;
  readonly seed: number;
  readonly firstYear?: number;
  readonly lastYear?: number;
}

const NAMESPACE = '6c1f2a9e-0d4b-5e3a-9f87-3b2c1d0e4f5a';

/** mulberry32: small, fast and deterministic; quality is ample for test data. */
function randomFrom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FUNDERS = ['GB', 'GB', 'GB', 'GB', 'DE', 'FR', 'NL', 'SE', 'IE', 'DK'] as const;
const COUNTRIES = [
  'GB',
  'RS',
  'XK',
  'MK',
  'BA',
  'AL',
  'ME',
  'UA',
  'MD',
  'GE',
  'TR',
  'GR',
  'IT',
  'FR',
  'BE',
  'NL',
  'DE',
  'PL',
  'RO',
  'BG',
  'HU',
  'NG',
  'KE',
  'ET',
  'SD',
  'LY',
  'TN',
  'MA',
  'EG',
  'JO',
  'LB',
  'IQ',
  'AF',
  'PK',
  'BD',
  'IN',
  'VN',
  'ER',
  'SO',
  'SY',
];
const PROGRAMMES = [
  'oic-supply-chains',
  'cps-smuggling-prosecutions',
  'border-security',
  'illicit-finance',
  'victim-support',
  'upstream-prevention',
  'returns-reintegration',
  'policing-capacity',
  'intelligence-sharing',
  'maritime-patrols',
  'digital-evidence',
  'document-fraud',
  'labour-exploitation',
  'child-protection',
  'asylum-processing',
  'resettlement',
  'climate-displacement',
  'humanitarian-corridors',
  'anti-corruption',
  'justice-reform',
  'community-resilience',
  'cyber-enabled-crime',
  'training-academies',
  'research-evidence',
];
const TAGS = ['organised-immigration-crime', 'western-balkans', 'summit-london-2025', 'g7', 'bilateral', 'multilateral', 'emergency'];

export function* syntheticHistory(options: SyntheticOptions): Generator<SyntheticAppend> {
  const random = randomFrom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const firstYear = options.firstYear ?? 2015;
  const lastYear = options.lastYear ?? 2026;
  const startMs = Date.UTC(firstYear, 0, 1);
  const spanDays = Math.round((Date.UTC(lastYear, 11, 31) - startMs) / 86_400_000);
  let clock = Date.UTC(2026, 0, 1);
  const recordedAt = () => new Date((clock += 1000)).toISOString();

  for (const code of PROGRAMMES) {
    const events = programmeDecider.decide(
      { status: 'unregistered' },
      {
        type: 'RegisterProgramme',
        data: { code, name: code.replace(/-/g, ' '), description: `Synthetic programme ${code}` },
        metadata: { now: new Date(clock).toISOString() },
      },
    );
    yield { stream: programmeStream(code), events, recordedAt: recordedAt() };
  }

  // Monthly GBP->EUR reference rates: a gentle random walk around 1.15.
  let rate = 1.15;
  let rates = exchangeRateDecider.initialState();
  const rateEvents: DomainEvent[] = [];
  for (let year = firstYear; year <= lastYear; year += 1) {
    for (let month = 1; month <= 12; month += 1) {
      rate = Math.min(1.35, Math.max(1.05, rate + (random() - 0.5) * 0.02));
      const decided = exchangeRateDecider.decide(rates, {
        type: 'RecordExchangeRate',
        data: {
          base: 'GBP',
          quote: 'EUR',
          rate: rate.toFixed(4),
          effectiveOn: `${year}-${String(month).padStart(2, '0')}-01`,
          source: 'synthetic reference rate',
        },
      });
      rates = decided.reduce(exchangeRateDecider.evolve, rates);
      rateEvents.push(...decided);
    }
  }
  yield { stream: exchangeRateStream('GBP', 'EUR'), events: rateEvents, recordedAt: recordedAt() };

  for (let index = 0; index < options.announcements; index += 1) {
    const id = uuidV5(`${options.seed}:${index}`, NAMESPACE);
    const funder = pick(FUNDERS);
    const currency = funder === 'GB' ? (random() < 0.9 ? 'GBP' : 'EUR') : random() < 0.85 ? 'EUR' : 'GBP';
    const announcedOn = new Date(startMs + Math.floor(random() * (spanDays + 1)) * 86_400_000).toISOString().slice(0, 10);
    // Log-uniform between 10 thousand and 100 million, in whole units mostly, pence sometimes.
    const major = Math.round(10 ** (4 + random() * 4));
    const minor = major * 100 + (random() < 0.2 ? Math.floor(random() * 100) : 0);
    const shape = random();
    let destination: Pick<AnnouncementFields, 'country' | 'allocations'> = {};
    if (shape < 0.4) destination = { country: pick(COUNTRIES) };
    else if (shape < 0.8) {
      const countries = [...new Set(Array.from({ length: 2 + Math.floor(random() * 3) }, () => pick(COUNTRIES)))];
      const shares = countries.map(() => 1 + random());
      const whole = shares.reduce((a, b) => a + b, 0);
      let left = minor;
      const allocations = countries.map((country, i) => {
        const part = i === countries.length - 1 ? left : Math.max(1, Math.floor((minor * (shares[i] as number)) / whole));
        left -= part;
        return { country, amount: { currency, minor: part } as const };
      });
      destination = allocations.every((a) => a.amount.minor > 0) && left === 0 ? { allocations } : { country: pick(COUNTRIES) };
    }
    const fields: AnnouncementFields = {
      funder,
      programme: pick(PROGRAMMES),
      title: `Synthetic announcement ${index + 1}: ${currency} ${major.toLocaleString('en-GB')} for ${pick(PROGRAMMES).replace(/-/g, ' ')}`,
      announcedOn,
      amount: { currency, minor },
      ...destination,
      ...(random() < 0.3 && {
        statedEquivalent: {
          currency: currency === 'GBP' ? 'EUR' : 'GBP',
          minor: Math.round(minor * (currency === 'GBP' ? 1.17 : 0.85)),
        } as const,
      }),
      tags: random() < 0.5 ? [pick(TAGS)] : [],
    };
    let state = announcementDecider.initialState();
    const events: DomainEvent[] = [];
    const decideAndApply = (command: Parameters<typeof announcementDecider.decide>[1]) => {
      const decided = announcementDecider.decide(state, command);
      state = decided.reduce(announcementDecider.evolve, state);
      events.push(...decided);
    };
    decideAndApply({ type: 'AnnounceFunding', data: { announcementId: id, fields }, context: { programmeRegistered: true } });
    if (random() < 0.2) {
      const changes: RequestedChanges =
        destination.allocations === undefined && random() < 0.5
          ? { amount: { currency, minor: minor + 100 * Math.ceil(random() * 1000) } }
          : { title: `${fields.title} (corrected)` };
      decideAndApply({
        type: 'AmendFunding',
        data: { announcementId: id, changes, reason: 'corrected against the published release' },
        context: { programmeRegistered: true },
      });
    }
    if (random() < 0.05) decideAndApply({ type: 'WithdrawFunding', data: { announcementId: id, reason: 'withdrawn by the funder' } });
    yield { stream: announcementStream(id), events, recordedAt: recordedAt() };
  }
}
