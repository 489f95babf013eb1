// A totals row's JSON with the rates it cites encoded once per answer's citations, not once per row: a converted
// answer by country and year cites about twelve rates a row, which were three quarters of its 860 KB and most of the
// time it took to serialise (the cited rates are shared objects, made once per conversion: rateCitations.ts).
import type { RateCited } from '../projections/models/totals/rateCitations.js';

/** Each cited rate's JSON bytes, by the object rows share (which is never changed once made). */
const citationBytes = new WeakMap<RateCited, Buffer>();
const CLOSE = Buffer.from(']}');
const COMMA = Buffer.from(',');

function bytesOf(cited: RateCited): Buffer {
  let bytes = citationBytes.get(cited);
  if (bytes === undefined) citationBytes.set(cited, (bytes = Buffer.from(JSON.stringify(cited))));
  return bytes;
}

/**
 * The bytes JSON.stringify(row) gives, into `pieces` (a RowEncoder for jsonBody). A row whose last key is `rates` (a
 * converted row) is written as the rest of the row followed by each cited rate's bytes; any other row as it is.
 */
export function encodeTotalsRow(row: unknown, pieces: Buffer[]): void {
  const fields = row as Record<string, unknown>;
  const rest: Record<string, unknown> = {};
  let last: string | undefined;
  for (const key in fields) {
    if (key !== 'rates') rest[key] = fields[key];
    last = key;
  }
  const rates = fields.rates;
  if (last !== 'rates' || !Array.isArray(rates)) {
    pieces.push(Buffer.from(JSON.stringify(row)));
    return;
  }
  const text = JSON.stringify(rest);
  pieces.push(Buffer.from(text.length > 2 ? `${text.slice(0, -1)},"rates":[` : '{"rates":['));
  (rates as RateCited[]).forEach((cited, index) => {
    if (index > 0) pieces.push(COMMA);
    pieces.push(bytesOf(cited));
  });
  pieces.push(CLOSE);
}
