// Restated parts in an import file, before the ledger is asked: read from the CSV `restates` column and the JSON Lines
// array, parsed in the amount's currency, malformed parts named by line and field.
import { describe, expect, it } from 'vitest';
import { ANNOUNCEMENT_COLUMNS } from '../../src/schemas/csv.js';
import { aLineBody, aRow, checked, csvOf } from './rows.js';

const EARLIER = '6f0c2a4e-1b7d-4c3a-9e2f-8d5b6a7c9e01';
const OTHER = '0d3f9a1c-2b4e-4f6a-8c7d-9e0f1a2b3c4d';
const WITH_RESTATES = [...ANNOUNCEMENT_COLUMNS, 'restates'];

describe('restates in an import file', () => {
  it('reads a JSON Lines line with restated parts into the announcement, parsed in its currency', async () => {
    const line = { ...aLineBody(), restates: [{ announcement: EARLIER, value: '1.50' }] };

    const result = await checked(`${JSON.stringify(line)}\n`, 'jsonl');

    expect(result.problems).toEqual([]);
    expect(result.valid[0]?.fields.restates).toEqual([{ announcementId: EARLIER, amount: { currency: 'GBP', minor: 150 } }]);
  });

  it('reads the CSV restates column as id:value parts separated by ";", blanks around them and a trailing ";" ignored', async () => {
    const text = csvOf([aRow({ restates: ` ${EARLIER}:1000000.00 ; ${OTHER}:500000;` })], { columns: WITH_RESTATES });

    const result = await checked(text);

    expect(result.problems).toEqual([]);
    expect(result.valid[0]?.fields.restates).toEqual([
      { announcementId: EARLIER, amount: { currency: 'GBP', minor: 100_000_000 } },
      { announcementId: OTHER, amount: { currency: 'GBP', minor: 50_000_000 } },
    ]);
  });

  it('gives an announcement with an empty restates cell (or only separators) no restated parts, so its id and key are as before', async () => {
    const [empty, separators, without] = await Promise.all([
      checked(csvOf([aRow({ restates: '' })], { columns: WITH_RESTATES })),
      checked(csvOf([aRow({ restates: ' ; ' })], { columns: WITH_RESTATES })),
      checked(csvOf([aRow()])),
    ]);

    for (const withColumn of [empty, separators]) {
      expect(withColumn.problems).toEqual([]);
      expect(withColumn.valid[0]?.fields).not.toHaveProperty('restates');
      expect(withColumn.valid[0]?.id).toBe(without.valid[0]?.id);
      expect(withColumn.valid[0]?.contentHash).toBe(without.valid[0]?.contentHash);
    }
  });

  it('names each malformed part by line and field: the id, the value, a value finer than the currency, a part without ":"', async () => {
    const rows = [
      aRow(),
      aRow({ title: 'not an id', restates: 'earlier:1.00' }),
      aRow({ title: 'too fine', restates: `${EARLIER}:1.005` }),
      aRow({ title: 'no value', restates: `${OTHER}:1.00;${EARLIER}` }),
    ];

    const result = await checked(csvOf(rows, { columns: WITH_RESTATES }));

    expect(result.valid).toHaveLength(1);
    expect(result.problems).toEqual([
      'line 3: restates[0].announcement: must be a UUID',
      expect.stringMatching(/^line 4: restates\[0\]\.value: .*GBP/),
      'line 5: restates[1].value: is required',
    ]);
  });

  it('names the JSON Lines path of a bad part', async () => {
    const line = { ...aLineBody(), restates: [{ announcement: EARLIER, value: 'ten' }] };

    const result = await checked(`${JSON.stringify(aLineBody())}\n${JSON.stringify(line)}\n`, 'jsonl');

    expect(result.valid).toHaveLength(1);
    expect(result.problems).toEqual([expect.stringMatching(/^line 2: restates\[0\]\.value: /)]);
  });
});
