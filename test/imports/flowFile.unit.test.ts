// Commitments and disbursements in an import file, before the ledger is asked: told apart from announcements, read
// into the API's bodies, keyed by content and occurrence, and named by line and field when malformed.
import { describe, expect, it } from 'vitest';
import { ImportFileError } from '../../src/imports/problems.js';
import { aLineBody, checked, itemsOf } from './rows.js';

const ANNOUNCEMENT = '11111111-1111-4111-8111-111111111111';

describe('flows in an import file', () => {
  it('reads a CSV whose header has a kind column as flows, one a row, the source from its three columns', async () => {
    const text =
      'announcement,kind,value,on,country,reason,sourceUrl,sourcePublisher\n' +
      `${ANNOUNCEMENT},disbursement,250000.00,2025-05-01,RS,,https://example.org/paid,Treasury\n` +
      `${ANNOUNCEMENT},commitment,-1.00,2025-05-02,,overstated,,\n`;

    const result = await checked(text);

    expect(result.problems).toEqual([]);
    expect(result.valid).toEqual([]);
    expect(result.flows.map(({ line, kind, announcementId, request }) => ({ line, kind, announcementId, request }))).toEqual([
      {
        line: 2,
        kind: 'disbursement',
        announcementId: ANNOUNCEMENT,
        request: {
          value: '250000.00',
          on: '2025-05-01',
          country: 'RS',
          source: { url: 'https://example.org/paid', publisher: 'Treasury' },
        },
      },
      { line: 3, kind: 'commitment', announcementId: ANNOUNCEMENT, request: { value: '-1.00', on: '2025-05-02', reason: 'overstated' } },
    ]);
  });

  it('reads a JSON Lines line with a kind as a flow, beside announcement lines, in file order', async () => {
    const flow = { kind: 'commitment', announcement: ANNOUNCEMENT, value: '5.00', on: '2025-04-01' };

    const result = await checked(`${JSON.stringify(aLineBody())}\n${JSON.stringify(flow)}\n`, 'jsonl');

    expect(result.valid.map((announcement) => announcement.lines)).toEqual([[1]]);
    expect(result.flows.map((f) => [f.line, f.kind])).toEqual([[2, 'commitment']]);
  });

  it('keys equal flows apart by their occurrence, and the same flow the same way on every read', async () => {
    const flow = JSON.stringify({ kind: 'disbursement', announcement: ANNOUNCEMENT, value: '5.00', on: '2025-04-01' });
    const other = JSON.stringify({ kind: 'disbursement', announcement: ANNOUNCEMENT, value: '6.00', on: '2025-04-01' });
    const text = `${flow}\n${other}\n${flow}\n`;

    const [first, second] = [await checked(text, 'jsonl'), await checked(text, 'jsonl')];
    const keys = first.flows.map((f) => f.key);

    expect(keys[0]).toMatch(/^import:disbursement:([0-9a-f]{64}):1$/);
    expect(keys[2]).toBe(keys[0]?.replace(/:1$/, ':2'));
    expect(keys[1]).toMatch(/:1$/);
    expect(second.flows.map((f) => f.key)).toEqual(keys);
  });

  it('names what is wrong by line and field: kind, announcement, missing value and date, a field the kind does not take', async () => {
    const lines = [
      { kind: 'pledge', announcement: ANNOUNCEMENT, value: '1.00', on: '2025-04-01' },
      { kind: 'commitment', announcement: 'earlier', on: '2025-04-01' },
      { kind: 'commitment', announcement: ANNOUNCEMENT, value: 1, on: '2025-04-01', country: 'GB' },
    ];

    const result = await checked(lines.map((line) => JSON.stringify(line)).join('\n'), 'jsonl');

    expect(result.flows).toEqual([]);
    expect(result.problems).toEqual([
      'line 1: kind: must be commitment or disbursement',
      'line 2: announcement: must be the UUID of an announcement',
      'line 2: value: is required',
      'line 3: value: send the value as a decimal string such as "1000000.00"',
      'line 3: country: is not a known field',
    ]);
  });

  it('refuses a flows CSV whose header misses a required column or has an unknown one', async () => {
    await expect(itemsOf('announcement,kind,value\n')).rejects.toThrow(new ImportFileError('line 1: header: missing column(s) on'));
    await expect(itemsOf('announcement,kind,value,on,title\n')).rejects.toThrow(
      'line 1: header: unknown column(s) "title"; the columns are announcement, kind, value, on, country, reason, sourceUrl, sourcePublisher, sourcePublishedOn',
    );
  });
});
