// A large JSON answer serialised in slices: a Buffer when it is small enough to cache, a stream when it is not.
import { Readable } from 'node:stream';
import { TimeSlice } from '../runtime/timeSlice.js';

/** Rows serialised per chunk: about 60 KB and half a millisecond for the widest totals rows. */
const ROWS_PER_CHUNK = 256;

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
): Promise<Buffer | Readable> {
  const chunks = chunksOf(head, listName, rows, tail);
  const kept: Buffer[] = [];
  let size = 0;
  for (;;) {
    const next = chunks.next();
    if (next.done === true) return Buffer.concat(kept, size);
    kept.push(next.value);
    size += next.value.length;
    if (size > maxBuffered) return Readable.from(theRest(kept, chunks, slice), { objectMode: false });
    if (slice.due()) await slice.pause();
  }
}

function* chunksOf(
  head: Readonly<Record<string, unknown>>,
  listName: string,
  rows: readonly unknown[],
  tail: Readonly<Record<string, unknown>>,
): Generator<Buffer> {
  const open = JSON.stringify(head);
  yield Buffer.from(`${open.length > 2 ? `${open.slice(0, -1)},` : '{'}${JSON.stringify(listName)}:[`);
  for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
    const text = rows
      .slice(start, start + ROWS_PER_CHUNK)
      .map((row) => JSON.stringify(row))
      .join(',');
    yield Buffer.from(start === 0 ? text : `,${text}`);
  }
  const close = JSON.stringify(tail);
  yield Buffer.from(close.length > 2 ? `],${close.slice(1)}` : ']}');
}

async function* theRest(kept: readonly Buffer[], chunks: Generator<Buffer>, slice: TimeSlice): AsyncGenerator<Buffer> {
  yield* kept;
  for (let next = chunks.next(); next.done !== true; next = chunks.next()) {
    yield next.value;
    if (slice.due()) await slice.pause();
  }
}
