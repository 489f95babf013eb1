// Loads every grouping the page shows at one position, so the charts, the table and the CSV links agree.
import { ApiError, getJson } from './api.js';
import { retryingRefusals, Slots } from './heavyShare.js';
import type { Totals } from './model.js';
import { latestOf } from './position.js';
import { totalsParams, type ViewState } from './query.js';

export const GROUPINGS = {
  programme: 'programme',
  country: 'country',
  year: 'year',
  countryYear: 'country,year',
  programmeStage: 'programme,stage',
} as const;
export type Grouping = keyof typeof GROUPINGS;

export interface TotalsView {
  readonly position: string;
  /** The past moment asked for (as the address has it); undefined for the live totals. */
  readonly asOf?: string;
  readonly totals: Readonly<Record<Grouping, Totals>>;
}

const NAMES = Object.keys(GROUPINGS) as Grouping[];

/** Every /totals request of the page, live or past, shares these: within a client's share of heavy work, and none refused for it. */
const slots = new Slots(4);

function askTotals(params: URLSearchParams, signal?: AbortSignal): Promise<Totals> {
  const passing = (error: unknown) => error instanceof ApiError && (error.status === 429 || error.status === 503);
  return slots.use(() => retryingRefusals(() => getJson<Totals>('/totals', params, signal), passing, signal));
}

function viewOf(answers: readonly Totals[], position: string, asOf?: string): TotalsView {
  const totals = Object.fromEntries(NAMES.map((name, index) => [name, answers[index] as Totals])) as Record<Grouping, Totals>;
  return { position, ...(asOf !== undefined && { asOf }), totals };
}

/**
 * Asks for every grouping at once; a write landing between the requests gives answers at different positions, so
 * those behind are asked again with `minPosition` (the API waits for it) until all agree.
 */
export async function loadTotals(state: ViewState, minPosition?: string, signal?: AbortSignal): Promise<TotalsView> {
  let answers = await Promise.all(NAMES.map((name) => askTotals(totalsParams(state, GROUPINGS[name], { minPosition }), signal)));
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const latest = latestOf(answers.map((answer) => answer.position));
    if (answers.every((answer) => answer.position === latest)) break;
    const behind = answers;
    answers = await Promise.all(
      NAMES.map(async (name, index) => {
        const answer = behind[index];
        return answer !== undefined && answer.position === latest
          ? answer
          : askTotals(totalsParams(state, GROUPINGS[name], { minPosition: latest }), signal);
      }),
    );
  }
  return viewOf(answers, latestOf(answers.map((answer) => answer.position)));
}

/**
 * Every grouping as the ledger stood at a past moment. One grouping first: its answer names the position (an instant
 * resolves to one) and leaves that past state cached by the service, so the others, asked at exactly that position,
 * agree with it and stay within a client's share of heavy work.
 */
export async function loadTotalsAsOf(state: ViewState, asOf: string, signal?: AbortSignal): Promise<TotalsView> {
  const [first, ...rest] = NAMES as [Grouping, ...Grouping[]];
  const settled = await askTotals(totalsParams(state, GROUPINGS[first], { asOf }), signal);
  const others = await Promise.all(rest.map((name) => askTotals(totalsParams(state, GROUPINGS[name], { asOf: settled.position }), signal)));
  return viewOf([settled, ...others], settled.position, asOf);
}

/** The values a filter can take, from the whole ledger now rather than the filtered view; `head` is the position they reflect. */
export async function loadFilterChoices(): Promise<{ funders: string[]; countries: string[]; head: string }> {
  const [funders, countries] = await Promise.all([
    askTotals(new URLSearchParams({ groupBy: 'funder' })),
    askTotals(new URLSearchParams({ groupBy: 'country' })),
  ]);
  return {
    head: latestOf([funders.position, countries.position]),
    funders: funders.rows.map((row) => row.funder).filter((code): code is string => code !== undefined),
    countries: countries.rows.map((row) => row.country).filter((code): code is string => code !== undefined),
  };
}
