// Read model: an index of every announcement, in the order first recorded, with the fields lists filter on.
import { toDomainEvent } from '../../commands/decider.js';
import {
  ANNOUNCEMENT_EVENT_TYPES,
  ANNOUNCEMENT_STREAM_PREFIX,
  type AnnouncementChanges,
  type AnnouncementEvent,
} from '../../commands/announcement/events.js';
import type { AnnouncementState } from '../../commands/announcement/state.js';
import { CURRENCY_CODES, type CurrencyCode, type Money } from '../../domain/money.js';
import { describeAnnouncements, storedAnnouncements, type StoredAnnouncements } from './announcementForms.js';
import { Dictionary, dayNumber, float64Column, uint32Column, uint8Column, type Column } from './columns.js';
import { IdIndex } from './idIndex.js';
import type { Projection } from '../runtime/projection.js';

/** An announcement in full, at a revision: folded from its own stream when asked for (see announcementViews.ts). */
export interface AnnouncementView {
  readonly state: Exclude<AnnouncementState, { status: 'none' }>;
  readonly revision: bigint;
}

export const ACTIVE = 1;
export const WITHDRAWN = 2;

/**
 * One slot per announcement, fields in typed-array columns and repeated strings in dictionaries: a million
 * announcements cost tens of megabytes, not gigabytes. Titles and sources are not kept: a page of announcements is
 * folded from the store, which holds them already. The amount is (9 bytes a slot): another announcement that
 * restates part of it is checked against it (restatements.ts).
 *
 * Where the money goes is a "place": `c:FR` (one country), `a:RS,XK` (allocations, in order) or `` (unallocated).
 */
export interface AnnouncementsState {
  /** Slots by id, numbered in the order announced: the stable order that list cursors point into. */
  readonly ids: IdIndex;
  readonly revisions: Column<Uint32Array>;
  readonly statuses: Column<Uint8Array>;
  readonly programmes: Column<Uint32Array>;
  readonly funders: Column<Uint32Array>;
  /** announcedOn as YYYYMMDD. */
  readonly days: Column<Uint32Array>;
  readonly places: Column<Uint32Array>;
  /** The amount in minor units (a safe integer), and its currency as its index in CURRENCY_CODES. */
  readonly amounts: Column<Float64Array>;
  readonly currencies: Column<Uint8Array>;
  readonly dictionaries: { readonly programmes: Dictionary; readonly funders: Dictionary; readonly places: Dictionary };
}

export function initialAnnouncementsState(): AnnouncementsState {
  return {
    ids: new IdIndex(),
    revisions: uint32Column(),
    statuses: uint8Column(),
    programmes: uint32Column(),
    funders: uint32Column(),
    days: uint32Column(),
    places: uint32Column(),
    amounts: float64Column(),
    currencies: uint8Column(),
    dictionaries: { programmes: new Dictionary(), funders: new Dictionary(), places: new Dictionary() },
  };
}

const currencyIndex = new Map<CurrencyCode, number>(CURRENCY_CODES.map((code, index) => [code, index]));

function currencyCodeOf(currency: CurrencyCode): number {
  return currencyIndex.get(currency) ?? 0;
}

function placeOf(where: {
  readonly country?: string | null | undefined;
  readonly allocations?: readonly { country: string }[] | null | undefined;
}): string {
  if (where.allocations) return `a:${where.allocations.map((a) => a.country).join(',')}`;
  return where.country ? `c:${where.country}` : '';
}

/** The place after an amendment: choosing a country drops allocations and the other way round; null removes. */
function amendedPlace(place: string, changes: AnnouncementChanges): string {
  let next = place;
  if (changes.country !== undefined) next = changes.country === null ? (next.startsWith('c:') ? '' : next) : `c:${changes.country}`;
  if (changes.allocations !== undefined)
    next = changes.allocations === null ? (next.startsWith('a:') ? '' : next) : placeOf({ allocations: changes.allocations });
  return next;
}

const countriesByPlace = new Map<string, readonly string[]>();

/** The countries of a place; `unallocated` when none, as the totals name it. */
export function countriesOfPlace(place: string): readonly string[] {
  let countries = countriesByPlace.get(place);
  if (countries === undefined) {
    countries = place === '' ? ['unallocated'] : place.slice(2).split(',');
    countriesByPlace.set(place, countries);
  }
  return countries;
}

function announce(
  state: AnnouncementsState,
  id: string,
  fields: {
    programme: string;
    funder: string;
    announcedOn: string;
    country?: string | undefined;
    allocations?: readonly { country: string }[] | undefined;
    amount: Money;
  },
  revision: number,
): void {
  const { dictionaries } = state;
  const programme = dictionaries.programmes.codeOf(fields.programme);
  const funder = dictionaries.funders.codeOf(fields.funder);
  const day = dayNumber(fields.announcedOn);
  const place = dictionaries.places.codeOf(placeOf(fields));
  const currency = currencyCodeOf(fields.amount.currency);
  const slot = state.ids.slotOf(id);
  if (slot === undefined) {
    state.ids.add(id);
    state.revisions.push(revision);
    state.statuses.push(ACTIVE);
    state.programmes.push(programme);
    state.funders.push(funder);
    state.days.push(day);
    state.places.push(place);
    state.amounts.push(fields.amount.minor);
    state.currencies.push(currency);
    return;
  }
  state.revisions.set(slot, revision);
  state.statuses.set(slot, ACTIVE);
  state.programmes.set(slot, programme);
  state.funders.set(slot, funder);
  state.days.set(slot, day);
  state.places.set(slot, place);
  state.amounts.set(slot, fields.amount.minor);
  state.currencies.set(slot, currency);
}

function amend(state: AnnouncementsState, slot: number, changes: AnnouncementChanges): void {
  const { dictionaries } = state;
  if (changes.programme !== undefined) state.programmes.set(slot, dictionaries.programmes.codeOf(changes.programme));
  if (changes.funder !== undefined) state.funders.set(slot, dictionaries.funders.codeOf(changes.funder));
  if (changes.announcedOn !== undefined) state.days.set(slot, dayNumber(changes.announcedOn));
  if (changes.amount !== undefined) {
    state.amounts.set(slot, changes.amount.minor);
    state.currencies.set(slot, currencyCodeOf(changes.amount.currency));
  }
  if (changes.country !== undefined || changes.allocations !== undefined) {
    const place = dictionaries.places.valueOf(state.places.get(slot));
    state.places.set(slot, dictionaries.places.codeOf(amendedPlace(place, changes)));
  }
}

/** The same rules as the announcement's own evolve (commands/announcement/state.ts), kept on the index's fields. */
export const announcementsProjection: Projection<AnnouncementsState, StoredAnnouncements> = {
  name: 'announcements',
  canHandle: (event) => event.stream.startsWith(ANNOUNCEMENT_STREAM_PREFIX),
  initialState: initialAnnouncementsState,
  snapshot: storedAnnouncements,
  describe: describeAnnouncements,
  evolve(state, event) {
    const domainEvent = toDomainEvent<AnnouncementEvent>({ eventTypes: ANNOUNCEMENT_EVENT_TYPES }, event);
    const revision = Number(event.revision);
    if (domainEvent.type === 'FundingAnnounced') {
      announce(state, domainEvent.data.announcementId, domainEvent.data, revision);
      return state;
    }
    const slot = state.ids.slotOf(domainEvent.data.announcementId);
    if (slot === undefined) return state;
    state.revisions.set(slot, revision);
    if (state.statuses.get(slot) !== ACTIVE) return state;
    if (domainEvent.type === 'FundingAmended') amend(state, slot, domainEvent.data.changes);
    else if (domainEvent.type === 'FundingWithdrawn') state.statuses.set(slot, WITHDRAWN);
    // Commitments and disbursements change none of the index's fields; their revision is recorded above.
    return state;
  },
};

/** What the index knows of one announcement: whether it is active and its amount; undefined when it does not exist. */
export function indexedAnnouncement(
  state: AnnouncementsState,
  id: string,
): { readonly status: 'active' | 'withdrawn'; readonly amount: Money } | undefined {
  const slot = state.ids.slotOf(id);
  if (slot === undefined) return undefined;
  const currency = CURRENCY_CODES[state.currencies.get(slot)] ?? CURRENCY_CODES[0];
  return {
    status: state.statuses.get(slot) === ACTIVE ? 'active' : 'withdrawn',
    amount: { currency, minor: state.amounts.get(slot) },
  };
}

export interface AnnouncementFilter {
  readonly programme?: string | undefined;
  readonly country?: string | undefined;
  readonly funder?: string | undefined;
  readonly status?: 'active' | 'withdrawn' | undefined;
  readonly announcedFrom?: string | undefined;
  readonly announcedTo?: string | undefined;
}

/** A filter over the index's codes; `undefined` when a named value was never seen, so nothing can match. */
function slotMatcher(state: AnnouncementsState, filter: AnnouncementFilter): ((slot: number) => boolean) | undefined {
  const { dictionaries } = state;
  const programme = filter.programme === undefined ? undefined : dictionaries.programmes.find(filter.programme);
  const funder = filter.funder === undefined ? undefined : dictionaries.funders.find(filter.funder);
  if ((filter.programme !== undefined && programme === undefined) || (filter.funder !== undefined && funder === undefined))
    return undefined;
  const status = filter.status === undefined ? undefined : filter.status === 'active' ? ACTIVE : WITHDRAWN;
  const from = filter.announcedFrom === undefined ? 0 : dayNumber(filter.announcedFrom);
  const to = filter.announcedTo === undefined ? Infinity : dayNumber(filter.announcedTo);
  // Decided once per place, not once per announcement: there are few distinct places.
  const inPlace: boolean[] = [];
  const country = filter.country;
  return (slot) => {
    if (programme !== undefined && state.programmes.get(slot) !== programme) return false;
    if (funder !== undefined && state.funders.get(slot) !== funder) return false;
    if (status !== undefined && state.statuses.get(slot) !== status) return false;
    const day = state.days.get(slot);
    if (day < from || day > to) return false;
    if (country === undefined) return true;
    const place = state.places.get(slot);
    let matches = inPlace[place];
    if (matches === undefined) {
      matches = countriesOfPlace(dictionaries.places.valueOf(place)).includes(country);
      inPlace[place] = matches;
    }
    return matches;
  };
}

export interface IndexedAnnouncement {
  readonly id: string;
  readonly revision: bigint;
}

/** One page of announcements matching the filter, starting at slot `from` of the announcement order. */
export function pageOfAnnouncements(
  state: AnnouncementsState,
  filter: AnnouncementFilter,
  from: number,
  limit: number,
): { items: IndexedAnnouncement[]; next: number | undefined } {
  const items: IndexedAnnouncement[] = [];
  const matches = slotMatcher(state, filter);
  if (matches === undefined) return { items, next: undefined };
  for (let slot = from; slot < state.ids.length; slot += 1) {
    if (!matches(slot)) continue;
    if (items.length === limit) return { items, next: slot };
    items.push({ id: state.ids.idOf(slot), revision: BigInt(state.revisions.get(slot)) });
  }
  return { items, next: undefined };
}
