// jsonBody with and without a row encoder gives exactly JSON.stringify's bytes, buffered or streamed; encodeTotalsRow
// writes converted rows (rates last, cited rates shared between rows) and every other row as JSON.stringify does.
import type { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonBody } from '../../src/http/jsonBody.js';
import { encodeTotalsRow } from '../../src/http/totalsRowJson.js';
import type { RateCited } from '../../src/projections/models/totals/rateCitations.js';
import { TimeSlice } from '../../src/runtime/timeSlice.js';

async function bytesOf(body: Buffer | Readable): Promise<{ text: string; streamed: boolean }> {
  if (Buffer.isBuffer(body)) return { text: body.toString('utf8'), streamed: false };
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return { text: Buffer.concat(chunks).toString('utf8'), streamed: true };
}

const cited: fc.Arbitrary<RateCited> = fc.record(
  {
    base: fc.constantFrom('GBP', 'EUR'),
    quote: fc.constantFrom('EUR', 'GBP'),
    rate: fc.stringMatching(/^[0-9]\.[0-9]{1,6}$/),
    effectiveOn: fc.constantFrom('2024-01-01', '2025-02-01'),
    source: fc.string({ maxLength: 12 }),
    position: fc.stringMatching(/^[1-9][0-9]{0,6}$/),
    inverse: fc.constant(true as const),
  },
  { requiredKeys: ['base', 'quote', 'rate', 'effectiveOn', 'source', 'position'] },
);

/** Rows as the totals give them, converted or not, citing rates from a shared list; some with keys out of the usual order. */
const rows = fc.array(cited, { minLength: 1, maxLength: 5 }).chain((shared) =>
  fc.array(
    fc.record(
      {
        country: fc.string({ maxLength: 8 }),
        year: fc.integer({ min: 1990, max: 2030 }),
        count: fc.nat(),
        amounts: fc.array(fc.record({ currency: fc.constantFrom('GBP', 'EUR'), value: fc.stringMatching(/^-?[0-9]{1,9}\.[0-9]{2}$/) })),
        missing: fc.constant(undefined),
        rates: fc.subarray(shared),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 700 },
  ),
);

describe('jsonBody', () => {
  it("gives JSON.stringify's bytes, with or without encodeTotalsRow, buffered or streamed", async () => {
    await fc.assert(
      fc.asyncProperty(rows, fc.boolean(), fc.integer({ min: 0, max: 200_000 }), async (list, encode, maxBuffered) => {
        const head = { position: '12', groupBy: ['country', 'year'], currency: 'EUR' };
        const tail = { total: { count: 3 } };
        const body = await jsonBody(head, 'rows', list, tail, maxBuffered, new TimeSlice(0), encode ? encodeTotalsRow : undefined);
        const { text, streamed } = await bytesOf(body);
        expect(text).toBe(JSON.stringify({ ...head, rows: list, ...tail }));
        expect(streamed).toBe(Buffer.byteLength(text) > maxBuffered);
      }),
      { numRuns: 60 },
    );
  });

  it('writes a row whose rates are not last, or are not a list, as JSON.stringify does', () => {
    const rate: RateCited = { base: 'GBP', quote: 'EUR', rate: '1.15', effectiveOn: '2025-01-01', source: 'ECB', position: '7' };
    for (const row of [{ rates: [rate], count: 1 }, { count: 1, rates: 'none' }, { rates: [rate] }, { rates: [] }, {}]) {
      const pieces: Buffer[] = [];
      encodeTotalsRow(row, pieces);
      expect(Buffer.concat(pieces).toString('utf8')).toBe(JSON.stringify(row));
    }
  });
});
