// The announcements export: one row per allocation, every field in its column, withdrawn ones with status and reason.
import { describe, expect, it } from 'vitest';
import { announcementsProjection } from '../../src/projections/models/announcements.js';
import { announcementsAt as viewsAt } from '../../src/projections/models/announcementViews.js';
import type { EventStore } from '../../src/store/port.js';
import { ANNOUNCEMENT_COLUMNS } from '../../src/schemas/csv.js';
import { announcementsExport, type AnnouncementsAt } from '../../src/exports/announcements.js';
import { EventLog, replay } from '../projections/events.js';
import { recordsOf, rowsOf, textOf } from './support.js';

const IDS = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003'];
const base = { funder: 'GB', programme: 'oic-supply-chains', announcedOn: '2025-03-31', tags: ['summit-london-2025'] };

/** The announcements of a log, read as the service reads them: the index for the order, each stream for the rest. */
function announcementsAt(log: EventLog, names: Record<string, string> = { 'oic-supply-chains': 'Supply chains' }): AnnouncementsAt {
  const state = replay(announcementsProjection, log.events);
  const streams: Pick<EventStore, 'readStream'> = {
    async *readStream(stream) {
      yield* log.events.filter((event) => event.stream === stream);
    },
  };
  return {
    position: String(log.events.length),
    count: state.ids.length,
    programmeNames: new Map(Object.entries(names)),
    views: () => viewsAt(streams as EventStore, state.ids.ids(), log.events.at(-1)?.position),
  };
}

describe('the announcements export', () => {
  it('has the fixed columns, in order', async () => {
    const [header] = recordsOf(await textOf(announcementsExport(announcementsAt(new EventLog()))));

    expect(header).toEqual([...ANNOUNCEMENT_COLUMNS]);
  });

  it('writes one row per allocation, the whole amount on each, each allocation in its own row', async () => {
    const log = new EventLog();
    log.announced(IDS[0]!, {
      ...base,
      title: 'Western Balkans',
      amount: { currency: 'GBP', minor: 200_000_000 },
      allocations: [
        { country: 'RS', amount: { currency: 'GBP', minor: 150_000_000 } },
        { country: 'XK', amount: { currency: 'GBP', minor: 50_000_000 } },
      ],
    });
    log.announced(IDS[1]!, { ...base, title: 'CPS', amount: { currency: 'GBP', minor: 300_000_000 }, country: 'GB' });
    log.announced(IDS[2]!, { ...base, title: 'Supply chains', amount: { currency: 'EUR', minor: 100 } });

    const rows = rowsOf(await textOf(announcementsExport(announcementsAt(log))));

    expect(rows.map((row) => [row.id, row.country, row.currency, row.amount, row.allocationValue])).toEqual([
      [IDS[0], 'RS', 'GBP', '2000000.00', '1500000.00'],
      [IDS[0], 'XK', 'GBP', '2000000.00', '500000.00'],
      [IDS[1], 'GB', 'GBP', '3000000.00', '3000000.00'],
      [IDS[2], 'unallocated', 'EUR', '1.00', '1.00'],
    ]);
  });

  it('writes every field of an announcement in its column', async () => {
    const log = new EventLog();
    log.announced(IDS[0]!, {
      ...base,
      title: '£30 million to tackle supply chains, illicit finances and trafficking routes',
      amount: { currency: 'GBP', minor: 3_000_000_000 },
      statedEquivalent: { currency: 'EUR', minor: 3_600_000_000 },
      source: { url: 'https://www.gov.uk/government/news/x', publisher: 'Home Office', publishedOn: '2025-04-02' },
      tags: ['organised-immigration-crime', 'summit-london-2025'],
    });
    log.amended(IDS[0]!, { title: 'Amended title' });

    const [row] = rowsOf(await textOf(announcementsExport(announcementsAt(log))));

    expect(row).toEqual({
      id: IDS[0],
      status: 'active',
      funder: 'GB',
      programme: 'oic-supply-chains',
      programmeName: 'Supply chains',
      title: 'Amended title',
      announcedOn: '2025-03-31',
      currency: 'GBP',
      amount: '30000000.00',
      country: 'unallocated',
      allocationValue: '30000000.00',
      statedEquivalentCurrency: 'EUR',
      statedEquivalentValue: '36000000.00',
      sourceUrl: 'https://www.gov.uk/government/news/x',
      sourcePublisher: 'Home Office',
      sourcePublishedOn: '2025-04-02',
      tags: 'organised-immigration-crime;summit-london-2025',
      withdrawalReason: '',
      revision: '1',
    });
  });

  it('keeps withdrawn announcements, with their status and reason', async () => {
    const log = new EventLog();
    log.announced(IDS[0]!, { ...base, title: 'Withdrawn one', amount: { currency: 'GBP', minor: 100 }, country: 'FR' });
    log.withdrawn(IDS[0]!);

    const [row] = rowsOf(await textOf(announcementsExport(announcementsAt(log))));

    expect([row?.status, row?.withdrawalReason, row?.revision]).toEqual(['withdrawn', 'announced in error', '1']);
  });

  it('neutralises titles, tags and source publishers a spreadsheet would run as formulas', async () => {
    const log = new EventLog();
    log.announced(IDS[0]!, {
      ...base,
      title: '=HYPERLINK("http://evil.example","£30m")',
      amount: { currency: 'GBP', minor: 100 },
      source: { url: 'https://example.org', publisher: '@SUM(1+1)' },
      tags: ['-2+3'],
    });

    const [row] = rowsOf(await textOf(announcementsExport(announcementsAt(log))));

    expect([row?.title, row?.sourcePublisher, row?.tags]).toEqual(['\'=HYPERLINK("http://evil.example","£30m")', "'@SUM(1+1)", "'-2+3"]);
  });

  it('leaves programmeName empty for a programme it does not know', async () => {
    const log = new EventLog();
    log.announced(IDS[0]!, { ...base, programme: 'elsewhere', title: 'x', amount: { currency: 'GBP', minor: 100 } });

    const [row] = rowsOf(await textOf(announcementsExport(announcementsAt(log))));

    expect(row?.programmeName).toBe('');
  });
});
