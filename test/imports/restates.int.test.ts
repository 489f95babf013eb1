// Imports with restated parts, into a real embedded store: decided by the real decider with the store's facts and the
// file's earlier lines, refusals named by line and field with nothing written, a second run adding nothing.
import { describe, expect, it } from 'vitest';
import { ANNOUNCEMENT_COLUMNS } from '../../src/schemas/csv.js';
import { anImportedLedger } from './importedLedger.js';
import { aLineBody, aRow, csvOf } from './rows.js';

const EARLIER = '11111111-1111-4111-8111-111111111111';
const LATER = '22222222-2222-4222-8222-222222222222';
const OTHER = '33333333-3333-4333-8333-333333333333';
const EURO = '44444444-4444-4444-8444-444444444444';
const WITHDRAWN = '55555555-5555-4555-8555-555555555555';
const SELF = '66666666-6666-4666-8666-666666666666';
const UNKNOWN = '77777777-7777-4777-8777-777777777777';
const COLUMNS = [...ANNOUNCEMENT_COLUMNS, 'restates'];

const ledger = anImportedLedger();

/** £`amount` to GB under the CPS programme, id and title its own, restating `restates` (the CSV cell). */
function aGbpRow(id: string, amount: string, restates = '', title = `Announcement ${id.slice(0, 1)}`) {
  return aRow({ id, title, amount, allocationValue: amount, restates });
}

/** The £3m of EARLIER: imported first where a test needs it in the store. */
const theEarlier = aGbpRow(EARLIER, '3000000.00');

describe('an import with restated parts', () => {
  it('imports a CSV whose line restates an announcement of an earlier line; basis=new counts the money once', async () => {
    const file = ledger.aFile(
      'lines.csv',
      csvOf([theEarlier, aGbpRow(LATER, '4000000.00', `${EARLIER}:3000000.00`)], { columns: COLUMNS }),
    );

    const report = await ledger.importing(file);
    const events = await ledger.events();

    expect(report).toMatchObject({ imported: 2, problems: [], written: true });
    const later = events.find((event) => event.type === 'FundingAnnounced' && event.stream === `announcement-${LATER}`);
    expect(later?.data).toMatchObject({ restates: [{ announcementId: EARLIER, amount: { currency: 'GBP', minor: 300_000_000 } }] });
    expect(await ledger.totalOf()).toBe('7000000.00');
    expect(await ledger.totalOf({ basis: 'new' })).toBe('4000000.00');
  });

  it('imports JSON Lines restating an announcement already in the store, and one of an earlier line', async () => {
    await ledger.importing(ledger.aFile('earlier.csv', csvOf([theEarlier])));
    const lines = [
      {
        ...aLineBody(),
        id: LATER,
        amount: { value: '2000000.00', currency: 'GBP' },
        restates: [{ announcement: EARLIER, value: '1000000.00' }],
      },
      {
        ...aLineBody(),
        id: OTHER,
        title: 'Again',
        amount: { value: '500000.00', currency: 'GBP' },
        restates: [{ announcement: LATER, value: '500000.00' }],
      },
    ];
    const file = ledger.aFile('lines.jsonl', lines.map((line) => JSON.stringify(line)).join('\n'));

    const report = await ledger.importing(file);

    expect(report).toMatchObject({ imported: 2, problems: [], written: true });
    expect(await ledger.totalOf()).toBe('5500000.00');
    // £3m, then £2m of which £1m restates it, then £0.5m all restating the £2m.
    expect(await ledger.totalOf({ basis: 'new' })).toBe('4000000.00');
  });

  it('adds nothing when the same file is imported again: the announcements with restated parts are already present', async () => {
    const file = ledger.aFile(
      'twice.csv',
      csvOf([theEarlier, aGbpRow(LATER, '4000000.00', `${EARLIER}:3000000.00`)], { columns: COLUMNS }),
    );
    await ledger.importing(file);
    const before = await ledger.events();

    const again = await ledger.importing(file);

    expect(again).toMatchObject({ imported: 0, alreadyPresent: 2, problems: [], written: false });
    expect(await ledger.events()).toEqual(before);
  });

  it('names each refused part by line and field, counting the lines before it, and writes nothing', async () => {
    const stored = [
      theEarlier,
      aGbpRow(OTHER, '2500000.00', `${EARLIER}:2500000.00`),
      aRow({
        id: EURO,
        title: 'In euros',
        currency: 'EUR',
        amount: '100.00',
        allocationValue: '100.00',
        statedEquivalentCurrency: '',
        statedEquivalentValue: '',
      }),
    ];
    await ledger.importing(ledger.aFile('stored.csv', csvOf(stored, { columns: COLUMNS })));
    const before = await ledger.events();
    const rows = [
      aGbpRow(LATER, '1000000.00', `${EARLIER}:1000000.00`, 'more than is left'),
      aGbpRow('', '1.00', `${UNKNOWN}:1.00`, 'unknown'),
      aGbpRow('', '1.00', `${EURO}:1.00`, 'other currency'),
      aRow({ ...aGbpRow(WITHDRAWN, '1.00'), status: 'withdrawn', withdrawalReason: 'announced twice' }),
      aGbpRow('', '1.00', `${WITHDRAWN}:1.00`, 'restates a withdrawn one'),
      aGbpRow('', '100.00', `${EARLIER}:200.00`, 'parts above the amount'),
      aGbpRow(SELF, '1.00', `${SELF}:1.00`, 'itself'),
      aGbpRow('', '400000.00', `${EARLIER}:400000.00`, 'within what is left'),
      aGbpRow('', '200000.00', `${EARLIER}:200000.00`, 'beyond it, after the line before'),
    ];
    const file = ledger.aFile('refused.csv', csvOf(rows, { columns: COLUMNS }));

    const report = await ledger.importing(file);

    expect(report.printed).toEqual([
      `line 2: restates[0].value: exceeds what of announcement ${EARLIER} others do not restate yet (500000.00)`,
      `line 3: restates[0].announcement: announcement ${UNKNOWN} does not exist`,
      `line 4: restates[0].value: announcement ${EURO} is in EUR`,
      `line 6: restates[0].announcement: announcement ${WITHDRAWN} was withdrawn`,
      'line 7: restates: the restated parts sum to more than the amount (100.00)',
      'line 8: restates[0].announcement: an announcement cannot restate itself',
      `line 10: restates[0].value: exceeds what of announcement ${EARLIER} others do not restate yet (100000.00)`,
    ]);
    expect(report).toMatchObject({ imported: 0, badRows: 7, written: false });
    expect(await ledger.events()).toEqual(before);

    const skipped = await ledger.importing(file, { skipInvalid: true });

    expect(skipped).toMatchObject({ imported: 2, withdrawals: 1, badRows: 7, written: true });
    expect(await ledger.totalOf({ basis: 'new' })).toBe('3000000.00');
  });
});
