// Announced, committed and disbursed side by side: one row per programme, one column per stage (groupBy=programme,stage).
import { el } from './dom.js';
import { figureCell } from './countryYearTable.js';
import { STAGES, type Stage, type Totals } from './model.js';

const STAGE_NAMES: Record<Stage, string> = { announced: 'Announced', committed: 'Committed', disbursed: 'Disbursed' };

export function renderStagesTable(table: HTMLTableElement, totals: Totals, programmeName: (code: string) => string): void {
  const { currency } = totals;
  const cell = new Map(totals.rows.map((row) => [`${row.programme}|${row.stage}`, row] as const));
  const programmes = [...new Set(totals.rows.map((row) => row.programme).filter((code): code is string => code !== undefined))];
  table.dataset.position = totals.position;
  table.dataset.currency = currency ?? 'original';
  table.replaceChildren(
    el(
      'caption',
      {},
      currency === null ? 'Each stage by programme, in the original currencies' : `Each stage by programme, converted to ${currency}`,
    ),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'Programme'),
        ...STAGES.map((stage) => el('th', { scope: 'col', class: 'num' }, STAGE_NAMES[stage])),
      ),
    ),
    el(
      'tbody',
      {},
      ...programmes.map((programme) =>
        el(
          'tr',
          { 'data-programme': programme },
          el('th', { scope: 'row' }, programmeName(programme)),
          ...STAGES.map((stage) => figureCell('td', cell.get(`${programme}|${stage}`), currency, { 'data-stage': stage })),
        ),
      ),
    ),
  );
}
