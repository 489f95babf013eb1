// The embedded event store: every event in one SQLite file per data directory, owned by one process at a time.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { assertExpectedRevision } from './expectedRevision.js';
import {
  limitOf,
  StoreUnavailableError,
  type AppendResult,
  InvalidPositionError,
  type EventFilter,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type Position,
  type ReadAheadOptions,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandlers,
} from './port.js';
import { ReadAhead } from './embeddedReadAhead.js';
import { PAGE_SIZE, PagedRead, toRecordedEvent, type EventRow } from './embeddedEvents.js';
import { EmbeddedSubscription, type Listener } from './embeddedSubscription.js';
import { checkDatabaseHeader, checkOpenedDatabase, storeFailureOf, withStoreFailures } from './embeddedFailures.js';
import { positionOf } from './position.js';
import { lockDirectory, lockedError, type DirectoryLock } from './embeddedLock.js';
import { appendAttributes, inSpan } from '../telemetry/spans.js';

const SCHEMA_VERSION = 1n;

// AUTOINCREMENT so that a position once handed out is never reused, even if rows were ever removed offline:
// subscribers keep positions as checkpoints. STRICT so a bad bind fails instead of being coerced.
const SCHEMA = `
  CREATE TABLE events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    revision INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT NOT NULL,
    UNIQUE (stream, revision)
  ) STRICT;
`;
const COLUMNS = 'position, stream, revision, id, type, data, metadata';

export interface EmbeddedStoreOptions {
  /** Directory that holds the database file; created when missing. */
  readonly dataDir: string;
  readonly logger?: Pick<Logger, 'info' | 'error'>;
}

export interface EmbeddedEventStore extends EventStore {
  /** The SQLite file behind the store. */
  readonly databasePath: string;
  /**
   * Appends to many streams in ONE transaction (one fsync): all or nothing, each with its own expected revision.
   * For bulk loads (`ledger generate`, import); the service appends stream by stream.
   */
  appendMany(batch: readonly StreamAppend[]): Promise<AppendResult[]>;
  /**
   * Copies the database to `destination` (a new file) with SQLite's online backup API, through this store's own
   * connection: the directory is held exclusively, and appends made meanwhile on this connection go into the copy
   * as it proceeds, so the copy is the store as of one commit while the service goes on writing.
   */
  backup(destination: string): Promise<void>;
  /** readAll without a filter, read on a worker thread ahead of the caller (port.ts, ReadsAhead). */
  readAllAhead(options?: ReadAheadOptions): AsyncIterable<RecordedEvent>;
}

export interface StreamAppend {
  readonly stream: string;
  readonly events: readonly EventToAppend[];
  readonly expected: ExpectedRevision;
}

interface QueuedAppend {
  readonly stream: string;
  readonly pending: readonly PendingEvent[];
  readonly expected: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

function serialise(events: readonly EventToAppend[]): PendingEvent[] {
  return events.map((event) => ({
    id: event.id,
    type: event.type,
    data: JSON.stringify(event.data),
    metadata: JSON.stringify(event.metadata),
  }));
}

/** The SQLite file of a data directory, for offline tools; they can open it only while no store holds it. */
export function embeddedDatabasePath(dataDir: string): string {
  return path.join(dataDir, 'events.sqlite');
}

/**
 * Opens the store in `dataDir`, creating it when needed. Synchronous, as better-sqlite3 is: it returns a store that
 * holds the directory exclusively until closed, or throws at once (StoreLockedError when another process holds it).
 */
export function openEmbeddedStore(options: EmbeddedStoreOptions): EmbeddedEventStore {
  const { db, lock } = openDatabase(path.resolve(options.dataDir));
  return new SqliteEventStore(db, lock, options.logger);
}

/** Owner-only modes for everything under DATA_DIR: it holds API keys and who wrote what (README "Durability"). */
const PRIVATE_DIRECTORY = 0o700;
const PRIVATE_FILE = 0o600;

/** Leaves a path as it is when it is missing, or not ours to change (a mount point): the files inside still get their modes. */
function chmodIfPossible(target: string, mode: number): void {
  try {
    fs.chmodSync(target, mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EPERM') throw error;
  }
}

/**
 * The database file 0600 before SQLite opens it (DATA_DIR is made 0700 first, in openDatabase): SQLite gives its -wal
 * and -shm files the mode of the database file, so they are private from the start. Older files are tightened too.
 */
function preparePrivately(file: string): void {
  if (!fs.existsSync(file)) createDatabase(file);
  for (const target of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) chmodIfPossible(target, PRIVATE_FILE);
}

/**
 * A new store is made whole under a temp name (schema written, fsynced) and only then linked in under its own name,
 * so this service never leaves an empty events.sqlite, even when it dies at its first start: an empty file is always
 * a lost one (checkDatabaseHeader). A link, not a rename, so a second process starting at the same moment keeps the
 * first one's file and fails on its lock, instead of replacing it.
 */
function createDatabase(file: string): void {
  const temp = `${file}.${process.pid}.new`;
  fs.rmSync(temp, { force: true });
  fs.closeSync(fs.openSync(temp, 'wx', PRIVATE_FILE));
  try {
    const db = new Database(temp);
    try {
      // synchronous FULL in the rollback journal: the commit is on disk before the link.
      db.pragma('synchronous = FULL');
      db.defaultSafeIntegers(true);
      migrate(db, temp);
    } finally {
      db.close();
    }
    try {
      fs.linkSync(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/** The database of a data directory, open, with the directory's lock that makes this process its only writer. */
interface OwnedDatabase {
  readonly db: Database.Database;
  readonly lock: DirectoryLock;
}

function openDatabase(dataDir: string): OwnedDatabase {
  const file = embeddedDatabasePath(dataDir);
  withStoreFailures(file, () => {
    fs.mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIRECTORY });
    chmodIfPossible(dataDir, PRIVATE_DIRECTORY);
  });
  // The lock first: a second process stops here, before it creates, checks or opens anything.
  const lock = withStoreFailures(file, () => lockDirectory(dataDir, PRIVATE_FILE));
  let db: Database.Database | undefined;
  try {
    withStoreFailures(file, () => preparePrivately(file));
    checkDatabaseHeader(file);
    db = withStoreFailures(file, () => new Database(file, { timeout: 0 }));
    // WAL in SQLite's normal locking mode (with its -shm index): the directory lock above keeps other processes out,
    // and other connections of this process (a replay's reader thread) can read while this one writes.
    db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit, so an acknowledged append survives kill -9 and power loss.
    db.pragma('synchronous = FULL');
    db.defaultSafeIntegers(true);
    migrate(db, file);
    checkOpenedDatabase(db, file);
    return { db, lock };
  } catch (error) {
    db?.close();
    lock.release();
    // A process of an older version holds the database itself (locking_mode EXCLUSIVE), not the lock file.
    if (error instanceof Database.SqliteError && error.code === 'SQLITE_BUSY') throw lockedError(dataDir, error);
    throw storeFailureOf(error, file);
  }
}

function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as bigint;
  if (version === SCHEMA_VERSION) return;
  if (version !== 0n) throw new Error(`${file} has schema version ${version}; this build knows version ${SCHEMA_VERSION} only`);
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

interface PendingEvent {
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

interface Written {
  readonly result: AppendResult;
  readonly rows: readonly EventRow[];
}

/** SQLite's largest rowid: a position beyond it is no position of this store. */
const MAX_ROWID = 2n ** 63n - 1n;

class SqliteEventStore implements EmbeddedEventStore {
  readonly databasePath: string;
  private db: Database.Database | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly subscriptions = new Set<EmbeddedSubscription>();
  private readonly lastOfStream: Database.Statement<[string], { revision: bigint; position: bigint }>;
  private readonly insert: Database.Statement<[string, bigint, string, string, string, string]>;
  private readonly streamPage: Database.Statement<[string, bigint, number], EventRow>;
  private readonly head: Database.Statement<[], { position: bigint | null }>;
  /** Global-read statements, one per filter shape (number of prefixes and types). */
  private readonly allPages = new Map<string, Database.Statement<unknown[], EventRow>>();
  private readonly write: (stream: string, pending: readonly PendingEvent[], expected: ExpectedRevision) => Written;
  private readonly writeGroup: (batch: readonly QueuedAppend[]) => ({ written: Written } | { error: unknown })[];
  private readonly writeMany: (
    batch: readonly { stream: string; pending: readonly PendingEvent[]; expected: ExpectedRevision }[],
  ) => Written[];

  constructor(
    db: Database.Database,
    private readonly lock: DirectoryLock,
    private readonly logger: EmbeddedStoreOptions['logger'],
  ) {
    this.db = db;
    this.databasePath = db.name;
    this.lastOfStream = db.prepare('SELECT revision, position FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1');
    this.insert = db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
    this.streamPage = db
      .prepare<[string, bigint, number], EventRow>(
        `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
      )
      .raw(true);
    this.head = db.prepare('SELECT max(position) AS position FROM events');
    this.write = db.transaction(this.writeInTransaction.bind(this));
    // A transaction function called inside another runs as a savepoint (better-sqlite3): a failure undoes only itself.
    this.writeGroup = db.transaction((batch: readonly QueuedAppend[]) =>
      batch.map((item) => {
        try {
          return { written: this.guardDuplicates(item.stream, () => this.write(item.stream, item.pending, item.expected)) };
        } catch (error) {
          return { error };
        }
      }),
    );
    this.writeMany = db.transaction((batch: readonly { stream: string; pending: readonly PendingEvent[]; expected: ExpectedRevision }[]) =>
      batch.map(({ stream, pending, expected }) => this.writeInTransaction(stream, pending, expected)),
    );
    logger?.info({ databasePath: this.databasePath, head: this.head.get()?.position }, 'embedded event store opened');
  }

  /**
   * Group commit: appends that arrive in the same turn of the event loop share one transaction and one fsync. Each
   * runs in its own savepoint, so one that fails (a revision conflict) is rolled back alone and the others commit.
   * Every append is acknowledged only after the commit, and subscribers are notified before any is.
   */
  async append(stream: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    // The span lasts until the group's commit: the wait for the batch is part of what the append costs.
    return inSpan('append', appendAttributes('sqlite', stream, events.length, expected), () => {
      this.openDb();
      // Serialised before the transaction: a payload JSON cannot represent fails without touching the database.
      const pending = serialise(events);
      return new Promise<AppendResult>((resolve, reject) => {
        this.queued.push({ stream, pending, expected, resolve, reject });
        if (this.queued.length === 1) setImmediate(() => this.commitQueued());
      });
    });
  }

  private queued: QueuedAppend[] = [];

  private commitQueued(): void {
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    if (this.db === undefined) {
      for (const item of batch) item.reject(new StoreUnavailableError('the embedded event store is closed'));
      return;
    }
    let outcomes: ({ written: Written } | { error: unknown })[];
    try {
      outcomes = this.writeGroup(batch);
    } catch (error) {
      // The transaction was rolled back whole (a full disk): no append of the batch is recorded.
      for (const item of batch) item.reject(storeFailureOf(error, this.databasePath));
      return;
    }
    this.notify(outcomes.flatMap((outcome) => ('written' in outcome ? outcome.written.rows : [])));
    batch.forEach((item, index) => {
      const outcome = outcomes[index] as { written: Written } | { error: unknown };
      if ('written' in outcome) item.resolve(outcome.written.result);
      else item.reject(storeFailureOf(outcome.error, this.databasePath));
    });
  }

  async appendMany(batch: readonly StreamAppend[]): Promise<AppendResult[]> {
    this.openDb();
    const prepared = batch.map(({ stream, events, expected }) => ({ stream, pending: serialise(events), expected }));
    const written = withStoreFailures(this.databasePath, () => this.guardDuplicates('a batch', () => this.writeMany(prepared)));
    this.notify(written.flatMap((w) => w.rows));
    return written.map((w) => w.result);
  }

  private guardDuplicates<T>(where: string, write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new Error(`append to ${where}: an event with one of these ids is already recorded`, { cause: error });
      }
      throw error;
    }
  }

  /** Synchronously after commit, so in-process subscribers have seen the events before the append resolves. */
  private notify(rows: readonly EventRow[]): void {
    if (rows.length === 0 || this.listeners.size === 0) return;
    const recorded = rows.map(toRecordedEvent);
    for (const listener of [...this.listeners]) listener(recorded);
  }

  /** Runs inside a transaction, so the revision check and the inserts are a single step. */
  private writeInTransaction(stream: string, pending: readonly PendingEvent[], expected: ExpectedRevision): Written {
    const last = this.lastOfStream.get(stream);
    assertExpectedRevision(stream, expected, last?.revision ?? 'no-stream');
    if (pending.length === 0) {
      // EventStoreDB would answer revision -1 here; the port has no way to say that, so refuse instead.
      if (last === undefined) throw new RangeError(`append to ${stream}: no events, and the stream does not exist`);
      return { result: { nextRevision: last.revision, position: positionOf(last.position) }, rows: [] };
    }
    let revision = last?.revision ?? -1n;
    let position = 0n;
    const rows = pending.map((event): EventRow => {
      revision += 1n;
      position = BigInt(this.insert.run(stream, revision, event.id, event.type, event.data, event.metadata).lastInsertRowid);
      return [position, stream, revision, event.id, event.type, event.data, event.metadata];
    });
    return { result: { nextRevision: revision, position: positionOf(position) }, rows };
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    let from = options.fromRevision ?? 0n;
    let remaining = limitOf(options.limit);
    while (remaining > 0) {
      this.openDb();
      const rows = withStoreFailures(this.databasePath, () => this.streamPage.all(stream, from, Math.min(PAGE_SIZE, remaining)));
      for (const row of rows) yield toRecordedEvent(row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < PAGE_SIZE) return;
      remaining -= rows.length;
      from = last[2] + 1n;
    }
  }

  readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const { after } = options;
    // Every event here has commit = prepare = its rowid, so only such a position (0 before the first, or past the
    // end, as EventStoreDB allows) can be read from; refused as EventStoreDB refuses one (InvalidPositionError).
    if (after !== undefined && (after.commit !== after.prepare || after.commit > MAX_ROWID)) {
      return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new InvalidPositionError(after)) }) };
    }
    return { [Symbol.asyncIterator]: () => new PagedRead((after, limit) => this.readPage(after, options.filter, limit), options) };
  }

  readAllAhead(options: ReadAheadOptions = {}): AsyncIterable<RecordedEvent> {
    this.openDb();
    // A worker thread of its own per read, with its own connection: SQLite's normal locking lets it read beside this one.
    const range = { after: options.after?.commit ?? 0n, until: options.until?.commit };
    return { [Symbol.asyncIterator]: () => new ReadAhead(this.databasePath, range) };
  }

  subscribeToAll(options: SubscribeOptions, handlers: SubscriptionHandlers): Subscription {
    this.openDb();
    const subscription = new EmbeddedSubscription(
      {
        readPage: (after, limit) => this.readPage(after, options.filter, limit),
        listen: (listener) => {
          this.listeners.add(listener);
          return () => this.listeners.delete(listener);
        },
        forget: () => this.subscriptions.delete(subscription),
      },
      options,
      handlers,
      this.logger,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async backup(destination: string): Promise<void> {
    await this.openDb().backup(destination);
  }

  async headPosition(): Promise<Position | undefined> {
    this.openDb();
    const head = withStoreFailures(this.databasePath, () => this.head.get())?.position ?? null;
    return head === null ? undefined : positionOf(head);
  }

  async close(): Promise<void> {
    if (this.db === undefined) return;
    // Appends already accepted are committed (and answered) before the database closes.
    this.commitQueued();
    for (const subscription of [...this.subscriptions]) subscription.stop();
    this.db.close();
    this.db = undefined;
    this.lock.release();
    this.logger?.info({ databasePath: this.databasePath }, 'embedded event store closed');
  }

  /** Events strictly after `after` (a global sequence number) that pass the filter, in global order. */
  private readPage(after: bigint, filter: EventFilter | undefined, limit: number): RecordedEvent[] {
    const db = this.openDb();
    const prefixes = filter?.streamPrefixes ?? [];
    const types = filter?.eventTypes ?? [];
    const shape = `${prefixes.length}:${types.length}`;
    let statement = this.allPages.get(shape);
    if (statement === undefined) {
      statement = db.prepare<unknown[], EventRow>(readAllSql(prefixes.length, types.length)).raw(true);
      this.allPages.set(shape, statement);
    }
    const page = statement;
    return withStoreFailures(this.databasePath, () =>
      page.all(after, ...prefixes.flatMap((prefix) => [prefix, prefix]), ...types, limit),
    ).map(toRecordedEvent);
  }

  private openDb(): Database.Database {
    if (this.db === undefined) throw new StoreUnavailableError(`the event store at ${this.databasePath} is closed`);
    return this.db;
  }
}

/**
 * The global read behind readAll and subscriptions. The scan follows position (the rowid), so pages cost no sort.
 * Prefixes are compared with substr, not LIKE or GLOB: a prefix is literal and case-sensitive whatever it holds.
 * Without a type list, system events ($-prefixed types, as in EventStoreDB) stay out; a type list may name them.
 */
function readAllSql(prefixCount: number, typeCount: number): string {
  const conditions = ['position > ?'];
  if (prefixCount > 0) conditions.push(`(${Array(prefixCount).fill('substr(stream, 1, length(?)) = ?').join(' OR ')})`);
  conditions.push(typeCount > 0 ? `type IN (${Array(typeCount).fill('?').join(', ')})` : `substr(type, 1, 1) <> '$'`);
  return `SELECT ${COLUMNS} FROM events WHERE ${conditions.join(' AND ')} ORDER BY position LIMIT ?`;
}
