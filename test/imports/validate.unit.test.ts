// Validating a file before anything is written: every bad row named by its line and field, in the API's words.
import { describe, expect, it } from 'vitest';
import { aRow, checked, csvOf } from './rows.js';

const SPLIT_ID = '5b0c8a52-9f3e-4c1d-8e2a-6d7f0b1c2e3d';
const split = { id: SPLIT_ID, currency: 'EUR', amount: '100.00', statedEquivalentCurrency: '', statedEquivalentValue: '' };

describe('validating an announcements CSV', () => {
  it('accepts a good file: every announcement valid, with its fields as the decider will record them', async () => {
    const result = await checked(
      csvOf([
        aRow(),
        aRow({ ...split, country: 'RS', allocationValue: '60.00' }),
        aRow({ ...split, country: 'XK', allocationValue: '40.00' }),
      ]),
    );

    expect(result.problems).toEqual([]);
    expect(result.rowsRead).toBe(3);
    expect(result.valid.map((a) => [a.lines, a.fields.country, a.fields.allocations])).toEqual([
      [[2], 'GB', undefined],
      [
        [3, 4],
        undefined,
        [
          { country: 'RS', amount: { currency: 'EUR', minor: 6000 } },
          { country: 'XK', amount: { currency: 'EUR', minor: 4000 } },
        ],
      ],
    ]);
    expect(result.valid[0]!.fields.amount).toEqual({ currency: 'GBP', minor: 300_000_000 });
  });

  it('names each bad row by its line and column, and keeps reading after one', async () => {
    const text = csvOf([
      aRow({ amount: '30,000,000', allocationValue: '' }),
      aRow({ ...split, country: 'RS', allocationValue: '60.00' }),
      aRow({ ...split, country: 'XK', allocationValue: '30.00' }),
      aRow({ country: 'ZZ' }),
      aRow({ announcedOn: '2025-02-30' }),
      aRow({ title: '' }),
      aRow({ title: '   ' }),
      aRow(),
    ]);

    const result = await checked(text);

    expect(result.problems).toEqual([
      'line 2: amount: must be a decimal string such as "30000000.00"',
      'line 3: allocationValue: allocations must sum exactly to the amount',
      'line 5: country: must be an ISO 3166-1 alpha-2 country code (upper case) or XK',
      'line 6: announcedOn: must be a calendar date as YYYY-MM-DD',
      'line 7: title: is required',
      'line 8: title: is required',
    ]);
    expect(result.valid.map((a) => a.lines)).toEqual([[9]]);
  });

  it('names the row of a split announcement whose allocation is at fault', async () => {
    const text = csvOf([
      aRow({ ...split, country: 'RS', allocationValue: '60.00' }),
      aRow({ ...split, country: 'unallocated', allocationValue: '20.00' }),
      aRow({ ...split, country: 'XK', allocationValue: '20.00' }),
      aRow({ ...split, id: '', country: 'RS', allocationValue: '60.00' }),
      aRow({ ...split, id: '6c1d9b63-0a4f-4d2e-9f3b-7e8a1c2d3f4e', country: 'RS', allocationValue: '60.00' }),
      aRow({ ...split, id: '6c1d9b63-0a4f-4d2e-9f3b-7e8a1c2d3f4e', country: 'XK', allocationValue: '40.001' }),
    ]);

    expect((await checked(text)).problems).toEqual([
      'line 3: country: must be an ISO 3166-1 alpha-2 country code (upper case) or XK',
      'line 5: allocationValue: allocations must sum exactly to the amount',
      'line 7: allocationValue: EUR has 2 minor digits; send at most 2 decimals (amounts are never rounded on input)',
    ]);
  });

  it('applies the ledger rules the decider applies: a country twice, a stated equivalent in the same currency', async () => {
    const text = csvOf([
      aRow({ ...split, country: 'RS', allocationValue: '60.00' }),
      aRow({ ...split, country: 'RS', allocationValue: '40.00' }),
      aRow({ statedEquivalentCurrency: 'GBP' }),
    ]);

    expect((await checked(text)).problems).toEqual([
      'line 3: country: RS appears more than once',
      'line 4: statedEquivalentCurrency: the stated equivalent is the figure quoted in another currency than the amount',
    ]);
  });

  it('checks status, withdrawal reason, programme code and name, source and tags', async () => {
    const text = csvOf([
      aRow({ status: 'cancelled' }),
      aRow({ status: 'withdrawn' }),
      aRow({ status: 'withdrawn', withdrawalReason: 'no' }),
      aRow({ withdrawalReason: 'announced twice' }),
      aRow({ programme: 'CPS Smuggling', programmeName: '' }),
      aRow({ sourceUrl: 'ftp://example.org/x' }),
      aRow({ sourcePublisher: 'Home Office' }),
      aRow({ tags: 'ok;-bad' }),
    ]);

    expect((await checked(text)).problems).toEqual([
      'line 2: status: must be active or withdrawn',
      'line 3: withdrawalReason: a withdrawn announcement needs the reason it was withdrawn',
      'line 4: withdrawalReason: give a reason of at least 3 characters',
      'line 5: withdrawalReason: only a withdrawn announcement has a withdrawal reason',
      'line 6: programme: must be 2-64 lower-case letters, digits or dashes, starting with a letter or digit',
      'line 7: sourceUrl: must be an http(s) URL',
      'line 8: sourceUrl: is required',
      'line 9: tags: tags are 1-64 letters, digits, spaces, dots, dashes or underscores',
    ]);
  });

  it('refuses an id that is not a UUID, and an announcement that appears twice', async () => {
    const text = csvOf([
      aRow({ id: 'not-a-uuid' }),
      aRow({ id: SPLIT_ID }),
      aRow({ title: 'other' }),
      aRow({ id: SPLIT_ID }),
      aRow({ title: 'other' }),
    ]);

    expect((await checked(text)).problems).toEqual([
      'line 2: id: must be a UUID',
      `line 5: id: announcement ${SPLIT_ID} already appears at line 3; rows of one announcement are consecutive`,
      'line 6: id: the same announcement as line 4; give each an id to import both',
    ]);
  });

  it('counts a row with the wrong number of cells as read and bad', async () => {
    const text = `${csvOf([aRow()])}GB,short\r\n`;

    const result = await checked(text);

    expect(result.rowsRead).toBe(2);
    expect(result.problems).toEqual(['line 3: (row): has 2 cells where the header has 19']);
  });
});

describe('validating JSON Lines', () => {
  const body = {
    funder: 'GB',
    programme: 'cps-smuggling-prosecutions',
    title: 'Additional £3 million',
    announcedOn: '2025-03-31',
    amount: { value: '3000000.00', currency: 'GBP' },
    country: 'GB',
  };

  it('validates each line as a POST /announcements body, after taking out what GET /announcements adds', async () => {
    const lines = [
      JSON.stringify(body),
      '',
      JSON.stringify({
        ...body,
        status: 'withdrawn',
        withdrawalReason: 'announced twice',
        programmeName: 'CPS',
        revision: 1,
        id: SPLIT_ID,
      }),
    ];

    const result = await checked(`\uFEFF${lines.join('\n')}\n`, 'jsonl');

    expect(result.problems).toEqual([]);
    expect(result.valid.map((a) => [a.lines, a.withdrawalReason, a.programme])).toEqual([
      [[1], undefined, { code: 'cps-smuggling-prosecutions', name: 'cps-smuggling-prosecutions' }],
      [[3], 'announced twice', { code: 'cps-smuggling-prosecutions', name: 'CPS' }],
    ]);
  });

  it('names problems by line and body path, as the API does', async () => {
    const lines = [
      JSON.stringify({ ...body, amount: { value: 30000000, currency: 'GBP' } }),
      '{"funder": "GB",',
      '[1, 2]',
      JSON.stringify({ ...body, country: undefined, allocations: [{ country: 'FR', value: '1.00' }], colour: 'blue' }),
    ];

    expect((await checked(lines.join('\n'), 'jsonl')).problems).toEqual([
      'line 1: amount.value: send the amount as a decimal string such as "30000000.00", not a JSON number',
      expect.stringMatching(/^line 2: \(line\): is not JSON: /),
      'line 3: (line): must be one announcement as a JSON object',
      'line 4: colour: is not a known field',
    ]);
  });

  it('names the allocation at fault by its index', async () => {
    const line = JSON.stringify({
      ...body,
      country: undefined,
      allocations: [
        { country: 'FR', value: '1000000.00' },
        { country: 'DE', value: '1000000.00' },
      ],
    });

    expect((await checked(line, 'jsonl')).problems).toEqual(['line 1: allocations: allocations must sum exactly to the amount']);
  });
});
