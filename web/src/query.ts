// What the reader chose (filters, currency, basis and the moment), kept in the page's address so a view can be shared; never the key.
import { BASES, CURRENCIES, type Basis, type Currency } from './model.js';
import { momentOf } from './moment.js';

export type CurrencyChoice = 'original' | Currency;

export interface ViewState {
  readonly funder?: string | undefined;
  readonly programme?: string | undefined;
  readonly country?: string | undefined;
  readonly yearFrom?: number | undefined;
  readonly yearTo?: number | undefined;
  readonly currency: CurrencyChoice;
  /** `new`: money an earlier announcement already announced is counted there only (the API's basis=new). */
  readonly basis: Basis;
  /** The past moment shown (a position, or an instant from a link), as /totals?asOf= takes it; undefined: live. */
  readonly asOf?: string | undefined;
}

const COUNTRY = /^([A-Z]{2}|unallocated)$/;
const PROGRAMME = /^[a-z0-9][a-z0-9-]{0,63}$/;

function year(text: string | null): number | undefined {
  if (text === null || !/^[0-9]{4}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= 1900 && value <= 2200 ? value : undefined;
}

function matching(text: string | null, pattern: RegExp): string | undefined {
  return text !== null && pattern.test(text) ? text : undefined;
}

/** Reads a view from a query string; anything malformed is dropped rather than sent on to the API. */
export function viewStateOf(search: string): ViewState {
  const params = new URLSearchParams(search);
  const currency = params.get('currency');
  return {
    funder: matching(params.get('funder'), /^[A-Z]{2}$/),
    programme: matching(params.get('programme'), PROGRAMME),
    country: matching(params.get('country'), COUNTRY),
    yearFrom: year(params.get('yearFrom')),
    yearTo: year(params.get('yearTo')),
    currency: (CURRENCIES as readonly string[]).includes(currency ?? '') ? (currency as Currency) : 'original',
    basis: (BASES as readonly string[]).includes(params.get('basis') ?? '') ? (params.get('basis') as Basis) : 'announced',
    asOf: momentOf(params.get('asOf')),
  };
}

/** The filters as /totals takes them. */
function filterParams(state: ViewState): [string, string][] {
  const entries: [string, string | number | undefined][] = [
    ['funder', state.funder],
    ['programme', state.programme],
    ['country', state.country],
    ['yearFrom', state.yearFrom],
    ['yearTo', state.yearTo],
  ];
  return entries
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => [name, String(value)]);
}

/** The query string of the page itself. */
export function searchOf(state: ViewState): string {
  const params = new URLSearchParams(filterParams(state));
  if (state.currency !== 'original') params.set('currency', state.currency);
  if (state.basis !== 'announced') params.set('basis', state.basis);
  if (state.asOf !== undefined) params.set('asOf', state.asOf);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** /totals (and /exports/totals.csv) parameters for one grouping of this view. */
export function totalsParams(state: ViewState, groupBy: string, extra: Record<string, string | undefined> = {}): URLSearchParams {
  const params = new URLSearchParams({ groupBy });
  if (state.currency !== 'original') params.set('currency', state.currency);
  if (state.basis !== 'announced') params.set('basis', state.basis);
  for (const [name, value] of filterParams(state)) params.set(name, value);
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) params.set(name, value);
  return params;
}

/** /announcements parameters: the same filters, years as a range of dates. */
export function announcementParams(state: ViewState, cursor?: string): URLSearchParams {
  const params = new URLSearchParams({ limit: '25' });
  if (state.funder !== undefined) params.set('funder', state.funder);
  if (state.programme !== undefined) params.set('programme', state.programme);
  if (state.country !== undefined) params.set('country', state.country);
  if (state.yearFrom !== undefined) params.set('announcedFrom', `${state.yearFrom}-01-01`);
  if (state.yearTo !== undefined) params.set('announcedTo', `${state.yearTo}-12-31`);
  if (cursor !== undefined) params.set('cursor', cursor);
  return params;
}
