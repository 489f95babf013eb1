// A bar chart of one grouping (programme, country or year), with its figures as a table for readers who cannot see it.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartDataset } from 'chart.js';
import { el } from './dom.js';
import { describeFigures, formatCompact, formatMoney, plural } from './format.js';
import type { Currency, Figures } from './model.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);
Chart.defaults.color = '#1f2328';
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Colours with at least 3:1 contrast on white, and told apart by more than hue (legend, table). */
export const CURRENCY_COLOURS: Record<Currency, string> = { GBP: '#1d4f91', EUR: '#a34700' };

export interface Bar {
  /** The dimension value as the API names it (programme code, country code, year). */
  readonly key: string;
  readonly label: string;
  readonly figures: Figures;
}

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  /** Heading of the first column of the figures table. */
  readonly dimensionLabel: string;
  readonly horizontal: boolean;
}

/** A long label as up to three lines of about `width` characters, so it fits beside a bar on a phone. */
function wrap(text: string, width = 22, lines = 3): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') out.push(line);
  if (out.length <= lines) return out;
  const kept = out.slice(0, lines);
  kept[lines - 1] = `${(kept[lines - 1] ?? '').slice(0, width - 1)}…`;
  return kept;
}

/** Plotting only: the exact figures are the decimal strings in the table. */
function plotted(value: string | undefined): number | null {
  return value === undefined ? null : Number(value);
}

export class BarChartCard {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly box: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly empty: HTMLElement;
  readonly csvLink: HTMLAnchorElement;
  private chart: Chart<'bar', (number | null)[], string | string[]> | undefined;
  /** What the chart shows now, for its tooltips. */
  private shown: { bars: readonly Bar[]; currencies: readonly Currency[]; currency: Currency | null } = {
    bars: [],
    currencies: [],
    currency: null,
  };

  constructor(private readonly spec: ChartSpec) {
    const headingId = `${spec.id}-heading`;
    this.canvas = el('canvas', { role: 'img', 'aria-label': `${spec.title}: loading` });
    this.box = el('div', { class: 'chart-box' }, this.canvas);
    this.empty = el('p', { class: 'empty', hidden: true }, 'No announcement matches these filters.');
    this.table = el('table', { class: 'figures' });
    this.csvLink = el('a', { class: 'csv-download', href: '#', download: '' }, 'Download CSV');
    this.element = el(
      'figure',
      { class: 'card chart-card', id: spec.id, 'aria-labelledby': headingId },
      el('figcaption', {}, el('h3', { id: headingId }, spec.title)),
      this.box,
      this.empty,
      el('details', { class: 'figures-details' }, el('summary', {}, 'Figures as a table'), this.table),
      el('p', { class: 'card-links' }, this.csvLink),
    );
  }

  render(bars: readonly Bar[], currency: Currency | null, position: string): void {
    this.element.dataset.position = position;
    this.element.dataset.currency = currency ?? 'original';
    this.renderTable(bars, currency);
    this.empty.hidden = bars.length > 0;
    this.box.hidden = bars.length === 0;
    const alternative = bars.map((bar) => `${bar.label}: ${describeFigures(bar.figures, currency !== null)}`).join('; ');
    this.canvas.setAttribute('aria-label', `${this.spec.title}. ${bars.length === 0 ? 'No announcements.' : alternative}`);

    const currencies: Currency[] =
      currency !== null ? [currency] : [...new Set(bars.flatMap((bar) => bar.figures.amounts.map((m) => m.currency)))].sort();
    const datasets: ChartDataset<'bar', (number | null)[]>[] = currencies.map((code) => ({
      label: currency === null ? code : `Converted to ${code}`,
      data: bars.map((bar) =>
        plotted(currency === null ? bar.figures.amounts.find((m) => m.currency === code)?.value : bar.figures.converted?.value),
      ),
      backgroundColor: CURRENCY_COLOURS[code],
      borderRadius: 2,
    }));
    // A bar that leaves announcements out is marked, so a converted total is never read as complete.
    const labels = bars.map((bar) => {
      const lines = wrap(bar.label);
      if (currency !== null && (bar.figures.unconverted?.length ?? 0) > 0) lines[lines.length - 1] += ' *';
      return lines;
    });
    // Horizontal bars need room per bar; the box grows with them so labels stay legible on a phone.
    this.shown = { bars, currencies, currency };
    if (this.spec.horizontal) {
      const perBar = Math.max(44, 16 * Math.max(...labels.map((label) => label.length), 1) + 12, 24 * datasets.length);
      this.box.style.height = `${Math.max(160, perBar * bars.length + 70)}px`;
    }
    if (this.chart === undefined) {
      this.chart = new Chart<'bar', (number | null)[], string | string[]>(this.canvas, {
        type: 'bar',
        data: { labels, datasets },
        options: {
          indexAxis: this.spec.horizontal ? 'y' : 'x',
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: {
            legend: { position: 'bottom' },
            tooltip: {
              callbacks: {
                title: (items) => this.shown.bars[items[0]?.dataIndex ?? 0]?.label ?? '',
                label: (item) => {
                  const bar = this.shown.bars[item.dataIndex];
                  const code = this.shown.currencies[item.datasetIndex];
                  if (bar === undefined || code === undefined) return '';
                  const money = this.shown.currency === null ? bar.figures.amounts.find((m) => m.currency === code) : bar.figures.converted;
                  return money === undefined ? '' : formatMoney(money);
                },
              },
            },
          },
          scales: {
            [this.spec.horizontal ? 'x' : 'y']: { beginAtZero: true, ticks: { callback: (value) => formatCompact(Number(value)) } },
          },
        },
      });
    } else {
      this.chart.data.labels = labels;
      this.chart.data.datasets = datasets;
      this.chart.update('none');
    }
  }

  /** The exact figures; `data-*` attributes carry the API's strings so tests (and scrapers) read them unformatted. */
  private renderTable(bars: readonly Bar[], currency: Currency | null): void {
    const currencies: Currency[] = [...new Set(bars.flatMap((bar) => bar.figures.amounts.map((m) => m.currency)))].sort();
    const head =
      currency === null
        ? currencies.map((code) => el('th', { scope: 'col' }, code))
        : [el('th', { scope: 'col' }, `Converted to ${currency}`), el('th', { scope: 'col' }, 'Not converted')];
    const rows = bars.map((bar) => {
      const { figures } = bar;
      const cells =
        currency === null
          ? currencies.map((code) => {
              const money = figures.amounts.find((m) => m.currency === code);
              return el(
                'td',
                { class: 'num', 'data-currency': code, 'data-value': money?.value },
                money === undefined ? '–' : formatMoney(money),
              );
            })
          : [
              el(
                'td',
                { class: 'num', 'data-converted': currency, 'data-value': figures.converted?.value },
                figures.converted === undefined ? '–' : formatMoney(figures.converted),
              ),
              el(
                'td',
                { 'data-unconverted': (figures.unconverted ?? []).join(' ') },
                (figures.unconverted?.length ?? 0) === 0 ? 'none' : plural(figures.unconverted?.length ?? 0, 'announcement'),
              ),
            ];
      return el(
        'tr',
        { 'data-key': bar.key },
        el('th', { scope: 'row' }, bar.label),
        el('td', { class: 'num', 'data-count': figures.count }, figures.count),
        ...cells,
      );
    });
    this.table.replaceChildren(
      el('caption', { class: 'visually-hidden' }, this.spec.title),
      el(
        'thead',
        {},
        el('tr', {}, el('th', { scope: 'col' }, this.spec.dimensionLabel), el('th', { scope: 'col' }, 'Announcements'), ...head),
      ),
      el('tbody', {}, ...rows),
    );
  }
}
