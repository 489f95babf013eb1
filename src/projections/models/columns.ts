// Compact storage for read models of a million rows: growable typed-array columns and string dictionaries.
// A row as a JS object costs ~100 bytes plus its strings; as a slot in typed arrays, a few bytes per field,
// and a snapshot of them is a memory copy rather than a walk over a million objects.

type TypedArray = Uint8Array | Uint16Array | Uint32Array | Float64Array;
type TypedArrayOf<T extends TypedArray> = { new (length: number): T };

const INITIAL_CAPACITY = 1024;

/** One growable typed array; `length` slots are in use, the rest is spare capacity. */
export class Column<T extends TypedArray> {
  private values: T;
  length = 0;

  constructor(
    private readonly kind: TypedArrayOf<T>,
    values?: T,
  ) {
    this.values = values ?? new kind(INITIAL_CAPACITY);
    if (values !== undefined) this.length = values.length;
  }

  get(index: number): number {
    return this.values[index] as number;
  }

  set(index: number, value: number): void {
    this.values[index] = value;
  }

  push(value: number): number {
    if (this.length === this.values.length) this.grow(this.length + 1);
    this.values[this.length] = value;
    return this.length++;
  }

  private grow(needed: number): void {
    // Half again each time: far fewer copies than growing by a fixed step, and less spare than doubling.
    const next = new this.kind(Math.max(needed, Math.ceil(this.values.length * 1.5), INITIAL_CAPACITY));
    (next as unknown as { set(source: T): void }).set(this.values);
    this.values = next;
  }

  /**
   * The backing array itself, for a loop over many slots (a method call and a check per slot cost more than the work in
   * a query's walk of a million rows). Slots from `length` on are spare; the array is replaced when the column grows, so
   * take it again after any push.
   */
  array(): T {
    return this.values;
  }

  /** The used slots, not copied: a view that reads what the column holds until it next changes or grows. */
  used(): T {
    return this.values.subarray(0, this.length) as T;
  }

  /** The used slots, copied: what a snapshot stores. */
  toArray(): T {
    return this.values.slice(0, this.length) as T;
  }
}

export const uint8Column = (values?: Uint8Array) => new Column(Uint8Array, values);
export const uint16Column = (values?: Uint16Array) => new Column(Uint16Array, values);
export const uint32Column = (values?: Uint32Array) => new Column(Uint32Array, values);
export const float64Column = (values?: Float64Array) => new Column(Float64Array, values);

/** Distinct strings numbered in the order first seen: a column stores the number, the dictionary the text. */
export class Dictionary {
  private readonly codes = new Map<string, number>();

  constructor(readonly values: string[] = []) {
    values.forEach((value, code) => this.codes.set(value, code));
  }

  codeOf(value: string): number {
    let code = this.codes.get(value);
    if (code === undefined) {
      code = this.values.length;
      this.values.push(value);
      this.codes.set(value, code);
    }
    return code;
  }

  /** The code of a value already seen; undefined for one never seen (so it matches nothing). */
  find(value: string): number | undefined {
    return this.codes.get(value);
  }

  valueOf(code: number): string {
    const value = this.values[code];
    if (value === undefined) throw new RangeError(`no dictionary entry ${code}`);
    return value;
  }
}

/** A date "YYYY-MM-DD" as the number YYYYMMDD: same order, four bytes. */
export function dayNumber(date: string): number {
  // From the character codes: no substrings on a path that runs once per event of a replay.
  const digit = (at: number): number => date.charCodeAt(at) - 48;
  const year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  return year * 10_000 + (digit(5) * 10 + digit(6)) * 100 + digit(8) * 10 + digit(9);
}

export function dayText(day: number): string {
  const year = Math.floor(day / 10_000);
  const month = Math.floor(day / 100) % 100;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day % 100).padStart(2, '0')}`;
}
