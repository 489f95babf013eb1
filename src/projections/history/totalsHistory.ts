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
import type { Position, RecordedEvent } from '../../store/port.js';
import { comparePositions } from '../../store/position.js';
import { dayText, uint16Column, uint32Column } from '../models/columns.js';
import { CellTable } from '../models/totals/cells.js';
import { announcementIdOf, rateKeyOf } from '../models/totals/contribution.js';
import { ConvertedCells } from '../models/totals/convertedCells.js';
import { RateBook, type AppliedRate, type RateRecord } from '../models/totals/rateBook.js';
import type { Contributions, Conversion, StageIndex, TotalsRecorder, TotalsState } from '../models/totals/state.js';
import { Base, writeBase } from './bases.js';
import { RecordFile } from './recordFile.js';
import { scratch, type ScratchPool } from '../../runtime/scratch.js';

const EVENT_BYTES = 40;
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

/** A base every this many events by default: at a million events, ten of about 18 MB. */
export const DEFAULT_BASE_EVERY_EVENTS = 100_000;

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

  private constructor(
    private readonly directory: string,
    private readonly logger: Logger,
    private readonly baseEvery: number,
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

  static open(directory: string, logger: Logger, baseEvery = DEFAULT_BASE_EVERY_EVENTS): TotalsHistory {
    return new TotalsHistory(directory, logger, baseEvery);
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
    const last = readEvent(this.events.read(count - 1, count));
    if (comparePositions(last.position, position) !== 0) return false;
    if (last.slotsEnd > this.slots.count || this.changes.some((file, index) => (last.changesEnd[index] as number) > file.count))
      return false;
    this.events.truncate(count);
    this.changes.forEach((file, index) => file.truncate(last.changesEnd[index] as number));
    this.slots.truncate(last.slotsEnd);
    this.rates = this.rates.filter((rate) => rate.index < count);
    fs.writeFileSync(this.ratesPath, this.rates.map((rate) => `${JSON.stringify(rate)}\n`).join(''), { mode: 0o600 });
    for (const base of this.bases.filter((index) => index > count)) this.removeBase(base);
    this.bases = this.bases.filter((index) => index <= count);
    this.timeMax = last.timeMax;
    return true;
  }

  /** Empties the history: the projections are about to fold every event from the first. */
  reset(): void {
    this.events.truncate(0);
    for (const file of this.changes) file.truncate(0);
    this.slots.truncate(0);
    this.rates = [];
    fs.writeFileSync(this.ratesPath, '', { mode: 0o600 });
    for (const base of this.bases) this.removeBase(base);
    this.bases = [];
    this.timeMax = Number.NEGATIVE_INFINITY;
    fs.rmSync(this.brokenMarker, { force: true });
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
      const time = Date.parse(String(event.metadata.recordedAt));
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
    const after = (index: number): boolean => {
      const record = readEvent(this.events.read(index, index + 1));
      return limit === undefined
        ? comparePositions(record.position, (moment as { position: Position }).position) > 0
        : record.timeMax > limit;
    };
    let low = 0;
    let high = total;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (after(middle)) high = middle;
      else low = middle + 1;
    }
    const position = low === 0 ? undefined : readEvent(this.events.read(low - 1, low)).position;
    return { count: low, position, open: low === total };
  }

  /**
   * The totals right after the first `count` events, beside the live state (whose keys, ids and rows it shares). Its
   * arrays come from `pool`: release() hands them back once nothing reads the state any more.
   */
  stateAt(count: number, live: TotalsState, pool: ScratchPool = scratch): PastTotalsState {
    const baseCount = this.bases.filter((index) => index <= count).pop() ?? 0;
    const base = new Base(baseCount === 0 ? undefined : path.join(this.directory, 'bases', String(baseCount)));
    const from = baseCount === 0 ? NOTHING : readEvent(this.events.read(baseCount - 1, baseCount));
    const to = count === 0 ? NOTHING : readEvent(this.events.read(count - 1, count));
    const owned: ArrayBuffer[] = [];
    const own = <T extends { readonly buffer: ArrayBufferLike }>(array: T): T => {
      owned.push(array.buffer as ArrayBuffer);
      return array;
    };
    /** A file's changes between the base and the moment, read into a pooled buffer handed back after `apply`. */
    const withChanges = (file: number, apply: (changes: Changes) => void): number => {
      const buffer = (this.changes[file] as RecordFile).read(from.changesEnd[file] as number, to.changesEnd[file] as number, pool);
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
      return buffer.length / DELTA_BYTES;
    };

    const figures = base.cells(live.cells.length, pool);
    for (const array of [figures.allocations, figures.announcements, figures.sums]) own(array);
    const overflow = new Map(figures.overflow);
    // The cells there were at the moment (cells are only ever added): those of the base and any a change names since.
    // Queries walk only these, a past state being on average half as far into the ledger as the live one.
    let cellCount = base.cellCount;
    const records = withChanges(CELLS_FILE, ({ bytes, words, values, records }) => {
      for (let record = 0; record < records; record += 1) {
        const cell = words[record * 4 + 1] as number;
        if (cell >= cellCount) cellCount = cell + 1;
        CellTable.applyToFigures(figures, overflow, cell, values[record * 2 + 1] as number, bytes[record * DELTA_BYTES + 1] as number);
      }
    });
    const cells = live.cells.withFigures({
      allocations: figures.allocations.subarray(0, cellCount),
      announcements: figures.announcements.subarray(0, cellCount),
      sums: figures.sums.subarray(0, cellCount),
      overflow: [...overflow],
    });
    const book = new RateBook();
    for (const rate of this.rates) if (rate.index < count) book.record(rate.record);

    let contributions: Contributions | undefined;
    const pastContributions = (): Contributions => {
      if (contributions !== undefined) return contributions;
      const columns = base.slots(live.contributions.ids.length, pool);
      for (const array of Object.values(columns)) own(array);
      const { days, firstRow, currencies, rowCount } = columns;
      // As with cells: the slots there were at the moment, those of the base and any changed since.
      let slotCount = base.slotCount;
      const changes = this.slots.read(from.slotsEnd, to.slotsEnd, pool);
      for (let offset = 0; offset < changes.length; offset += SLOT_BYTES) {
        const slot = changes.readUInt32LE(offset);
        if (slot >= slotCount) slotCount = slot + 1;
        firstRow[slot] = changes.readUInt32LE(offset + 4);
        days[slot] = changes.readUInt32LE(offset + 8);
        currencies[slot] = changes.readUInt16LE(offset + 12);
        rowCount[slot] = changes.readUInt16LE(offset + 14);
      }
      pool.give(changes.buffer as ArrayBuffer);
      const now = live.contributions;
      contributions = {
        // The slots made since are in the live index with no rows here; the length stays what it was when asked.
        ids: Object.create(now.ids, { length: { value: slotCount } }) as Contributions['ids'],
        days: uint32Column(days.subarray(0, slotCount)),
        currencies: uint16Column(currencies.subarray(0, slotCount)),
        split: uint16Column(new Uint16Array(slotCount)),
        firstRow: uint32Column(firstRow.subarray(0, slotCount)),
        rowCount: uint16Column(rowCount.subarray(0, slotCount)),
        // Rows are never rewritten (an amendment writes new ones): the live columns hold every row a past slot names.
        rowCells: now.rowCells,
        rowMinors: now.rowMinors,
      };
      return contributions;
    };

    const conversionOf = (target: CurrencyCode): Conversion | undefined => {
      const index = TARGETS.indexOf(target);
      if (index < 0) return undefined;
      const stored = base.converted(target, live.cells.length, pool);
      own(stored.sums);
      const converted = new ConvertedCells({ ...stored, sums: stored.sums.subarray(0, cellCount) });
      withChanges(targetFile(index), ({ bytes, words, values, records }) => {
        for (let record = 0; record < records; record += 1) {
          const sign = (bytes[record * DELTA_BYTES + 1] as number) & NEGATIVE ? -1 : 1;
          const cell = words[record * 4 + 1] as number;
          const value = values[record * 2 + 1] as number;
          if (bytes[record * DELTA_BYTES] === CONVERTED) converted.add(cell, value, sign);
          else converted.markUnconverted(cell, announcementIdOf(live, value), sign);
        }
      });
      return { cells: converted, rates: new RatesOn(book, target, live.cells) };
    };

    return new PastTotalsState(cells, live.stages, book, pastContributions, conversionOf, cellCount * 16 + records * DELTA_BYTES, () => {
      for (const buffer of owned.splice(0)) pool.give(buffer);
    });
  }

  private get brokenMarker(): string {
    return path.join(this.directory, 'BROKEN');
  }

  private guard(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.failure = error as Error;
      try {
        fs.writeFileSync(this.brokenMarker, publicMessage(error));
      } catch {
        // A full disk may refuse even this: the next start then finds the history short of the snapshot.
      }
      this.logger.warn(
        { reason: publicMessage(error) },
        'the history of the totals stopped recording; as-of answers rebuild from checkpoints until the service restarts',
      );
    }
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
    const c = state.contributions;
    const key = rateKeyOf(c.currencies.get(slot), c.days.get(slot));
    const cache = this.rateCaches[target] as Map<number, AppliedRate | null>;
    let rate = cache.get(key);
    if (rate === undefined) {
      const currency = state.cells.dictionaries.currencies.valueOf(c.currencies.get(slot)) as CurrencyCode;
      rate = state.rates.appliedOn(currency, TARGETS[target] as CurrencyCode, dayText(c.days.get(slot))) ?? null;
      cache.set(key, rate);
    }
    return rate;
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
      const currency = state.cells.dictionaries.currencies.valueOf(Math.floor(key / 100_000_000)) as CurrencyCode;
      if (currency === to) continue;
      const after = state.rates.appliedOn(currency, to, dayText(key % 100_000_000)) ?? null;
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

  /** Keeps every figure as it stands after this event, so a past state starts from here rather than from nothing. */
  private writeBase(state: TotalsState): void {
    const count = this.events.count;
    const past = this.stateAt(count, state);
    const c = past.contributions;
    const cells = past.cells.figures();
    const converted = new Map(
      TARGETS.map((target) => {
        const stored = (past.conversions.get(target) as Conversion).cells.toStored();
        // One converted sum per cell, as the base's column is read back.
        const sums = new Float64Array(cells.sums.length);
        sums.set(stored.sums.subarray(0, sums.length));
        return [target, { ...stored, sums }] as const;
      }),
    );
    const directory = path.join(this.directory, 'bases', String(count));
    const making = `${directory}.making`;
    fs.rmSync(making, { recursive: true, force: true });
    try {
      writeBase(making, {
        cells,
        slots: {
          days: c.days.toArray(),
          firstRow: c.firstRow.toArray(),
          currencies: c.currencies.toArray(),
          rowCount: c.rowCount.toArray(),
        },
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
  }
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
    if (!super.has(key)) {
      const currency = this.cells.dictionaries.currencies.valueOf(Math.floor(key / 100_000_000)) as CurrencyCode;
      super.set(key, currency === this.target ? null : (this.book.appliedOn(currency, this.target, dayText(key % 100_000_000)) ?? null));
    }
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
    readonly bytes: number,
    /** Hands its arrays back to the pool they came from: the state must not be read afterwards. */
    readonly release: () => void,
  ) {
    this.conversions = new PastConversions(conversionOf);
  }

  get contributions(): Contributions {
    return this.contributionsOf();
  }
}
