// Rows of the embedded store as recorded events: the event class (metadata parsed on first use) and readAll's iterator.
import { limitOf, type Position, type ReadAllOptions, type RecordedEvent } from './port.js';
import { positionOf } from './position.js';

/** Rows per query: memory stays flat however long the log grows. */
export const PAGE_SIZE = 1000;
/**
 * Rows per query of readAll, whose reader may take many turns of the event loop over each page (an export writing
 * to a socket): a smaller page is done with before V8 moves it to the old generation, where a long export would
 * otherwise pile up hundreds of megabytes of garbage between full collections.
 */
const READ_ALL_PAGE_SIZE = 100;

/** A row as the statements return it: an array in COLUMNS order (raw mode), cheaper to make than an object. */
export type EventRow = readonly [
  position: bigint,
  stream: string,
  revision: bigint,
  id: string,
  type: string,
  data: string,
  metadata: string,
];

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return recordedEventOf(...row);
}

/** A row's columns, each given on its own (a batch read on another thread, embeddedReadAhead.ts), as a recorded event. */
export function recordedEventOf(
  position: bigint,
  stream: string,
  revision: bigint,
  id: string,
  type: string,
  data: string,
  metadata: string,
): RecordedEvent {
  return new SqliteRecordedEvent(position, stream, revision, id, type, data, metadata);
}

/** Whether JSON.stringify writes a key as it is: no quote, backslash, control character or surrogate to escape. */
function writtenVerbatim(key: string): boolean {
  for (let at = 0; at < key.length; at += 1) {
    const code = key.charCodeAt(at);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return false;
  }
  return true;
}

/** For each key asked about: its quoted form when JSON.stringify writes it as it is, null when it would escape it. */
const quotedKeys = new Map<string, string | null>();

function quotedVerbatim(key: string): string | null {
  let text = quotedKeys.get(key);
  if (text === undefined) {
    text = writtenVerbatim(key) ? `"${key}"` : null;
    // The same few keys are asked about for every event; a bound keeps a caller with endless keys from growing this.
    if (quotedKeys.size < 100) quotedKeys.set(key, text);
  }
  return text;
}

/**
 * An event read from SQLite. Its metadata (a third of a row, and most folds never look at it) is parsed when first
 * read; `metadataMayHold` answers from the text. Fields are own properties, the metadata a getter on the class: so
 * spreading an event or cloning it drops metadata, which nothing here does (see port.ts, metadataMayHold).
 */
class SqliteRecordedEvent implements RecordedEvent {
  readonly id: string;
  readonly stream: string;
  readonly revision: bigint;
  readonly position: Position;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly #metadataText: string;
  #metadata: Record<string, unknown> | undefined;

  constructor(position: bigint, stream: string, revision: bigint, id: string, type: string, data: string, metadata: string) {
    this.id = id;
    this.stream = stream;
    this.revision = revision;
    this.position = positionOf(position);
    this.type = type;
    this.data = JSON.parse(data) as Record<string, unknown>;
    this.#metadataText = metadata;
  }

  get metadata(): Record<string, unknown> {
    this.#metadata ??= JSON.parse(this.#metadataText) as Record<string, unknown>;
    return this.#metadata;
  }

  /**
   * The metadata's `hash`, found in its text when that is safe, else read from the parsed metadata. The ledger writes it
   * last (commands/envelope.ts), so the text mostly ends `,"hash":"<64 hex digits>"}`, which is checked first at its
   * fixed place (about 50 ns against about 400 for topLevelString's scans, for every event a journal catch-up applies).
   * In valid JSON a quote after `,` or `{` opens a key, so `hash` is a key there; its value, with no quote or backslash
   * in it, ends just before the text's last brace, which closes the top-level object: the last member, whose value
   * JSON.parse keeps. Anything else is topLevelString's, or the parse's.
   */
  recordedHash(): unknown {
    if (this.#metadata !== undefined) return this.#metadata.hash;
    const text = this.#metadataText;
    const at = text.length - HASHED_TAIL;
    const before = text.charCodeAt(at - 1);
    if (at > 0 && (before === COMMA || before === BRACE) && text.endsWith('"}') && text.startsWith(HASH_KEY, at)) {
      const hash = text.slice(at + HASH_KEY.length + 1, text.length - 2);
      if (text.charCodeAt(at + HASH_KEY.length) === QUOTE && !hash.includes('"') && !hash.includes('\\')) return hash;
    }
    return topLevelString(text, HASH_KEY) ?? this.metadata.hash;
  }

  /** The metadata's `recordedAt`, found in its text when that is safe (topLevelString), else read from the parsed metadata. */
  recordedAt(): unknown {
    if (this.#metadata !== undefined) return this.#metadata.recordedAt;
    return topLevelString(this.#metadataText, RECORDED_AT_KEY) ?? this.metadata.recordedAt;
  }

  /**
   * The text is JSON.stringify's (see serialise), which writes a key as it is, in quotes, unless it holds a quote, a
   * backslash, a control character or a surrogate: such keys are looked up in the parsed metadata instead.
   */
  metadataMayHold(key: string): boolean {
    const text = this.#metadata === undefined ? quotedVerbatim(key) : null;
    return text === null ? key in this.metadata : this.#metadataText.includes(text);
  }
}

const RECORDED_AT_KEY = '"recordedAt":';
const HASH_KEY = '"hash":';
/** `"hash":"`, 64 hex digits, `"}`. */
const HASHED_TAIL = HASH_KEY.length + 1 + 64 + 2;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BRACE = 0x7b;

/**
 * The string value of `quotedKey` (`"name":`) at the top level of a JSON object's text, without parsing it; undefined
 * when that cannot be told from the text alone, and the caller parses. In a text with no backslash every quote is
 * JSON's own, so the quoted key is a key. With no brace after the first (nor one inside a string), no object is nested
 * in it, so the key is a top-level one (an array holds no keys without an object in it). Found once and followed by a
 * quote, its value is the string up to the next quote, with no escape in it. Anything else (the key twice, a value of
 * another type, a nested object) is left to the parse. The ledger's metadata is flat (commands/envelope.ts).
 */
function topLevelString(text: string, quotedKey: string): string | undefined {
  if (text.includes('\\') || text.indexOf('{', 1) >= 0) return undefined;
  const at = text.indexOf(quotedKey);
  const from = at + quotedKey.length;
  if (at < 0 || at !== text.lastIndexOf(quotedKey) || text.charCodeAt(from) !== QUOTE) return undefined;
  const end = text.indexOf('"', from + 1);
  return end < 0 ? undefined : text.slice(from + 1, end);
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/**
 * readAll's iterator: the store read a page at a time, an event per `next`. Written out rather than as an async
 * generator, which takes several promise turns per event: a few percent of a replay of a million events.
 */
export class PagedRead implements AsyncIterator<RecordedEvent, undefined> {
  private page: readonly RecordedEvent[] = [];
  private index = 0;
  private after: bigint;
  /** Events still wanted; set at the first read, so a bad limit fails there, as a generator's would. */
  private remaining: number | undefined;
  private finished = false;

  constructor(
    private readonly readPage: (after: bigint, limit: number) => RecordedEvent[],
    private readonly options: ReadAllOptions,
  ) {
    this.after = options.after?.commit ?? 0n;
  }

  next(): Promise<IteratorResult<RecordedEvent, undefined>> {
    try {
      if (this.index === this.page.length && !this.finished) this.readNext();
      if (this.index < this.page.length) return Promise.resolve({ value: this.page[this.index++] as RecordedEvent, done: false });
      return Promise.resolve(DONE);
    } catch (error) {
      this.finish();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** The loop stopped early (break, throw): nothing more is read. */
  return(): Promise<IteratorResult<RecordedEvent, undefined>> {
    this.finish();
    return Promise.resolve(DONE);
  }

  private readNext(): void {
    this.remaining ??= limitOf(this.options.limit);
    const wanted = Math.min(READ_ALL_PAGE_SIZE, this.remaining);
    this.page = wanted > 0 ? this.readPage(this.after, wanted) : [];
    this.index = 0;
    this.remaining -= this.page.length;
    const last = this.page.at(-1);
    // A short page is the end of the log (or of the limit): no need to ask again.
    if (last === undefined || this.page.length < READ_ALL_PAGE_SIZE) this.finished = true;
    else this.after = last.position.commit;
  }

  private finish(): void {
    this.finished = true;
    this.page = [];
    this.index = 0;
  }
}
