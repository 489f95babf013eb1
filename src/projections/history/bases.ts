// A base of the history of the totals: every figure as it stood after some number of events, in raw columns read
// straight into the arrays of a past state (no decoding: a base at a million events is about 18 MB).
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { CurrencyCode } from '../../domain/money.js';
import type { CellFigures } from '../models/totals/cells.js';
import type { StoredConvertedCells } from '../models/totals/convertedCells.js';
import { view, type ScratchPool } from '../../runtime/scratch.js';
import { HistoryDamagedError } from './recordFile.js';

/** The slots' columns a base keeps (split is not: no query reads it). */
export interface SlotColumns {
  readonly days: Uint32Array;
  readonly firstRow: Uint32Array;
  readonly currencies: Uint16Array;
  readonly rowCount: Uint16Array;
}

export interface BaseParts {
  readonly cells: CellFigures;
  readonly slots: SlotColumns;
  readonly converted: ReadonlyMap<CurrencyCode, StoredConvertedCells>;
}

/** What base.json says: the lengths of the columns, and what is not a column (sums past 2^53, unconverted ids). */
interface BaseHeader {
  readonly cells: number;
  readonly slots: number;
  readonly overflow: [number, string][];
  readonly converted: Record<string, { readonly overflow: [number, string][]; readonly unconverted: [number, string, number][] }>;
  /** Each column file's CRC-32, checked the first time a process reads it (absent in bases written before it was kept). */
  readonly checks?: Record<string, number>;
}

type Column = Uint32Array | Uint16Array | Float64Array;

function bytesOf(column: Column, length = column.length): Uint8Array {
  return new Uint8Array(column.buffer, column.byteOffset, length * column.BYTES_PER_ELEMENT);
}

const bigints = (entries: readonly (readonly [number, bigint])[]): [number, string][] =>
  entries.map(([cell, value]) => [cell, value.toString()]);
const fromText = (entries: readonly [number, string][]): [number, bigint][] => entries.map(([cell, value]) => [cell, BigInt(value)]);

/** Writes a base into `directory` (made here; the caller renames it into place once every file is written). */
export function writeBase(directory: string, parts: BaseParts): void {
  fs.mkdirSync(directory, { mode: 0o700 });
  const { cells, slots } = parts;
  const checks: Record<string, number> = {};
  const header: BaseHeader = {
    checks,
    cells: cells.sums.length,
    slots: slots.days.length,
    overflow: bigints(cells.overflow),
    converted: Object.fromEntries(
      [...parts.converted].map(([target, converted]) => [
        target,
        { overflow: bigints(converted.overflow), unconverted: converted.unconverted.map(([cell, id, count]) => [cell, id, count]) },
      ]),
    ),
  };
  const write = (name: string, columns: readonly Column[]) => {
    const fd = fs.openSync(path.join(directory, name), 'w', 0o600);
    let check = 0;
    try {
      for (const column of columns) {
        const bytes = bytesOf(column);
        check = crc32(bytes, check);
        fs.writeSync(fd, bytes);
      }
    } finally {
      fs.closeSync(fd);
    }
    checks[name] = check;
  };
  write('cells.bin', [cells.allocations, cells.announcements, cells.sums]);
  write('slots.bin', [slots.days, slots.firstRow, slots.currencies, slots.rowCount]);
  for (const [target, converted] of parts.converted) write(`${target}.bin`, [converted.sums]);
  fs.writeFileSync(path.join(directory, 'base.json'), JSON.stringify(header), { mode: 0o600 });
}

/**
 * Reads columns from a file into arrays (sized by the caller, at least as long as the base's), one after another, and
 * checks them against `expected` (the file's CRC-32) unless `checked` already names the file.
 */
function readColumns(
  file: string,
  columns: readonly { readonly into: Column; readonly length: number }[],
  expected: number | undefined,
  checked: Set<string>,
): void {
  const fd = fs.openSync(file, 'r');
  const checking = expected !== undefined && !checked.has(file);
  let check = 0;
  try {
    let position = 0;
    for (const { into, length } of columns) {
      const bytes = bytesOf(into, length);
      let done = 0;
      while (done < bytes.length) {
        const read = fs.readSync(fd, bytes, done, bytes.length - done, position + done);
        if (read === 0) throw new HistoryDamagedError(file, 'it is shorter than its base.json says');
        done += read;
      }
      if (checking) check = crc32(bytes, check);
      position += bytes.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (checking) settleCheck(file, check, expected, checked);
}

/**
 * The one rule for a base file's checksum, whichever way it was read: the CRC-32 of its bytes in order must be the one
 * base.json gives; once it is, this process does not check the file again.
 */
function settleCheck(file: string, check: number, expected: number, checked: Set<string>): void {
  if (check !== expected) throw new HistoryDamagedError(file, 'it does not match its checksum');
  checked.add(file);
}

/** An array of `length` over a buffer from the pool, zero from `from` on (the part a base's column does not fill). */
function readable<T extends Uint32Array | Uint16Array | Float64Array>(
  pool: ScratchPool,
  kind: { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number },
  length: number,
  from: number,
): T {
  const array = view(pool, kind, length);
  array.fill(0, Math.min(from, length));
  return array;
}

/** A base's parts, read lazily, each into fresh arrays of the lengths asked for (the live state's, which only grow). */
export class Base {
  private readonly header: BaseHeader | undefined;

  /**
   * `directory` undefined: the empty base before the first event. `checked`: the files whose checksum this process has
   * checked already (the history's, so each is checked once).
   */
  constructor(
    private readonly directory: string | undefined,
    private readonly checked: Set<string> = new Set(),
  ) {
    this.header = directory === undefined ? undefined : Base.headerOf(path.join(directory, 'base.json'));
  }

  private static headerOf(file: string): BaseHeader {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as BaseHeader;
    } catch (error) {
      if (error instanceof SyntaxError) throw new HistoryDamagedError(file, 'it is not the JSON it was written as');
      throw error;
    }
  }

  /**
   * Checks every column file of the base not checked yet against its checksum, a megabyte at a time between yields
   * (the history's check after start). Throws HistoryDamagedError as a read does.
   */
  *checkAll(): Generator<void, void, void> {
    if (this.directory === undefined) return;
    const chunk = Buffer.alloc(1024 * 1024);
    for (const [name, expected] of Object.entries(this.header?.checks ?? {})) {
      const file = path.join(this.directory, name);
      if (this.checked.has(file)) continue;
      const fd = fs.openSync(file, 'r');
      let check = 0;
      try {
        for (;;) {
          const read = fs.readSync(fd, chunk, 0, chunk.length, null);
          if (read === 0) break;
          check = crc32(chunk.subarray(0, read), check);
          yield;
        }
      } finally {
        fs.closeSync(fd);
      }
      settleCheck(file, check, expected, this.checked);
    }
  }

  /** Reads one of the base's column files, checked against its checksum. */
  private read(name: string, columns: readonly { readonly into: Column; readonly length: number }[]): void {
    readColumns(path.join(this.directory as string, name), columns, this.header?.checks?.[name], this.checked);
  }

  /** How many cells there were at the base. */
  get cellCount(): number {
    return this.header?.cells ?? 0;
  }

  /** How many contribution slots there were at the base. */
  get slotCount(): number {
    return this.header?.slots ?? 0;
  }

  /** Every cell's figures, in arrays of `length` (over buffers from `pool`): the base's, then zeros. */
  cells(length: number, pool: ScratchPool): CellFigures {
    const n = this.header?.cells ?? 0;
    const figures = {
      allocations: readable(pool, Uint32Array, length, n),
      announcements: readable(pool, Uint32Array, length, n),
      sums: readable(pool, Float64Array, length, n),
      overflow: fromText(this.header?.overflow ?? []),
    };
    if (this.directory !== undefined && n > 0) {
      this.read('cells.bin', [
        { into: figures.allocations, length: n },
        { into: figures.announcements, length: n },
        { into: figures.sums, length: n },
      ]);
    }
    return figures;
  }

  slots(length: number, pool: ScratchPool): SlotColumns {
    const n = this.header?.slots ?? 0;
    const slots = {
      days: readable(pool, Uint32Array, length, n),
      firstRow: readable(pool, Uint32Array, length, n),
      currencies: readable(pool, Uint16Array, length, n),
      rowCount: readable(pool, Uint16Array, length, n),
    };
    if (this.directory !== undefined && n > 0) {
      this.read('slots.bin', [
        { into: slots.days, length: n },
        { into: slots.firstRow, length: n },
        { into: slots.currencies, length: n },
        { into: slots.rowCount, length: n },
      ]);
    }
    return slots;
  }

  converted(target: CurrencyCode, length: number, pool: ScratchPool): StoredConvertedCells {
    const n = this.header?.cells ?? 0;
    const sums = readable(pool, Float64Array, length, n);
    const stored = this.header?.converted[target];
    if (this.directory !== undefined && n > 0) this.read(`${target}.bin`, [{ into: sums, length: n }]);
    return { sums, overflow: fromText(stored?.overflow ?? []), unconverted: stored?.unconverted ?? [] };
  }
}
