// A large JSON answer serialised in slices: a Buffer when it is small enough to cache, a stream when it is not.
import { Readable } from 'node:stream';
import { TimeSlice } from '../runtime/timeSlice.js';

/** Rows serialised per chunk: about 60 KB and half a millisecond for the widest totals rows. */
const ROWS_PER_CHUNK = 256;

/**
 * Writes one row's JSON text, as JSON.stringify gives it, into `pieces` (whose bytes are joined in order): for rows
 * that repeat large parts an answer can encode once (the rates a converted totals row cites).
 */
export type RowEncoder = (row: unknown, pieces: Buffer[]) => void;

const COMMA = Buffer.from(',');

/**
 * `{ ...head, [listName]: rows, ...tail }` as JSON text, the same bytes JSON.stringify gives for that object, made a
 * chunk at a time with pauses between slices. Up to `maxBuffered` bytes the result is one Buffer (to be cached);
 * past that, a stream that carries on serialising as the client reads, and is never cached.
 */
export async function jsonBody(
  head: Readonly<Record<string, unknown>>,
  listName: string,
  rows: readonly unknown[],
  tail: Readonly<Record<string, unknown>>,
  maxBuffered: number,
  slice: TimeSlice = new TimeSlice(),
  encodeRow?: RowEncoder,
): Promise<Buffer | Readable> {
  const chunks = chunksOf(head, listName, rows, tail, encodeRow);
  // The pieces are copied once, into the answer (a chunk joined first would copy every byte twice).
  const kept: Buffer[] = [];
  let size = 0;
  for (;;) {
    const next = chunks.next();
    if (next.done === true) return Buffer.concat(kept, size);
    for (const piece of next.value) {
      kept.push(piece);
      size += piece.length;
    }
    if (size > maxBuffered) return Readable.from(theRest(kept, chunks, slice), { objectMode: false });
    if (slice.due()) await slice.pause();
  }
}

function* chunksOf(
  head: Readonly<Record<string, unknown>>,
  listName: string,
  rows: readonly unknown[],
  tail: Readonly<Record<string, unknown>>,
  encodeRow: RowEncoder | undefined,
): Generator<readonly Buffer[]> {
  const open = JSON.stringify(head);
  yield [Buffer.from(`${open.length > 2 ? `${open.slice(0, -1)},` : '{'}${JSON.stringify(listName)}:[`)];
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    if (encodeRow !== undefined) {
      const pieces: Buffer[] = [];
      for (let index = start; index < Math.min(start + ROWS_PER_CHUNK, rows.length); index += 1) {
        if (index > 0) pieces.push(COMMA);
        encodeRow(rows[index], pieces);
      }
      yield pieces;
      continue;
    }
    const text = rows
      .slice(start, start + ROWS_PER_CHUNK)
      .map((row) => JSON.stringify(row))
      .join(',');
    yield [Buffer.from(start === 0 ? text : `,${text}`)];
  }
  const close = JSON.stringify(tail);
  yield [Buffer.from(close.length > 2 ? `],${close.slice(1)}` : ']}')];
}

async function* theRest(kept: readonly Buffer[], chunks: Generator<readonly Buffer[]>, slice: TimeSlice): AsyncGenerator<Buffer> {
  yield Buffer.concat(kept);
  for (let next = chunks.next(); next.done !== true; next = chunks.next()) {
    yield Buffer.concat(next.value);
    if (slice.due()) await slice.pause();
  }
}
