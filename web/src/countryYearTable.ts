// The country by year table: one row per country, one column per year, with the row, column and grand totals.
import { el } from './dom.js';
import { countryName, formatMoney, plural } from './format.js';
import type { Currency, Figures, Totals } from './model.js';

/** One cell: exact amounts (or the converted sum, marked when announcements are left out), and the same in data-*. */
export function figureCell(
  tag: 'td' | 'th',
  figures: Figures | undefined,
  currency: Currency | null,
  attributes: Record<string, string>,
): HTMLTableCellElement {
  const cell = el(tag, { class: 'num', ...attributes });
  if (tag === 'th') cell.setAttribute('scope', 'row');
  if (figures === undefined || figures.count === 0) {
    cell.append('–');
    return cell;
  }
  cell.dataset.count = String(figures.count);
  if (currency === null) {
    cell.dataset.amounts = figures.amounts.map((m) => `${m.currency} ${m.value}`).join(' ');
    figures.amounts.forEach((money, index) => cell.append(...(index > 0 ? [el('br')] : []), formatMoney(money)));
    return cell;
  }
  cell.dataset.converted = figures.converted?.value ?? '';
  const left = figures.unconverted?.length ?? 0;
  // £0.00 would read as "nothing"; when no announcement of the cell converts, say so.
  if (figures.converted === undefined || left >= figures.count) cell.append(el('span', { class: 'not-converted' }, 'not converted'));
  else cell.append(formatMoney(figures.converted));
  if (left > 0) {
    cell.dataset.unconverted = (figures.unconverted ?? []).join(' ');
    cell.append(el('span', { class: 'unconverted-mark', title: `${plural(left, 'announcement')} not converted` }, ' *'));
  }
  return cell;
}

export function renderCountryYearTable(table: HTMLTableElement, cells: Totals, byCountry: Totals, byYear: Totals): void {
  const { currency } = cells;
  const years = byYear.rows.map((row) => row.year).filter((year): year is number => year !== undefined);
  const countries = byCountry.rows.map((row) => row.country).filter((country): country is string => country !== undefined);
  const cell = new Map(cells.rows.map((row) => [`${row.country}|${row.year}`, row] as const));
  const rowTotal = new Map(byCountry.rows.map((row) => [row.country, row] as const));
  const columnTotal = new Map(byYear.rows.map((row) => [row.year, row] as const));

  table.dataset.position = cells.position;
  table.dataset.currency = currency ?? 'original';
  table.replaceChildren(
    el(
      'caption',
      {},
      currency === null ? 'Totals by country and year, in the original currencies' : `Totals by country and year, converted to ${currency}`,
    ),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'Country'),
        ...years.map((year) => el('th', { scope: 'col', class: 'num' }, year)),
        el('th', { scope: 'col', class: 'num' }, 'All years'),
      ),
    ),
    el(
      'tbody',
      {},
      ...countries.map((country) =>
        el(
          'tr',
          { 'data-country': country },
          el('th', { scope: 'row' }, countryName(country), country === 'unallocated' ? '' : el('span', { class: 'code' }, ` ${country}`)),
          ...years.map((year) => figureCell('td', cell.get(`${country}|${year}`), currency, { 'data-year': String(year) })),
          figureCell('td', rowTotal.get(country), currency, { 'data-year': 'all' }),
        ),
      ),
    ),
    el(
      'tfoot',
      {},
      el(
        'tr',
        { 'data-country': 'all' },
        el('th', { scope: 'row' }, 'All countries'),
        ...years.map((year) => figureCell('td', columnTotal.get(year), currency, { 'data-year': String(year) })),
        figureCell('td', cells.total, currency, { 'data-year': 'all' }),
      ),
    ),
  );
}
