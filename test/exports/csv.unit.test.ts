// The CSV writer: header and column order, RFC 4180 quoting read back by csv-parse, CRLF, BOM, formula neutralisation.
import { describe, expect, it } from 'vitest';
import { FORMULA_TRIGGERS, restoreNeutralised } from '../../src/schemas/csv.js';
import { anExport, bytesOf, recordsOf, textOf } from './support.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('the CSV writer', () => {
  it('writes the header row first, the columns in the order given, and one record per row', async () => {
    const text = await textOf(
      anExport(
        ['b', 'a', 'c'],
        [
          ['1', '2', '3'],
          ['4', '5', '6'],
        ],
      ),
    );

    expect(text).toBe('b,a,c\r\n1,2,3\r\n4,5,6\r\n');
  });

  it('writes only the header when there are no rows', async () => {
    expect(await textOf(anExport(['id', 'status'], []))).toBe('id,status\r\n');
  });

  it('quotes commas, quotes, line feeds, carriage returns and CRLF as RFC 4180 says, and keeps unicode as UTF-8', async () => {
    const awkward = ['a,b', 'say "hello"', 'line one\nline two', 'cr\ralone', 'crlf\r\nend', '£30m → Србија, Kosovë 🇽🇰', ' padded ', ''];
    const columns = awkward.map((_, index) => `c${index}`);

    const text = await textOf(anExport(columns, [awkward]));

    expect(text).toContain('"a,b"');
    expect(text).toContain('"say ""hello"""');
    expect(text).toContain('"line one\nline two"');
    expect(text).toContain('"cr\ralone"');
    expect(recordsOf(text)).toEqual([columns, awkward]);
  });

  it('ends every record with CRLF', async () => {
    const text = await textOf(anExport(['x'], [['1'], ['2']]));

    expect(text.split('\r\n')).toEqual(['x', '1', '2', '']);
    expect(text.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
  });

  it('starts with a UTF-8 byte order mark only when asked', async () => {
    const withBom = await bytesOf(anExport(['title'], [['£3m']]), { bom: true });
    const without = await bytesOf(anExport(['title'], [['£3m']]));

    expect(withBom.subarray(0, 3)).toEqual(BOM);
    expect(without.subarray(0, 3)).not.toEqual(BOM);
    expect(withBom.subarray(3)).toEqual(without);
    expect(recordsOf(withBom.toString('utf8'))).toEqual([['title'], ['£3m']]);
  });

  it.each(FORMULA_TRIGGERS.map((trigger) => [JSON.stringify(trigger), trigger]))(
    'neutralises a cell starting with %s by a leading apostrophe',
    async (_name, trigger) => {
      const cell = `${trigger}HYPERLINK("http://evil.example","click")`;

      const [, row] = recordsOf(await textOf(anExport(['title', 'plain'], [[cell, 'fine']])));

      expect(row).toEqual([`'${cell}`, 'fine']);
      expect(restoreNeutralised(row![0]!)).toBe(cell);
    },
  );

  it('leaves a trigger character alone anywhere but at the start', async () => {
    const [, row] = recordsOf(await textOf(anExport(['a', 'b'], [['a=b', '2025-03-31']])));

    expect(row).toEqual(['a=b', '2025-03-31']);
  });

  it('counts rows as they are written', async () => {
    const seen: number[] = [];

    await textOf(anExport(['x'], [['1'], ['2'], ['3']]), { onRow: (rows) => seen.push(rows) });

    expect(seen).toEqual([1, 2, 3]);
  });

  it('fails the stream when the rows fail', async () => {
    const failing = {
      kind: 'events' as const,
      position: '1',
      columns: ['x'],
      rows: (async function* () {
        yield ['1'];
        throw new Error('the store went away');
      })(),
    };

    await expect(textOf(failing)).rejects.toThrow('the store went away');
  });
});
