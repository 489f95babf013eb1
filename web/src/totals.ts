// Loads every grouping the page shows at one position, so the charts, the table and the CSV links agree.
import { getJson } from './api.js';
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
  readonly totals: Readonly<Record<Grouping, Totals>>;
}

/**
 * Asks for every grouping at once; a write landing between the requests gives answers at different positions, so
 * those behind are asked again with `minPosition` (the API waits for it) until all agree.
 */
export async function loadTotals(state: ViewState, minPosition?: string): Promise<TotalsView> {
  const names = Object.keys(GROUPINGS) as Grouping[];
  let answers = await Promise.all(names.map((name) => getJson<Totals>('/totals', totalsParams(state, GROUPINGS[name], { minPosition }))));
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const latest = latestOf(answers.map((answer) => answer.position));
    if (answers.every((answer) => answer.position === latest)) break;
    const behind = answers;
    answers = await Promise.all(
      names.map(async (name, index) => {
        const answer = behind[index];
        return answer !== undefined && answer.position === latest
          ? answer
          : getJson<Totals>('/totals', totalsParams(state, GROUPINGS[name], { minPosition: latest }));
      }),
    );
  }
  const totals = Object.fromEntries(names.map((name, index) => [name, answers[index] as Totals])) as Record<Grouping, Totals>;
  return { position: latestOf(answers.map((answer) => answer.position)), totals };
}

/** The values a filter can take, from the whole ledger rather than the filtered view. */
export async function loadFilterChoices(): Promise<{ funders: string[]; countries: string[] }> {
  const [funders, countries] = await Promise.all([
    getJson<Totals>('/totals', new URLSearchParams({ groupBy: 'funder' })),
    getJson<Totals>('/totals', new URLSearchParams({ groupBy: 'country' })),
  ]);
  return {
    funders: funders.rows.map((row) => row.funder).filter((code): code is string => code !== undefined),
    countries: countries.rows.map((row) => row.country).filter((code): code is string => code !== undefined),
  };
}
