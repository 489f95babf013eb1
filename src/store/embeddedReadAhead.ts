// readAllAhead: the embedded store's log read on a worker thread (embeddedReadAheadWorker.ts) while this thread folds it.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../runtime/workerThread.js';
import { recordedEventOf } from './embeddedEvents.js';
import type { ReadAheadMessage, ReadAheadSettings, ReadFailure, RowBatch } from './embeddedReadAheadWorker.js';
import { StoreDamagedError, StoreFullError, type RecordedEvent } from './port.js';

/** Rows per batch: large enough that a message costs little per row, small enough to stay out of V8's old generation. */
const BATCH_ROWS = 2048;
/** Batches the worker may have read that this thread has not taken: enough to keep it busy while this one folds. */
const BATCHES_AHEAD = 8;
/** SQLite's largest rowid: "to the end". */
const MAX_ROWID = 2n ** 63n - 1n;

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

function errorOf(failure: ReadFailure): Error {
  switch (failure.kind) {
    case 'damaged':
      return new StoreDamagedError(failure.file, failure.damage);
    case 'full':
      return new StoreFullError(failure.message);
    case 'other': {
      const error = new Error(failure.message);
      error.name = failure.name;
      return error;
    }
  }
}

/** A batch being taken apart, event by event. */
interface OpenBatch {
  readonly batch: RowBatch;
  readonly texts: Buffer;
  readonly heads: readonly string[];
  readonly rows: number;
  index: number;
  textOffset: number;
}

/**
 * The events of `file` after `after` up to `until`, in order, as readAll gives them (the same event class, the same
 * rows): the worker reads and batches, this thread only slices each batch into events and parses each event's data.
 */
export class ReadAhead implements AsyncIterator<RecordedEvent, undefined> {
  private worker: Worker | undefined;
  private readonly progress = new SharedArrayBuffer(8);
  private readonly batches: RowBatch[] = [];
  private open: OpenBatch | undefined;
  private ended = false;
  private failure: Error | undefined;
  private finished = false;
  private waiting: (() => void) | undefined;

  constructor(
    private readonly file: string,
    private readonly range: { readonly after: bigint; readonly until: bigint | undefined },
  ) {}

  next(): Promise<IteratorResult<RecordedEvent, undefined>> {
    const open = this.open;
    // Most calls: the next event of the batch at hand, with no await (a replay makes a million of them).
    if (open !== undefined && open.index < open.rows) {
      try {
        return Promise.resolve({ value: this.eventOf(open), done: false });
      } catch (error) {
        this.finish();
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return this.nextBatch();
  }

  private async nextBatch(): Promise<IteratorResult<RecordedEvent, undefined>> {
    try {
      for (;;) {
        if (this.finished) return DONE;
        const batch = this.batches.shift();
        if (batch !== undefined) {
          this.take(batch);
          return await this.next();
        }
        if (this.failure !== undefined) throw this.failure;
        if (this.ended) {
          this.finish();
          return DONE;
        }
        this.worker ??= this.start();
        await new Promise<void>((resolve) => (this.waiting = resolve));
      }
    } catch (error) {
      this.finish();
      throw error;
    }
  }

  /** The loop stopped early (break, throw, a fold's `until`): the worker stops reading. */
  async return(): Promise<IteratorResult<RecordedEvent, undefined>> {
    this.finish();
    return DONE;
  }

  private take(batch: RowBatch): void {
    const { texts } = batch;
    this.open = {
      batch,
      texts: Buffer.from(texts.buffer, texts.byteOffset, texts.byteLength),
      heads: JSON.parse(batch.heads) as string[],
      rows: batch.textLengths.length / 2,
      index: 0,
      textOffset: 0,
    };
    const progress = new Int32Array(this.progress);
    Atomics.add(progress, 0, 1);
    Atomics.notify(progress, 0);
  }

  private eventOf(open: OpenBatch): RecordedEvent {
    const { numbers, textLengths } = open.batch;
    const { texts } = open;
    const at = open.index;
    open.index += 1;
    const dataEnd = open.textOffset + (textLengths[at * 2] as number);
    const metadataEnd = dataEnd + (textLengths[at * 2 + 1] as number);
    const data = texts.toString('utf8', open.textOffset, dataEnd);
    open.textOffset = metadataEnd;
    const { heads } = open;
    return recordedEventOf(
      numbers[at * 2] as bigint,
      heads[at * 3] as string,
      numbers[at * 2 + 1] as bigint,
      heads[at * 3 + 1] as string,
      heads[at * 3 + 2] as string,
      data,
      texts.toString('utf8', dataEnd, metadataEnd),
    );
  }

  private start(): Worker {
    const settings: ReadAheadSettings = {
      file: this.file,
      after: this.range.after,
      until: this.range.until ?? MAX_ROWID,
      batchRows: BATCH_ROWS,
      batchesAhead: BATCHES_AHEAD,
      progress: this.progress,
    };
    const worker = startModuleWorker(
      new URL('./embeddedReadAheadWorker.js', import.meta.url),
      new URL('./embeddedReadAheadWorker.ts', import.meta.url),
      { workerData: settings },
    );
    worker.on('message', (message: ReadAheadMessage) => {
      if (message.type === 'rows') this.batches.push(message);
      else if (message.type === 'end') this.ended = true;
      else this.failure ??= errorOf(message.failure);
      this.wake();
    });
    worker.on('error', (error) => {
      this.failure ??= error;
      this.wake();
    });
    worker.on('exit', (code) => {
      if (!this.ended) this.failure ??= new Error(`the event store's reader thread stopped (exit ${code}) before the end of the log`);
      this.wake();
    });
    return worker;
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.open = undefined;
    this.batches.length = 0;
    const progress = new Int32Array(this.progress);
    Atomics.store(progress, 1, 1);
    Atomics.notify(progress, 0);
    void this.worker?.terminate();
  }
}
