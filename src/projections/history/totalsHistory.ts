// The history of the totals: what every event changed in them, on disk, so the totals as of any moment are a base
// read back and a few thousand changes applied, instead of a rebuild from the first event (issue 21).
//
// Four things are kept in <DATA_DIR>/history, each append-only:
// - events.bin, one 40-byte record per event folded (every event, not only the totals'): its position, the latest
//   recordedAt up to it, and where its changes end in the two files below;
// - cells.bin, one 16-byte record per change to a cell's sum and counts, and <CURRENCY>.bin, one per change to a
//   cell's sum converted into that currency (at the rate in force then: a newly recorded rate adds the corrections of
//   the rows it re-prices), so a query reads only the changes it needs;
// - slots.bin, one 16-byte record per contribution slot an event changed (its rows, date and currency as they became);
// - rates.jsonl, every exchange rate recorded, with the event that recorded it;
// and, every `baseEvery` events, a base: every cell's figures, every slot and each target's converted sums as they
// stood (bases/<events>/). A past state is the nearest base at or before it with the changes after it applied in order:
// the same operations a rebuild does, so the same figures.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { convertSafeMinor, CURRENCY_CODES, type CurrencyCode } from '../../domain/money.js';
import { publicMessage } from '../../domain/publicMessage.js';
import { recordedAtOf, type Position, type RecordedEvent } from '../../store/port.js';
import { comparePositions } from '../../store/position.js';
import { uint16Column, uint32Column } from '../models/columns.js';
import { CellTable, type CellFigures } from '../models/totals/cells.js';
import { announcementIdOf, rateIn, rateKeyOf, slotRate } from '../models/totals/contribution.js';
import { ConvertedCells } from '../models/totals/convertedCells.js';
import { RateBook, type AppliedRate, type RateRecord } from '../models/totals/rateBook.js';
import type { Contributions, Conversion, StageIndex, TotalsRecorder, TotalsState } from '../models/totals/state.js';
import { Base, writeBase } from './bases.js';
import { HistoryDamagedError, RecordFile } from './recordFile.js';
import { scratch, zeroed, type ScratchPool } from '../../runtime/scratch.js';

const EVENT_BYTES = 40;
/**
 * One event record in this many is kept in memory to find a moment by default (TotalsHistory.samples): about 4,000
 * records at a million events, and a 10 KB block read per moment (1,024 read 40 KB, about a millisecond more a moment).
 */
const SAMPLE_EVERY = 256;
/** Blocks whose first records one read brings, when the samples catch up with the file: 4 MiB a read. */
const SAMPLES_PER_READ = 400;
const DELTA_BYTES = 16;
const SLOT_BYTES = 16;

/** The currencies a query can convert into; each has its converted sums kept. */
const TARGETS: readonly CurrencyCode[] = CURRENCY_CODES;
/** The change files: the cells', then one per target currency (file 1 + target). */
const CELLS_FILE = 0;
const targetFile = (target: number): number => 1 + target;
/** Kinds of change in a target's file: its converted sum, or an announcement no rate converts (value: the slot). */
const CONVERTED = 1;
const UNCONVERTED = 2;
const NEGATIVE = 1;
const FIRST = 2;

/** Changes read back as columns over one buffer. */
interface Changes {
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
  readonly values: Float64Array;
  readonly records: number;
}

/** Where a moment falls in the history: how many events it covers, the last one's position, and whether more came after. */
export interface HistoryMoment {
  readonly count: number;
  readonly position: Position | undefined;
  /** True when no event after the moment is recorded yet, so a later one may still fall in it (a time moment). */
  readonly open: boolean;
}

interface EventRecord {
  readonly position: Position;
  readonly timeMax: number;
  /** Where this event's changes end in each change file, and in slots.bin. */
  readonly changesEnd: readonly number[];
  readonly slotsEnd: number;
}

const NOTHING: Pick<EventRecord, 'changesEnd' | 'slotsEnd'> = { changesEnd: [0, ...TARGETS.map(() => 0)], slotsEnd: 0 };

/** 40 bytes: position (commit, prepare), latest time, then four 32-bit ends: slots, cells, each target. */
function readEvent(buffer: Buffer): EventRecord {
  return {
    position: { commit: buffer.readBigUInt64LE(0), prepare: buffer.readBigUInt64LE(8) },
    timeMax: buffer.readDoubleLE(16),
    slotsEnd: buffer.readUInt32LE(24),
    changesEnd: [0, ...TARGETS].map((_, file) => buffer.readUInt32LE(28 + file * 4)),
  };
}

/** Splits a converted amount past 2^53 into safe parts whose sum is exact (ConvertedCells adds them exactly). */
function safeParts(value: number | bigint): number[] {
  if (typeof value === 'number') return [value];
  const parts: number[] = [];
  const step = BigInt(Number.MAX_SAFE_INTEGER);
  let left = value;
  while (left > step || left < -step) {
    const part = left > 0n ? step : -step;
    parts.push(Number(part));
    left -= part;
  }
  parts.push(Number(left));
  return parts;
}

/**
 * Changes applied per call of the functions below: V8 optimises a function called many times sooner and better than
 * one long loop run once per request (as-of answers spent 40 ns a change in such a loop).
 */
const CHANGES_PER_CALL = 4096;

/** Calls `apply` on runs of CHANGES_PER_CALL records of `records`: first to last (direction 1) or last to first (-1). */
function inRuns(records: number, direction: 1 | -1, apply: (from: number, to: number) => void): void {
  if (direction === 1) for (let from = 0; from < records; from += CHANGES_PER_CALL) apply(from, Math.min(from + CHANGES_PER_CALL, records));
  else for (let to = records; to > 0; to -= CHANGES_PER_CALL) apply(Math.max(0, to - CHANGES_PER_CALL), to);
}

/** The highest cell a run of changes names; -1 for none. */
function highestCell({ words, records }: Changes): number {
  let highest = -1;
  for (let record = 0; record < records; record += 1)
    if ((words[record * 4 + 1] as number) > highest) highest = words[record * 4 + 1] as number;
  return highest;
}

/**
 * Applies cell changes [from, to) to a past state's figures (direction 1), or undoes them, the last first, each with
 * its sign turned (-1).
 */
function applyCellChanges(
  figures: { readonly allocations: Uint32Array; readonly announcements: Uint32Array; readonly sums: Float64Array },
  overflow: Map<number, bigint>,
  { bytes, words, values }: Changes,
  from: number,
  to: number,
  direction: 1 | -1,
): void {
  const turn = direction === 1 ? 0 : NEGATIVE;
  for (let index = 0; index < to - from; index += 1) {
    const record = direction === 1 ? from + index : to - 1 - index;
    CellTable.applyToFigures(
      figures,
      overflow,
      words[record * 4 + 1] as number,
      values[record * 2 + 1] as number,
      (bytes[record * DELTA_BYTES + 1] as number) ^ turn,
    );
  }
}

/**
 * Applies a target's changes [from, to) to a past state's converted sums (direction 1), or undoes them, the last
 * first (-1).
 */
function applyConvertedChanges(
  converted: ConvertedCells,
  live: TotalsState,
  { bytes, words, values }: Changes,
  from: number,
  to: number,
  direction: 1 | -1,
): void {
  const forward = direction === 1;
  for (let index = 0; index < to - from; index += 1) {
    const record = forward ? from + index : to - 1 - index;
    const sign = ((bytes[record * DELTA_BYTES + 1] as number) & NEGATIVE ? -1 : 1) * direction;
    const cell = words[record * 4 + 1] as number;
    const value = values[record * 2 + 1] as number;
    if (bytes[record * DELTA_BYTES] === CONVERTED) converted.add(cell, value, sign as 1 | -1);
    else converted.markUnconverted(cell, announcementIdOf(live, value), sign as 1 | -1);
  }
}

export class TotalsHistory implements TotalsRecorder {
  private readonly events: RecordFile;
  /** The cells' changes, then each target's (CELLS_FILE, targetFile()). */
  private readonly changes: readonly RecordFile[];
  private readonly slots: RecordFile;
  private readonly ratesPath: string;
  private rates: { readonly index: number; readonly record: RateRecord }[];
  private bases: number[];
  private readonly dirty = new Set<number>();
  private timeMax = Number.NEGATIVE_INFINITY;
  /** Per target: the rate each (currency, day) of a live row was converted at; what a newly recorded rate is compared with. */
  private readonly rateCaches = TARGETS.map(() => new Map<number, AppliedRate | null>());
  private failure: Error | undefined;
  /** Set by close(): a check still running stops at its next step. */
  private closed = false;
  /** Base files whose checksums this process has checked (each is checked on its first read). */
  private readonly checkedBases = new Set<string>();
  /** Every sampleEvery-th event record (samples()). */
  private readonly sampled: EventRecord[] = [];
  /** Past rate books by how many rates they hold, most recently used last (ratesAt). */
  private readonly pastRates = new Map<number, PastRates>();

  private constructor(
    private readonly directory: string,
    private readonly logger: Logger,
    private readonly baseEvery: number,
    private readonly sampleEvery: number,
  ) {
    fs.mkdirSync(path.join(directory, 'bases'), { recursive: true, mode: 0o700 });
    this.events = new RecordFile(path.join(directory, 'events.bin'), EVENT_BYTES);
    this.changes = ['cells', ...TARGETS].map((name) => new RecordFile(path.join(directory, `${name}.bin`), DELTA_BYTES));
    this.slots = new RecordFile(path.join(directory, 'slots.bin'), SLOT_BYTES);
    this.ratesPath = path.join(directory, 'rates.jsonl');
    this.rates = fs.existsSync(this.ratesPath)
      ? fs
          .readFileSync(this.ratesPath, 'utf8')
          .split('\n')
          .filter((line) => line.endsWith('}'))
          .map((line) => JSON.parse(line) as { index: number; record: RateRecord })
      : [];
    this.bases = fs
      .readdirSync(path.join(directory, 'bases'))
      .filter((name) => /^[0-9]+$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  }

  /**
   * `baseEvery`: a base every this many events (the service's HISTORY_BASE_EVERY_EVENTS, whose default config.ts owns:
   * 50,000, twenty bases of 2 to 17 MB at a million events). `sampleEvery`: one event record in this many is kept in
   * memory to find a moment (tests make it small).
   */
  static open(directory: string, logger: Logger, baseEvery: number, sampleEvery = SAMPLE_EVERY): TotalsHistory {
    return new TotalsHistory(directory, logger, baseEvery, sampleEvery);
  }

  /** Events recorded. */
  get count(): number {
    return this.events.count;
  }

  /** Whether the history answers: false once a write failed (a full disk), until a start rebuilds it. */
  get available(): boolean {
    return this.failure === undefined;
  }

  /**
   * Cuts the history back to the first `count` events, the last of them at `position` (a snapshot's): true when it
   * reaches that far and agrees, false when it cannot serve that snapshot (then the projections start from the first
   * event and reset() it).
   */
  alignTo(count: number, position: Position): boolean {
    if (count === 0 || this.events.count < count || fs.existsSync(this.brokenMarker)) return false;
    let last: EventRecord;
    try {
      last = readEvent(this.events.read(count - 1, count));
    } catch (error) {
      if (!(error instanceof HistoryDamagedError)) throw error;
      this.logger.warn({ reason: publicMessage(error) }, 'the history of the totals is damaged: the projections rebuild it');
      return false;
    }
    if (comparePositions(last.position, position) !== 0) return false;
    if (last.slotsEnd > this.slots.count || this.changes.some((file, index) => (last.changesEnd[index] as number) > file.count))
      return false;
    this.events.truncate(count);
    this.sampled.length = Math.min(this.sampled.length, Math.ceil(count / this.sampleEvery));
    this.changes.forEach((file, index) => file.truncate(last.changesEnd[index] as number));
    this.slots.truncate(last.slotsEnd);
    this.rates = this.rates.filter((rate) => rate.index < count);
    this.pastRates.clear();
    fs.writeFileSync(this.ratesPath, this.rates.map((rate) => `${JSON.stringify(rate)}\n`).join(''), { mode: 0o600 });
    for (const base of this.bases.filter((index) => index > count)) this.removeBase(base);
    this.bases = this.bases.filter((index) => index <= count);
    this.timeMax = last.timeMax;
    return true;
  }

  /** Empties the history: the projections are about to fold every event from the first. */
  reset(): void {
    this.events.truncate(0);
    this.sampled.length = 0;
    for (const file of this.changes) file.truncate(0);
    this.slots.truncate(0);
    this.rates = [];
    this.pastRates.clear();
    fs.writeFileSync(this.ratesPath, '', { mode: 0o600 });
    for (const base of this.bases) this.removeBase(base);
    this.bases = [];
    this.timeMax = Number.NEGATIVE_INFINITY;
    fs.rmSync(this.brokenMarker, { force: true });
  }

  /**
   * Checks the whole history against its checksums as steps (run in slices after start, so as-of answers do not pay
   * for the first read of each block and base): a damaged part stops the history, as a read that finds it does.
   */
  *checkAll(): Generator<void, void, void> {
    const stopped = (): boolean => this.closed || this.failure !== undefined;
    try {
      for (const file of [this.events, ...this.changes, this.slots]) {
        // Stepped by hand, so a close between two steps ends the file's check (and its read) before the next.
        for (const _ of file.checkAll()) {
          if (stopped()) return;
          yield;
        }
      }
      for (const index of [...this.bases]) {
        if (!this.bases.includes(index)) continue;
        for (const _ of new Base(path.join(this.directory, 'bases', String(index)), this.checkedBases).checkAll()) {
          if (stopped()) return;
          yield;
        }
      }
    } catch (error) {
      if (stopped()) return;
      if (!(error instanceof HistoryDamagedError)) throw error;
      this.damaged(error);
    }
  }

  /** Starts following a live state (restored or new): learns the rate each live row was converted at. */
  attach(state: TotalsState): void {
    const c = state.contributions;
    for (let slot = 0; slot < c.ids.length; slot += 1) {
      if (c.rowCount.get(slot) > 0) for (let target = 0; target < TARGETS.length; target += 1) this.rateFor(state, target, slot);
    }
    state.recorder = this;
  }

  contributed(state: TotalsState, slot: number, sign: 1 | -1): void {
    if (this.failure !== undefined) return;
    this.guard(() => {
      this.dirty.add(slot);
      const c = state.contributions;
      const first = c.firstRow.get(slot);
      const end = first + c.rowCount.get(slot);
      for (let row = first; row < end; row += 1) {
        const cell = c.rowCells.get(row);
        const minor = c.rowMinors.get(row);
        this.delta(CELLS_FILE, 0, sign, row === first, cell, minor);
        for (let target = 0; target < TARGETS.length; target += 1) this.convertedDelta(state, target, slot, row, sign);
      }
    });
  }

  rateRecorded(state: TotalsState, record: RateRecord): void {
    if (this.failure !== undefined) return;
    this.guard(() => {
      const rate = { index: this.events.count, record };
      this.rates.push(rate);
      fs.appendFileSync(this.ratesPath, `${JSON.stringify(rate)}\n`, { mode: 0o600 });
      for (let target = 0; target < TARGETS.length; target += 1) this.reprice(state, target);
    });
  }

  /** After every projection applied `event`: closes its record. Every event, so a position maps to a count. */
  eventFolded(event: RecordedEvent, state: TotalsState): void {
    if (this.failure !== undefined) return;
    this.guard(() => {
      const c = state.contributions;
      for (const slot of this.dirty) {
        const { buffer, offset } = this.slots.next();
        buffer.writeUInt32LE(slot, offset);
        buffer.writeUInt32LE(c.firstRow.get(slot), offset + 4);
        buffer.writeUInt32LE(c.days.get(slot), offset + 8);
        buffer.writeUInt16LE(c.currencies.get(slot), offset + 12);
        buffer.writeUInt16LE(c.rowCount.get(slot), offset + 14);
      }
      this.dirty.clear();
      const time = Date.parse(String(recordedAtOf(event)));
      // An event without a readable time never ends a time moment (as the rebuild's fold never stops at it).
      if (time > this.timeMax) this.timeMax = time;
      const { buffer, offset } = this.events.next();
      buffer.writeBigUInt64LE(event.position.commit, offset);
      buffer.writeBigUInt64LE(event.position.prepare, offset + 8);
      buffer.writeDoubleLE(this.timeMax, offset + 16);
      buffer.writeUInt32LE(this.slots.count, offset + 24);
      this.changes.forEach((file, index) => buffer.writeUInt32LE(file.count, offset + 28 + index * 4));
      if (this.events.count % this.baseEvery === 0) this.writeBase(state);
    });
  }

  /** Writes what is buffered; before a snapshot is saved, so the history always reaches the snapshot. */
  flush(): void {
    if (this.failure !== undefined) return;
    this.guard(() => {
      // Changes before the events that end them: an event record never points past what is on disk.
      this.flushFiles();
    });
  }

  close(): void {
    this.closed = true;
    this.flush();
    for (const file of [...this.changes, this.slots, this.events]) {
      try {
        file.close();
      } catch {
        // Already reported by flush(); the next start finds the history short and rebuilds it.
      }
    }
  }

  /**
   * The moment a position or time names: the events at or before the position, or those before the first event
   * recorded after the time (as a rebuild's fold stops).
   */
  resolve(moment: { readonly position: Position } | { readonly time: string }): HistoryMoment {
    const total = this.events.count;
    const limit = 'time' in moment ? Date.parse(moment.time) : undefined;
    const after = (record: EventRecord): boolean =>
      limit === undefined ? comparePositions(record.position, (moment as { position: Position }).position) > 0 : record.timeMax > limit;
    // Positions and latest times only grow with the index, so `after` is false, then true. First the block, among the
    // records kept in memory (one every sampleEvery), then the record, in that block read at once.
    const samples = this.samples();
    let block = 0;
    let high = samples.length;
    while (block < high) {
      const middle = (block + high) >>> 1;
      if (after(samples[middle] as EventRecord)) high = middle;
      else block = middle + 1;
    }
    // The record at (block - 1) * sampleEvery is not after: the first that is lies in the block after it.
    const from = block === 0 ? 0 : (block - 1) * this.sampleEvery + 1;
    const to = Math.min(block * this.sampleEvery, total);
    const records = this.events.read(from, to);
    let low = from;
    high = to;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (after(readEvent(records.subarray((middle - from) * EVENT_BYTES, (middle - from + 1) * EVENT_BYTES)))) high = middle;
      else low = middle + 1;
    }
    if (block === 0) low = 0;
    const last =
      low === 0
        ? undefined
        : low - 1 >= from
          ? readEvent(records.subarray((low - 1 - from) * EVENT_BYTES, (low - from) * EVENT_BYTES))
          : (samples[block - 1] as EventRecord);
    return { count: low, position: last?.position, open: low === total };
  }

  /**
   * Every sampleEvery-th event record, kept in memory (about 4,000 at a million events), brought up to date with the file:
   * a moment is then one bisection in memory and one read of a block, not a read per step of a bisection on disk.
   */
  private samples(): readonly EventRecord[] {
    const total = this.events.count;
    const wanted = Math.ceil(total / this.sampleEvery);
    while (this.sampled.length < wanted) {
      // Read in runs of up to SAMPLES_PER_READ blocks, keeping the first record of each.
      const first = this.sampled.length;
      const last = Math.min(wanted, first + SAMPLES_PER_READ);
      const buffer = this.events.read(first * this.sampleEvery, Math.min((last - 1) * this.sampleEvery + 1, total));
      for (let sample = first; sample < last; sample += 1) {
        const at = (sample - first) * this.sampleEvery * EVENT_BYTES;
        this.sampled.push(readEvent(buffer.subarray(at, at + EVENT_BYTES)));
      }
    }
    return this.sampled;
  }

  /**
   * The totals right after the first `count` events, beside the live state (whose keys, ids and rows it shares). Its
   * arrays come from `pool`: release() hands them back once nothing reads the state any more.
   */
  stateAt(count: number, live: TotalsState, pool: ScratchPool = scratch): PastTotalsState {
    const baseCount = this.bases.filter((index) => index <= count).pop() ?? 0;
    const base = new Base(baseCount === 0 ? undefined : path.join(this.directory, 'bases', String(baseCount)), this.checkedBases);
    const from = baseCount === 0 ? NOTHING : readEvent(this.events.read(baseCount - 1, baseCount));
    const to = count === 0 ? NOTHING : readEvent(this.events.read(count - 1, count));
    // The sums and counts (not the slots, whose changes record only what they became) can also be had from the next
    // base, with the changes between undone in reverse order: then from whichever base is nearer, which halves the
    // changes a past state applies on average.
    const nextCount = this.bases.find((index) => index > count);
    const backward = nextCount !== undefined && nextCount - count < count - baseCount;
    const direction = backward ? -1 : 1;
    const sumsBase = backward ? new Base(path.join(this.directory, 'bases', String(nextCount)), this.checkedBases) : base;
    const sumsFrom = backward ? to : from;
    const sumsTo = backward ? readEvent(this.events.read(nextCount - 1, nextCount)) : to;
    const owned: ArrayBuffer[] = [];
    const own = <T extends { readonly buffer: ArrayBufferLike }>(array: T): T => {
      owned.push(array.buffer as ArrayBuffer);
      return array;
    };
    /** A file's changes between the moment and the base its sums come from, in a pooled buffer handed back after `apply`. */
    const withChanges = (file: number, apply: (changes: Changes) => void): void => {
      const buffer = (this.changes[file] as RecordFile).read(sumsFrom.changesEnd[file] as number, sumsTo.changesEnd[file] as number, pool);
      // The records as columns: a kind and flags byte, a cell number, a value (16 bytes: the value 8-byte aligned).
      try {
        apply({
          bytes: new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length),
          words: new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length / 4),
          values: new Float64Array(buffer.buffer, buffer.byteOffset, buffer.length / 8),
          records: buffer.length / DELTA_BYTES,
        });
      } finally {
        pool.give(buffer.buffer as ArrayBuffer);
      }
    };

    // The cells there were at the moment (cells are only ever added): those of the base and any a change names since.
    // Queries walk only these, a past state being on average half as far into the ledger as the live one. From the
    // next base, its cells: those made after the moment are empty once the changes are undone. The arrays hold no
    // more (none past them has figures), so there is less to read, zero and walk.
    let cellCount = sumsBase.cellCount;
    let figures: CellFigures | undefined;
    const overflow = new Map<number, bigint>();
    withChanges(CELLS_FILE, (changes) => {
      if (!backward) cellCount = Math.max(cellCount, highestCell(changes) + 1);
      figures = sumsBase.cells(cellCount, pool);
      for (const array of [figures.allocations, figures.announcements, figures.sums]) own(array);
      for (const [cell, value] of figures.overflow) overflow.set(cell, value);
      const read = figures;
      inRuns(changes.records, direction, (from, to) => applyCellChanges(read, overflow, changes, from, to, direction));
    });
    const made = figures as CellFigures;
    const cells = live.cells.withFigures({ ...made, overflow: [...overflow] });
    const rates = this.ratesAt(count);
    const book = rates.book;

    let contributions: Contributions | undefined;
    const pastContributions = (): Contributions => {
      if (contributions !== undefined) return contributions;
      const changes = this.slots.read(from.slotsEnd, to.slotsEnd, pool);
      // Four 32-bit words a record (little-endian): slot, first row, day, then currency and row count as 16 bits each.
      const words = new Uint32Array(changes.buffer, changes.byteOffset, changes.length / 4);
      // As with cells: the slots there were at the moment, those of the base and any changed since, and no more.
      let slotCount = base.slotCount;
      for (let word = 0; word < words.length; word += SLOT_BYTES / 4)
        if ((words[word] as number) >= slotCount) slotCount = (words[word] as number) + 1;
      const columns = base.slots(slotCount, pool);
      for (const array of Object.values(columns)) own(array);
      const { days, firstRow, currencies, rowCount } = columns;
      for (let word = 0; word < words.length; word += SLOT_BYTES / 4) {
        const slot = words[word] as number;
        firstRow[slot] = words[word + 1] as number;
        days[slot] = words[word + 2] as number;
        currencies[slot] = (words[word + 3] as number) & 0xffff;
        rowCount[slot] = (words[word + 3] as number) >>> 16;
      }
      pool.give(changes.buffer as ArrayBuffer);
      const now = live.contributions;
      contributions = {
        // The slots made since are in the live index with no rows here; the length stays what it was when asked.
        ids: Object.create(now.ids, { length: { value: slotCount } }) as Contributions['ids'],
        days: uint32Column(days),
        currencies: uint16Column(currencies),
        split: uint16Column(own(zeroed(pool, Uint16Array, slotCount))),
        firstRow: uint32Column(firstRow),
        rowCount: uint16Column(rowCount),
        // Rows are never rewritten (an amendment writes new ones): the live columns hold every row a past slot names.
        rowCells: now.rowCells,
        rowMinors: now.rowMinors,
      };
      return contributions;
    };

    const conversionOf = (target: CurrencyCode): Conversion | undefined => {
      const index = TARGETS.indexOf(target);
      if (index < 0) return undefined;
      const stored = sumsBase.converted(target, cellCount, pool);
      own(stored.sums);
      const converted = new ConvertedCells(stored);
      withChanges(targetFile(index), (changes) => {
        inRuns(changes.records, direction, (from, to) => applyConvertedChanges(converted, live, changes, from, to, direction));
      });
      let on = rates.on.get(target);
      if (on === undefined) rates.on.set(target, (on = new RatesOn(book, target, live.cells)));
      return { cells: converted, rates: on };
    };

    return new PastTotalsState(cells, live.stages, book, pastContributions, conversionOf, () => {
      for (const buffer of owned.splice(0)) pool.give(buffer);
    });
  }

  /**
   * The rate book of the first `count` events, with each target's rates looked up in it so far: kept for the last few
   * numbers of rates recorded (rates are few and far between, so most moments share one), since looking up the rate
   * of every day a query's rows fall on cost more than the rest of a converted past answer.
   */
  private ratesAt(count: number): PastRates {
    let recorded = 0;
    while (recorded < this.rates.length && (this.rates[recorded] as { index: number }).index < count) recorded += 1;
    let rates = this.pastRates.get(recorded);
    if (rates === undefined) {
      const book = new RateBook();
      for (const rate of this.rates.slice(0, recorded)) book.record(rate.record);
      rates = { book, on: new Map() };
      if (this.pastRates.size >= PAST_RATES_KEPT) this.pastRates.delete(this.pastRates.keys().next().value as number);
    } else this.pastRates.delete(recorded);
    this.pastRates.set(recorded, rates);
    return rates;
  }

  private get brokenMarker(): string {
    return path.join(this.directory, 'BROKEN');
  }

  private guard(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.stop(error, 'the history of the totals stopped recording; as-of answers rebuild from checkpoints until the service restarts');
    }
  }

  /**
   * A read found part of the history damaged (HistoryDamagedError): it stops answering, as after a failed write, and
   * the next start rebuilds it from the events.
   */
  damaged(error: Error): void {
    if (this.failure !== undefined) return;
    this.stop(error, 'the history of the totals is damaged; as-of answers rebuild from checkpoints until a restart rebuilds it');
  }

  /** Stops the history (logged once): marked broken on disk, so the next start rebuilds it. */
  private stop(error: unknown, message: string): void {
    this.failure = error as Error;
    try {
      fs.writeFileSync(this.brokenMarker, publicMessage(error));
    } catch {
      // A full disk may refuse even this: the next start then finds the history short of the snapshot.
    }
    this.logger.warn({ reason: publicMessage(error) }, message);
  }

  private delta(file: number, kind: number, sign: 1 | -1, first: boolean, cell: number, value: number): void {
    const { buffer, offset } = (this.changes[file] as RecordFile).next();
    buffer[offset] = kind;
    buffer[offset + 1] = (sign === -1 ? NEGATIVE : 0) | (first ? FIRST : 0);
    buffer.writeUInt16LE(0, offset + 2);
    buffer.writeUInt32LE(cell, offset + 4);
    buffer.writeDoubleLE(value, offset + 8);
  }

  /** The rate a slot's rows convert at into a target, as the live conversion would find it; null when none applies. */
  private rateFor(state: TotalsState, target: number, slot: number): AppliedRate | null {
    return slotRate(this.rateCaches[target] as Map<number, AppliedRate | null>, state, slot, TARGETS[target] as CurrencyCode);
  }

  /** One row converted into a target at `rate` (as contribution.ts's addConverted), written as a change. */
  private writeConverted(state: TotalsState, target: number, slot: number, row: number, sign: 1 | -1, rate: AppliedRate | null): void {
    const c = state.contributions;
    const cell = c.rowCells.get(row);
    const minor = c.rowMinors.get(row);
    const currency = state.cells.dictionaries.currencies.valueOf(c.currencies.get(slot)) as CurrencyCode;
    const to = TARGETS[target] as CurrencyCode;
    if (currency === to) {
      this.delta(targetFile(target), CONVERTED, sign, false, cell, minor);
      return;
    }
    if (rate === null) {
      this.delta(targetFile(target), UNCONVERTED, sign, false, cell, slot);
      return;
    }
    for (const part of safeParts(convertSafeMinor(minor, currency, to, rate.rate)))
      this.delta(targetFile(target), CONVERTED, sign, false, cell, part);
  }

  private convertedDelta(state: TotalsState, target: number, slot: number, row: number, sign: 1 | -1): void {
    const currency = state.cells.dictionaries.currencies.valueOf(state.contributions.currencies.get(slot));
    this.writeConverted(state, target, slot, row, sign, currency === TARGETS[target] ? null : this.rateFor(state, target, slot));
  }

  /**
   * After a rate is recorded: every (currency, day) whose rate into the target changed has its live rows taken out at
   * the old rate and put back at the new one. Most rates are recorded for dates no row has yet, and cost nothing.
   */
  private reprice(state: TotalsState, target: number): void {
    const cache = this.rateCaches[target] as Map<number, AppliedRate | null>;
    const changed = new Map<number, { readonly before: AppliedRate | null; readonly after: AppliedRate | null }>();
    const to = TARGETS[target] as CurrencyCode;
    for (const [key, before] of cache) {
      const after = rateIn(state.rates, state.cells.dictionaries.currencies, key, to);
      if (after?.record !== before?.record || after?.inverse !== before?.inverse) changed.set(key, { before, after });
    }
    if (changed.size === 0) return;
    const c = state.contributions;
    for (let slot = 0; slot < c.ids.length; slot += 1) {
      const count = c.rowCount.get(slot);
      if (count === 0) continue;
      const change = changed.get(rateKeyOf(c.currencies.get(slot), c.days.get(slot)));
      if (change === undefined) continue;
      const first = c.firstRow.get(slot);
      for (let row = first; row < first + count; row += 1) {
        this.writeConverted(state, target, slot, row, -1, change.before);
        this.writeConverted(state, target, slot, row, 1, change.after);
      }
    }
    for (const [key, { after }] of changed) cache.set(key, after);
  }

  /**
   * Keeps every figure as it stands after this event, so a past state starts from here rather than from nothing. It runs
   * in the fold, so it writes from the live state's own arrays (they are the figures after this event, and nothing
   * changes them until it returns): only the converted sums, which the live state keeps only for a query, come from the
   * history's past state.
   */
  private writeBase(state: TotalsState): void {
    const count = this.events.count;
    const cells = state.cells.figureViews();
    const c = state.contributions;
    const past = this.stateAt(count, state);
    const directory = path.join(this.directory, 'bases', String(count));
    const making = `${directory}.making`;
    fs.rmSync(making, { recursive: true, force: true });
    try {
      const converted = new Map(
        TARGETS.map((target) => {
          const stored = (past.conversions.get(target) as Conversion).cells.toStored();
          // One converted sum per cell, as the base's column is read back.
          const length = cells.sums.length;
          let sums = stored.sums.subarray(0, length);
          if (sums.length < length) (sums = new Float64Array(length)).set(stored.sums);
          return [target, { ...stored, sums }] as const;
        }),
      );
      writeBase(making, {
        cells,
        slots: { days: c.days.used(), firstRow: c.firstRow.used(), currencies: c.currencies.used(), rowCount: c.rowCount.used() },
        converted,
      });
    } finally {
      past.release();
    }
    // The base's changes must be on disk before the base says it stands for them.
    this.flushFiles();
    fs.rmSync(directory, { recursive: true, force: true });
    fs.renameSync(making, directory);
    this.bases.push(count);
  }

  private flushFiles(): void {
    for (const file of this.changes) file.flush();
    this.slots.flush();
    this.events.flush();
  }

  private removeBase(index: number): void {
    fs.rmSync(path.join(this.directory, 'bases', String(index)), { recursive: true, force: true });
    // A base written again under this number is checked again.
    this.checkedBases.clear();
  }
}

/** Past rate books kept (TotalsHistory.ratesAt). */
const PAST_RATES_KEPT = 8;

interface PastRates {
  readonly book: RateBook;
  readonly on: Map<CurrencyCode, RatesOn>;
}

/** A past conversion's rates, looked up in the past rate book on first use (what answers cite). */
class RatesOn extends Map<number, AppliedRate | null> {
  constructor(
    private readonly book: RateBook,
    private readonly target: CurrencyCode,
    private readonly cells: CellTable,
  ) {
    super();
  }

  override get(key: number): AppliedRate | null | undefined {
    if (!super.has(key)) super.set(key, rateIn(this.book, this.cells.dictionaries.currencies, key, this.target));
    return super.get(key);
  }
}

/** Converted sums built from the history on the first query that asks for a currency. */
class PastConversions extends Map<CurrencyCode, Conversion> {
  constructor(private readonly build: (target: CurrencyCode) => Conversion | undefined) {
    super();
  }

  override get(target: CurrencyCode): Conversion | undefined {
    if (!super.has(target)) {
      const conversion = this.build(target);
      if (conversion === undefined) return undefined;
      super.set(target, conversion);
    }
    return super.get(target);
  }
}

/** A TotalsState as it stood: queries read it as they read the live one. */
export class PastTotalsState implements TotalsState {
  readonly conversions: Map<CurrencyCode, Conversion>;

  constructor(
    readonly cells: CellTable,
    readonly stages: StageIndex,
    readonly rates: RateBook,
    private readonly contributionsOf: () => Contributions,
    conversionOf: (target: CurrencyCode) => Conversion | undefined,
    /** Hands its arrays back to the pool they came from: the state must not be read afterwards. */
    readonly release: () => void,
  ) {
    this.conversions = new PastConversions(conversionOf);
  }

  get contributions(): Contributions {
    return this.contributionsOf();
  }
}
