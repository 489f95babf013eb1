// Reading the announcements CSV: header, physical line numbers, grouping rows into announcements, rebuilding bodies.
import { describe, expect, it } from 'vitest';
import type { Candidate, FileItem } from '../../src/imports/candidate.js';
import { ImportFileError } from '../../src/imports/problems.js';
import { aRow, csvOf, itemsOf } from './rows.js';

const SPLIT_ID = '5b0c8a52-9f3e-4c1d-8e2a-6d7f0b1c2e3d';

function announcements(items: FileItem[]): Candidate[] {
  return items.filter((item): item is Candidate => item.kind === 'announcement');
}

describe('reading an announcements CSV', () => {
  it('rebuilds the POST /announcements body of a one-country announcement, with the status columns beside it', async () => {
    const [item] = announcements(
      await itemsOf(csvOf([aRow({ sourceUrl: 'https://www.gov.uk/a', sourcePublisher: 'Home Office', sourcePublishedOn: '2025-04-02' })])),
    );

    expect(item).toMatchObject({
      lines: [2],
      status: 'active',
      withdrawalReason: undefined,
      programmeName: 'Crown Prosecution Service: prosecuting organised international smugglers',
    });
    expect(item!.body).toEqual({
      funder: 'GB',
      programme: 'cps-smuggling-prosecutions',
      title: 'Additional £3 million for the Crown Prosecution Service to prosecute organised international smugglers',
      announcedOn: '2025-03-31',
      amount: { value: '3000000.00', currency: 'GBP' },
      country: 'GB',
      statedEquivalent: { value: '3500000.00', currency: 'EUR' },
      source: { url: 'https://www.gov.uk/a', publisher: 'Home Office', publishedOn: '2025-04-02' },
      tags: ['organised-immigration-crime', 'summit-london-2025'],
    });
  });

  it('gives an unallocated row neither country nor allocations, and leaves empty optional columns out', async () => {
    const row = aRow({ country: 'unallocated', statedEquivalentCurrency: '', statedEquivalentValue: '', tags: '' });
    const [item] = announcements(await itemsOf(csvOf([row])));

    expect(item!.body).not.toHaveProperty('country');
    expect(item!.body).not.toHaveProperty('allocations');
    expect(item!.body).not.toHaveProperty('statedEquivalent');
    expect(item!.body).not.toHaveProperty('source');
    expect(item!.body.tags).toEqual([]);
  });

  it('groups consecutive rows sharing an id into one announcement with one allocation per row', async () => {
    const split = { id: SPLIT_ID, amount: '100.00', currency: 'EUR', statedEquivalentCurrency: '', statedEquivalentValue: '' };
    const text = csvOf([
      aRow(),
      aRow({ ...split, country: 'RS', allocationValue: '60.00' }),
      aRow({ ...split, country: 'XK', allocationValue: '40.00' }),
      aRow(),
    ]);

    const items = announcements(await itemsOf(text));

    expect(items.map((item) => item.lines)).toEqual([[2], [3, 4], [5]]);
    expect(items[1]!.body).toMatchObject({
      id: SPLIT_ID,
      allocations: [
        { country: 'RS', value: '60.00' },
        { country: 'XK', value: '40.00' },
      ],
    });
    expect(items[1]!.body).not.toHaveProperty('country');
    expect(items[1]!.locate(['allocations', 1, 'value'])).toEqual({ line: 4, field: 'allocationValue' });
    expect(items[1]!.locate(['allocations', 0, 'country'])).toEqual({ line: 3, field: 'country' });
    expect(items[1]!.locate(['statedEquivalent', 'currency'])).toEqual({ line: 3, field: 'statedEquivalentCurrency' });
  });

  it('keeps a one-row allocation of part of the amount as an allocation, so the sum rule can refuse it', async () => {
    const [item] = announcements(await itemsOf(csvOf([aRow({ allocationValue: '1000000.00' })])));

    expect(item!.body).toMatchObject({ allocations: [{ country: 'GB', value: '1000000.00' }] });
  });

  it('names the row of a split announcement that disagrees with its first row', async () => {
    const split = { id: SPLIT_ID, amount: '100.00', currency: 'EUR' };
    const text = csvOf([
      aRow({ ...split, country: 'RS', allocationValue: '60.00' }),
      aRow({ ...split, country: 'XK', allocationValue: '40.00', title: 'Another title' }),
    ]);

    const [item] = announcements(await itemsOf(text));

    expect(item!.problems).toEqual([
      { line: 3, field: 'title', message: `differs from line 2, the first row of announcement ${SPLIT_ID}` },
    ]);
  });

  it('restores cells the export neutralised against spreadsheet formulas, and only those', async () => {
    const text = csvOf([
      aRow({
        title: '\'=HYPERLINK("x")',
        sourceUrl: 'https://www.gov.uk/a',
        sourcePublisher: "'+44 20 7035 4848",
        programmeName: "'-minus",
        tags: "it's",
      }),
    ]);

    const [item] = announcements(await itemsOf(text));

    expect(item!.body).toMatchObject({ title: '=HYPERLINK("x")', source: { publisher: '+44 20 7035 4848' }, tags: ["it's"] });
    expect(item!.programmeName).toBe('-minus');
  });

  it('tolerates a UTF-8 byte order mark before the header', async () => {
    const text = csvOf([aRow({ id: SPLIT_ID })], { bom: true });
    expect(text.charCodeAt(0)).toBe(0xfeff);

    const [item] = announcements(await itemsOf(text));

    expect(item!.body.id).toBe(SPLIT_ID);
  });

  it('reads quoted commas, quotes, newlines and unicode, and counts physical lines after a cell spanning lines', async () => {
    const title = 'Supply chains, illicit finance\nand "trafficking" routes — Škoda, Łódź, 東京';
    const text = csvOf([aRow({ title }), aRow({ title: 'after' })]);

    const items = announcements(await itemsOf(text));

    expect(items[0]!.body.title).toBe(title);
    expect(items.map((item) => item.lines)).toEqual([[2], [4]]);
  });

  it('counts a CRLF line break inside a quoted cell and skipped blank lines as the physical lines they are', async () => {
    const text =
      'funder,programme,title,announcedOn,currency,amount\r\nGB,wb-summit,"two\r\nlines",2025-03-31,GBP,5\r\n\r\nGB,wb-summit,next,2025-03-31,GBP,6\r\nGB,short\r\n';

    const items = await itemsOf(text);

    expect(announcements(items).map((item) => [item.lines, item.body.title])).toEqual([
      [[2], 'two\r\nlines'],
      [[5], 'next'],
    ]);
    expect(items).toContainEqual({
      kind: 'unreadable',
      problem: { line: 6, field: '(row)', message: 'has 2 cells where the header has 6' },
    });
  });

  it('reads LF line endings and a hand-made file with only the required columns', async () => {
    const text =
      'funder,programme,title,announcedOn,currency,amount\nGB,wb-summit,"A, B",2025-03-31,GBP,5\n\nGB,wb-summit,C,2025-03-31,GBP,6';

    const items = announcements(await itemsOf(text));

    expect(items.map((item) => [item.lines, item.body.title, item.body.amount, item.status])).toEqual([
      [[2], 'A, B', { value: '5', currency: 'GBP' }, undefined],
      [[4], 'C', { value: '6', currency: 'GBP' }, undefined],
    ]);
  });

  it('reports a row with the wrong number of cells by its line, and reads on', async () => {
    const text = `${csvOf([aRow()])}GB,too,few\r\n${csvOf([aRow()]).split('\r\n')[1]}\r\n`;

    const items = await itemsOf(text);

    expect(items).toContainEqual({
      kind: 'unreadable',
      problem: { line: 3, field: '(row)', message: 'has 3 cells where the header has 19' },
    });
    expect(announcements(items).map((item) => item.lines)).toEqual([[2], [4]]);
  });

  it('refuses the whole file when the header has an unknown or missing column', async () => {
    await expect(itemsOf('funder,programme,title,announcedOn,currency,amount,colour\n')).rejects.toThrow(
      new ImportFileError(
        'line 1: header: unknown column(s) "colour"; the columns are id, status, funder, programme, programmeName, title, announcedOn, currency, amount, country, allocationValue, statedEquivalentCurrency, statedEquivalentValue, sourceUrl, sourcePublisher, sourcePublishedOn, tags, withdrawalReason, revision, restates',
      ),
    );
    await expect(itemsOf('funder,programme,title,currency\n')).rejects.toThrow('line 1: header: missing column(s) announcedOn, amount');
  });

  it('refuses the whole file at broken quoting, naming the line: nothing after it can be trusted', async () => {
    const text = 'funder,programme,title,announcedOn,currency,amount\nGB,wb,ok,2025-03-31,GBP,5\nGB,wb,"unclosed,2025-03-31,GBP,5\n';

    await expect(itemsOf(text)).rejects.toThrow(/^line \d+: the file is not valid CSV: /);
  });
});
