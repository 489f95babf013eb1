// An append-only file of fixed-size records, written through a buffer: the history of the totals is three of them.
import fs from 'node:fs';
import type { ScratchPool } from '../../runtime/scratch.js';

/** Bytes gathered before a write: a replay appends millions of records, one write per megabyte. */
const BUFFER_BYTES = 1024 * 1024;

export class RecordFile {
  private readonly fd: number;
  /** Records on disk; those in the buffer come after them. */
  private written: number;
  private readonly buffer = Buffer.alloc(BUFFER_BYTES);
  private buffered = 0;

  constructor(
    readonly path: string,
    readonly recordBytes: number,
  ) {
    this.fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    const size = fs.fstatSync(this.fd).size;
    // A record cut short by a crash is dropped: it was never part of a flushed history.
    this.written = Math.floor(size / recordBytes);
    if (size % recordBytes !== 0) fs.ftruncateSync(this.fd, this.written * recordBytes);
  }

  /** Every record, written or buffered. */
  get count(): number {
    return this.written + this.buffered / this.recordBytes;
  }

  /** Room for one record in the buffer, and where it starts: the caller writes exactly recordBytes there. */
  next(): { readonly buffer: Buffer; readonly offset: number } {
    if (this.buffered + this.recordBytes > BUFFER_BYTES) this.flush();
    const offset = this.buffered;
    this.buffered += this.recordBytes;
    return { buffer: this.buffer, offset };
  }

  flush(): void {
    if (this.buffered === 0) return;
    let done = 0;
    while (done < this.buffered)
      done += fs.writeSync(this.fd, this.buffer, done, this.buffered - done, this.written * this.recordBytes + done);
    this.written += this.buffered / this.recordBytes;
    this.buffered = 0;
  }

  /**
   * Records [from, to), read after flushing what is buffered, into memory of its own (typed-array views of the records
   * need it aligned): from `pool` when given, for the caller to hand back.
   */
  read(from: number, to: number, pool?: ScratchPool): Buffer {
    this.flush();
    const bytes = Math.max(0, to - from) * this.recordBytes;
    const out = Buffer.from(pool === undefined ? new ArrayBuffer(bytes) : pool.take(bytes), 0, bytes);
    let done = 0;
    while (done < bytes) {
      const read = fs.readSync(this.fd, out, done, bytes - done, from * this.recordBytes + done);
      if (read === 0) throw new Error(`${this.path} ends before record ${to}`);
      done += read;
    }
    return out;
  }

  /** Keeps the first `count` records. */
  truncate(count: number): void {
    this.flush();
    fs.ftruncateSync(this.fd, count * this.recordBytes);
    this.written = count;
  }

  close(): void {
    try {
      this.flush();
    } finally {
      fs.closeSync(this.fd);
    }
  }
}
