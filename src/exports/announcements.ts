// The announcements export: the current state of every announcement, one row per allocation, withdrawn ones included.
import { formatAmount } from '../domain/money.js';
import type { AnnouncementView } from '../projections/models/announcements.js';
import { ANNOUNCEMENT_COLUMNS, TAG_SEPARATOR, UNALLOCATED_COUNTRY, type AnnouncementColumn } from '../schemas/csv.js';
import type { CsvExport } from './csv.js';

/** Every announcement as it stood at one position, with the programme names of that moment. */
export interface AnnouncementsAt {
  readonly position: string;
  /** How many announcements there are: known before the first is read, for progress. */
  readonly count: number;
  readonly programmeNames: ReadonlyMap<string, string>;
  /** In the order first recorded, each read when it is needed. */
  views(): AsyncIterable<AnnouncementView>;
}

/** The rows of one announcement: one per allocation, or one for the whole amount. */
export function announcementRows(view: AnnouncementView, programmeNames: ReadonlyMap<string, string>): string[][] {
  const { state } = view;
  const a = state.announcement;
  const parts =
    a.allocations !== undefined
      ? a.allocations.map((allocation) => ({ country: allocation.country, value: formatAmount(allocation.amount) }))
      : [{ country: a.country ?? UNALLOCATED_COUNTRY, value: formatAmount(a.amount) }];
  return parts.map((part) => {
    const row: Record<AnnouncementColumn, string> = {
      id: a.id,
      status: state.status,
      funder: a.funder,
      programme: a.programme,
      programmeName: programmeNames.get(a.programme) ?? '',
      title: a.title,
      announcedOn: a.announcedOn,
      currency: a.amount.currency,
      amount: formatAmount(a.amount),
      country: part.country,
      allocationValue: part.value,
      statedEquivalentCurrency: a.statedEquivalent?.currency ?? '',
      statedEquivalentValue: a.statedEquivalent === undefined ? '' : formatAmount(a.statedEquivalent),
      sourceUrl: a.source?.url ?? '',
      sourcePublisher: a.source?.publisher ?? '',
      sourcePublishedOn: a.source?.publishedOn ?? '',
      tags: a.tags.join(TAG_SEPARATOR),
      withdrawalReason: state.status === 'withdrawn' ? state.withdrawalReason : '',
      revision: view.revision.toString(),
    };
    return ANNOUNCEMENT_COLUMNS.map((column) => row[column]);
  });
}

export function announcementsExport(announcements: AnnouncementsAt): CsvExport {
  return {
    kind: 'announcements',
    position: announcements.position,
    columns: ANNOUNCEMENT_COLUMNS,
    rows: (async function* () {
      for await (const view of announcements.views()) yield* announcementRows(view, announcements.programmeNames);
    })(),
  };
}
