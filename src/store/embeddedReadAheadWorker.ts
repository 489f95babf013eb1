// The worker thread behind readAllAhead (embeddedReadAhead.ts): reads the events table on its own connection and sends
// the rows in compact batches, so the thread that folds them does no SQLite work.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { EventRow } from './embeddedEvents.js';
import { storeFailureOf } from './embeddedFailures.js';
import { StoreDamagedError, StoreFullError } from './port.js';

export interface ReadAheadSettings {
  readonly file: string;
  /** Rows strictly after this position, up to and including `until`. */
  readonly after: bigint;
  readonly until: bigint;
  readonly batchRows: number;
  /** Batches sent that the reading thread has not taken yet, at most. */
  readonly batchesAhead: number;
  /** [batches taken by the reading thread, 1 once it wants no more]: the reader's pace, without a message round trip. */
  readonly progress: SharedArrayBuffer;
}

/**
 * A batch of rows in three parts, none copied per row to send: positions and revisions, the stream, id and type of
 * every row as one JSON array (parsed into strings of their own, which projections may keep), and the data and
 * metadata texts end to end in UTF-8 with their byte lengths. The texts go as bytes, transferred, not as one string:
 * a string would be copied twice on the way and, with one character beyond Latin-1 anywhere in the batch, become
 * two-byte, which makes every JSON.parse of a slice of it slower.
 */
export interface RowBatch {
  readonly type: 'rows';
  /** position, revision of each row in turn. */
  readonly numbers: BigInt64Array;
  readonly heads: string;
  readonly texts: Uint8Array;
  /** data bytes, metadata bytes of each row in turn. */
  readonly textLengths: Int32Array;
}

/** How a read failed, sent as data: the reading thread rebuilds the store's typed error from it. */
export type ReadFailure =
  | { readonly kind: 'damaged'; readonly file: string; readonly damage: string }
  | { readonly kind: 'full'; readonly message: string }
  | { readonly kind: 'other'; readonly name: string; readonly message: string };

export type ReadAheadMessage = RowBatch | { readonly type: 'end' } | { readonly type: 'failed'; readonly failure: ReadFailure };

/** The same rows as readAll without a filter: system events ($-prefixed types) stay out. */
const PAGE_SQL =
  'SELECT position, stream, revision, id, type, data, metadata FROM events ' +
  "WHERE position > ? AND position <= ? AND substr(type, 1, 1) <> '$' ORDER BY position LIMIT ?";

function failureOf(error: unknown, file: string): ReadFailure {
  const failure = storeFailureOf(error, file);
  if (failure instanceof StoreDamagedError) return { kind: 'damaged', file: failure.file, damage: failure.damage };
  if (failure instanceof StoreFullError) return { kind: 'full', message: failure.message };
  if (failure instanceof Error) return { kind: 'other', name: failure.name, message: failure.message };
  return { kind: 'other', name: 'Error', message: String(failure) };
}

function batchOf(rows: readonly EventRow[]): { batch: RowBatch; transfer: ArrayBuffer[] } {
  const numbers = new BigInt64Array(rows.length * 2);
  const textLengths = new Int32Array(rows.length * 2);
  const heads: string[] = [];
  let most = 0;
  for (const row of rows) most += (row[5].length + row[6].length) * 3;
  // Three bytes of UTF-8 at most per UTF-16 code unit. Its own ArrayBuffer (not the pool's), so it can be transferred.
  const texts = Buffer.allocUnsafeSlow(most);
  let used = 0;
  rows.forEach((row, index) => {
    numbers[index * 2] = row[0];
    numbers[index * 2 + 1] = row[2];
    heads.push(row[1], row[3], row[4]);
    const dataBytes = texts.write(row[5], used, 'utf8');
    const metadataBytes = texts.write(row[6], used + dataBytes, 'utf8');
    textLengths[index * 2] = dataBytes;
    textLengths[index * 2 + 1] = metadataBytes;
    used += dataBytes + metadataBytes;
  });
  const batch: RowBatch = { type: 'rows', numbers, heads: JSON.stringify(heads), texts: texts.subarray(0, used), textLengths };
  return { batch, transfer: [numbers.buffer, textLengths.buffer, texts.buffer] };
}

function readAhead(settings: ReadAheadSettings, send: (message: ReadAheadMessage, transfer?: ArrayBuffer[]) => void): void {
  const progress = new Int32Array(settings.progress);
  const db = new Database(settings.file, { readonly: true, fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    const page = db.prepare<[bigint, bigint, number], EventRow>(PAGE_SQL).raw(true);
    let after = settings.after;
    for (let sent = 0; ; sent += 1) {
      // Never more than batchesAhead unread: memory stays flat however far the reader falls behind.
      for (let taken = Atomics.load(progress, 0); sent - taken >= settings.batchesAhead; taken = Atomics.load(progress, 0)) {
        if (Atomics.load(progress, 1) === 1) return;
        Atomics.wait(progress, 0, taken);
      }
      if (Atomics.load(progress, 1) === 1) return;
      const rows = page.all(after, settings.until, settings.batchRows);
      if (rows.length > 0) {
        const { batch, transfer } = batchOf(rows);
        send(batch, transfer);
        after = (rows.at(-1) as EventRow)[0];
      }
      if (rows.length < settings.batchRows) break;
    }
    send({ type: 'end' });
  } finally {
    db.close();
  }
}

if (parentPort === null) throw new Error('embeddedReadAheadWorker runs as a worker thread');
const port = parentPort;
const settings = workerData as ReadAheadSettings;
try {
  readAhead(settings, (message, transfer) => port.postMessage(message, transfer));
} catch (error) {
  port.postMessage({ type: 'failed', failure: failureOf(error, settings.file) } satisfies ReadAheadMessage);
}
