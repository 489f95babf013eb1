// An append-only file of fixed-size records, written through a buffer: the history of the totals is five of them.
// Every 64 KiB block of it has a CRC-32 in a file beside it (`<file>.crc`), checked the first time the block is read in
// a process: a damaged history is found and rebuilt rather than giving wrong past totals.
import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import type { ScratchPool } from '../../runtime/scratch.js';

/** Bytes gathered before a write: a replay appends millions of records, one write per megabyte. */
const BUFFER_BYTES = 1024 * 1024;
/** Bytes per checked block; the last block, until it is full, is not checked. */
export const BLOCK_BYTES = 64 * 1024;
const CRC_BYTES = 4;

/** A part of the history of the totals that does not hold what was written: the history is rebuilt. */
export class HistoryDamagedError extends Error {
  override readonly name = 'HistoryDamagedError';
  constructor(
    readonly file: string,
    readonly damage: string,
  ) {
    super(`${file} is damaged (${damage})`);
  }
}

/** Bytes [from, to) of a file, read whole. */
function readRange(fd: number, file: string, into: Buffer, from: number): void {
  let done = 0;
  while (done < into.length) {
    const read = fs.readSync(fd, into, done, into.length - done, from + done);
    if (read === 0) throw new HistoryDamagedError(file, `it ends before byte ${from + into.length}`);
    done += read;
  }
}

export class RecordFile {
  private readonly fd: number;
  private readonly crcFd: number;
  /** Records on disk; those in the buffer come after them. */
  private written: number;
  private readonly buffer = Buffer.alloc(BUFFER_BYTES);
  private buffered = 0;
  /** The CRC-32 of each full block on disk. */
  private crcs: number[] = [];
  /** The CRC-32 of the bytes on disk after the last full block. */
  private tailCrc = 0;
  /** By block: 1 once its bytes were checked in this process. */
  private checked = new Uint8Array(0);

  constructor(
    readonly path: string,
    readonly recordBytes: number,
  ) {
    this.fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    this.crcFd = fs.openSync(`${path}.crc`, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    const size = fs.fstatSync(this.fd).size;
    // A record cut short by a crash is dropped: it was never part of a flushed history.
    this.written = Math.floor(size / recordBytes);
    if (size % recordBytes !== 0) fs.ftruncateSync(this.fd, this.written * recordBytes);
    const kept = Buffer.alloc(Math.floor(fs.fstatSync(this.crcFd).size / CRC_BYTES) * CRC_BYTES);
    readRange(this.crcFd, `${path}.crc`, kept, 0);
    for (let at = 0; at < kept.length; at += CRC_BYTES) this.crcs.push(kept.readUInt32LE(at));
    this.settle();
  }

  /** Every record, written or buffered. */
  get count(): number {
    return this.written + this.buffered / this.recordBytes;
  }

  private get diskBytes(): number {
    return this.written * this.recordBytes;
  }

  /**
   * Makes the checksums agree with the bytes on disk after an open or a truncation: those of blocks no longer full
   * are dropped, and a block written whole whose checksum a crash kept from being written gets it from its bytes.
   */
  private settle(): void {
    const full = Math.floor(this.diskBytes / BLOCK_BYTES);
    if (this.crcs.length > full) this.crcs.length = full;
    // Only the checksums added here are written: the file already holds the others.
    const added = this.crcs.length;
    const block = Buffer.alloc(BLOCK_BYTES);
    while (this.crcs.length < full) {
      readRange(this.fd, this.path, block, this.crcs.length * BLOCK_BYTES);
      this.crcs.push(crc32(block));
    }
    fs.ftruncateSync(this.crcFd, added * CRC_BYTES);
    this.writeCrcs(added);
    const tail = Buffer.alloc(this.diskBytes - full * BLOCK_BYTES);
    readRange(this.fd, this.path, tail, full * BLOCK_BYTES);
    this.tailCrc = crc32(tail);
    this.checked = this.checked.slice(0, full);
  }

  /** Writes the checksums of full blocks from `from` on into the checksum file. */
  private writeCrcs(from: number): void {
    if (from >= this.crcs.length) return;
    const bytes = Buffer.alloc((this.crcs.length - from) * CRC_BYTES);
    for (let index = from; index < this.crcs.length; index += 1)
      bytes.writeUInt32LE(this.crcs[index] as number, (index - from) * CRC_BYTES);
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(this.crcFd, bytes, done, bytes.length - done, from * CRC_BYTES + done);
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
    const start = this.diskBytes;
    let done = 0;
    while (done < this.buffered) done += fs.writeSync(this.fd, this.buffer, done, this.buffered - done, start + done);
    // The checksums follow the bytes: a crash between the two leaves a full block without one, which settle() mends.
    const firstNew = this.crcs.length;
    let at = 0;
    while (at < this.buffered) {
      const inBlock = (start + at) % BLOCK_BYTES;
      const take = Math.min(BLOCK_BYTES - inBlock, this.buffered - at);
      this.tailCrc = crc32(this.buffer.subarray(at, at + take), this.tailCrc);
      at += take;
      if (inBlock + take === BLOCK_BYTES) {
        this.crcs.push(this.tailCrc);
        this.tailCrc = 0;
      }
    }
    this.writeCrcs(firstNew);
    this.written += this.buffered / this.recordBytes;
    this.buffered = 0;
  }

  /**
   * Records [from, to), read after flushing what is buffered, into memory of its own (typed-array views of the records
   * need it aligned): from `pool` when given, for the caller to hand back. Throws HistoryDamagedError when a full block
   * it reads from does not match its checksum (each is checked once in a process).
   */
  read(from: number, to: number, pool?: ScratchPool): Buffer {
    this.flush();
    const bytes = Math.max(0, to - from) * this.recordBytes;
    const out = Buffer.from(pool === undefined ? new ArrayBuffer(bytes) : pool.take(bytes), 0, bytes);
    const start = from * this.recordBytes;
    if (start + bytes > this.diskBytes) throw new HistoryDamagedError(this.path, `it ends before record ${to}`);
    readRange(this.fd, this.path, out, start);
    this.check(out, start);
    return out;
  }

  /** Checks the full blocks that `bytes`, read from `start`, overlap and that were not checked yet. */
  private check(bytes: Buffer, start: number): void {
    if (bytes.length === 0) return;
    const last = Math.min(Math.floor((start + bytes.length - 1) / BLOCK_BYTES), this.crcs.length - 1);
    if (this.checked.length < this.crcs.length) {
      const grown = new Uint8Array(Math.max(this.crcs.length, this.checked.length * 2));
      grown.set(this.checked);
      this.checked = grown;
    }
    let block: Buffer | undefined;
    for (let index = Math.floor(start / BLOCK_BYTES); index <= last; index += 1) {
      if (this.checked[index] === 1) continue;
      const blockStart = index * BLOCK_BYTES;
      let content: Buffer;
      if (blockStart >= start && blockStart + BLOCK_BYTES <= start + bytes.length)
        content = bytes.subarray(blockStart - start, blockStart - start + BLOCK_BYTES);
      else {
        block ??= Buffer.alloc(BLOCK_BYTES);
        readRange(this.fd, this.path, block, blockStart);
        content = block;
      }
      if (crc32(content) !== this.crcs[index]) throw new HistoryDamagedError(this.path, `block ${index} does not match its checksum`);
      this.checked[index] = 1;
    }
  }

  /**
   * Checks every full block not checked yet, a few at a time between yields (the history's check after start): reads
   * then find them checked and pay nothing. Throws HistoryDamagedError as read() does.
   */
  *checkAll(): Generator<void, void, void> {
    this.flush();
    const step = 16;
    // One megabyte, read into again and again (a fresh one a step was garbage the size of the file).
    const buffer = Buffer.alloc(step * BLOCK_BYTES);
    for (let first = 0; first < this.crcs.length; first += step) {
      const last = Math.min(first + step, this.crcs.length);
      if (this.checked.length >= last && this.checked.subarray(first, last).every((checked) => checked === 1)) continue;
      const bytes = buffer.subarray(0, (last - first) * BLOCK_BYTES);
      readRange(this.fd, this.path, bytes, first * BLOCK_BYTES);
      this.check(bytes, first * BLOCK_BYTES);
      yield;
    }
  }

  /** Keeps the first `count` records. */
  truncate(count: number): void {
    this.flush();
    fs.ftruncateSync(this.fd, count * this.recordBytes);
    this.written = count;
    this.settle();
  }

  close(): void {
    try {
      this.flush();
    } finally {
      fs.closeSync(this.fd);
      fs.closeSync(this.crcFd);
    }
  }
}
