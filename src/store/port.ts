// The event store port: what the ledger needs from any store (embedded SQLite, EventStoreDB).
import { availableParallelism } from 'node:os';
import { formatPosition } from './position.js';

/**
 * A place in the global log. Both parts are 64-bit and kept as bigint.
 * The embedded store uses one sequence for both; EventStoreDB has distinct commit and prepare positions.
 */
export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** Rules for optimistic concurrency on append, as EventStoreDB defines them. */
export type ExpectedRevision =
  | 'any' // append whatever the stream holds
  | 'no-stream' // the stream must not exist yet
  | 'stream-exists' // the stream must have at least one event
  | bigint; // the stream's last event must have exactly this revision (0-based)

/** An event about to be written. `id` is a UUID; stores that deduplicate by id use it. */
export interface EventToAppend {
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

/** An event as the store recorded it. */
export interface RecordedEvent {
  readonly id: string;
  readonly stream: string;
  /** 0-based position of the event within its stream. */
  readonly revision: bigint;
  readonly position: Position;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

/**
 * What an event whose metadata is parsed only when first read offers (the embedded store's): whether the metadata
 * may hold a key, answered from its text. A fold that looks for a rare key need not parse every event's metadata.
 */
interface LazyMetadata {
  metadataMayHold(key: string): boolean;
}

/** False only when the event's metadata certainly does not hold `key`; parses nothing when the store can tell. */
export function metadataMayHold(event: RecordedEvent, key: string): boolean {
  return 'metadataMayHold' in event ? (event as RecordedEvent & LazyMetadata).metadataMayHold(key) : key in event.metadata;
}

/** What an event whose metadata is parsed only when first read offers: its `hash`, found in the text. */
interface LazyHash {
  recordedHash(): unknown;
}

/**
 * The event's `metadata.hash` as recorded (any type, or undefined); without parsing the metadata when the store can
 * find it in the text, as the journal tree needs it of every event a catch-up applies.
 */
export function recordedHashOf(event: RecordedEvent): unknown {
  return 'recordedHash' in event ? (event as RecordedEvent & LazyHash).recordedHash() : event.metadata.hash;
}

/** What an event whose metadata is parsed only when first read offers: its `recordedAt`, found in the text. */
interface LazyRecordedAt {
  recordedAt(): unknown;
}

/**
 * The event's `metadata.recordedAt` as recorded (any type, or undefined); without parsing the metadata when the store
 * can find it in the text, as the history of the totals and the as-of rebuild need it of every event they fold.
 */
export function recordedAtOf(event: RecordedEvent): unknown {
  return 'recordedAt' in event ? (event as RecordedEvent & LazyRecordedAt).recordedAt() : event.metadata.recordedAt;
}

/** A read's `limit` as a count: Infinity when absent; a RangeError unless a whole number >= 0. */
export function limitOf(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be a whole number >= 0, got ${limit}`);
  return limit;
}

export interface AppendResult {
  /** Revision of the last event written. */
  readonly nextRevision: bigint;
  /** Global position of the last event written. */
  readonly position: Position;
}

/** Which events a global read or subscription delivers. Without a filter: every non-system event. */
export interface EventFilter {
  /** Deliver events whose stream name starts with one of these. */
  readonly streamPrefixes?: readonly string[];
  /** Deliver events whose type is one of these. */
  readonly eventTypes?: readonly string[];
}

export interface ReadAllOptions {
  /** Deliver events strictly after this position; from the start when absent. */
  readonly after?: Position;
  readonly filter?: EventFilter;
  /** Stop after this many events. */
  readonly limit?: number;
}

export interface ReplayReadOptions extends ReadAheadOptions {
  /**
   * Read on the calling thread, as readAll does: for a comparison (`ledger replay --one-thread`). The default on a
   * machine with a single core, where a reader thread would only take turns with the fold.
   */
  readonly oneThread?: boolean | undefined;
}

export interface ReadAheadOptions {
  /** Deliver events strictly after this position; from the start when absent. */
  readonly after?: Position | undefined;
  /** Deliver events up to and including this position; to the end of the log when absent. */
  readonly until?: Position | undefined;
}

/**
 * What a store that can read its log on another thread offers (the embedded store): the events readAll would give
 * without a filter, read and batched on a worker thread while the caller folds them. Replays use it (readForReplay).
 */
export interface ReadsAhead {
  readAllAhead(options?: ReadAheadOptions): AsyncIterable<RecordedEvent>;
}

/**
 * The log for a fold of every event (replay, a start without a snapshot): read on another thread when the store can,
 * with readAll otherwise (EventStoreDB, whose reads already happen in its server). The same events either way.
 */
export function readForReplay(store: EventStore, options: ReplayReadOptions = {}): AsyncIterable<RecordedEvent> {
  const { oneThread = availableParallelism() < 2, ...range } = options;
  if (!oneThread && 'readAllAhead' in store) return (store as EventStore & ReadsAhead).readAllAhead(range);
  return store.readAll(options.after === undefined ? {} : { after: options.after });
}

export interface ReadStreamOptions {
  /** First revision to deliver (inclusive); 0 when absent. */
  readonly fromRevision?: bigint;
  /** Stop after this many events. */
  readonly limit?: number;
}

export interface SubscriptionHandlers {
  /** Called once per event, in global order, never twice for one event. Awaited before the next. */
  onEvent(event: RecordedEvent): void | Promise<void>;
  /** Called each time the subscription has delivered everything the store held (first catch-up, and after a reconnect). */
  onCaughtUp?(position: Position | undefined): void;
  /** Called when the subscription lost its connection and is trying again (EventStoreDB). */
  onDisconnected?(error: Error): void;
  /** Called when the subscription ends on an error it cannot recover from. */
  onError?(error: Error): void;
}

export interface SubscribeOptions {
  /** Deliver events strictly after this position (a checkpoint); from the start when absent. */
  readonly after?: Position;
  readonly filter?: EventFilter;
}

export interface Subscription {
  close(): Promise<void>;
}

/**
 * Rules every adapter follows (the contract suite in test/store/contract.ts checks them):
 * - an empty append to a missing stream is refused (revision -1 cannot be expressed); to an existing one it checks the revision;
 * - system events (types starting with `$`) are delivered only when an event-type filter names them;
 * - empty filter arrays mean no constraint; prefixes are literal and case-sensitive;
 * - onCaughtUp reports the last position delivered (or `after` when nothing was);
 * - a handler that throws or rejects stops its subscription, which then calls onError.
 */
export interface EventStore {
  /** Appends all events atomically or none. Throws WrongExpectedRevisionError on a concurrency conflict. */
  append(stream: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream in revision order; an empty list when the stream does not exist. */
  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<RecordedEvent>;
  /** Events of every stream in global order. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** Catches up from `after`, then delivers new events live until closed. */
  subscribeToAll(options: SubscribeOptions, handlers: SubscriptionHandlers): Subscription;
  /** Position of the last event in the store, undefined when empty. */
  headPosition(): Promise<Position | undefined>;
  close(): Promise<void>;
}

/** Expected revision did not match the stream: someone else wrote first. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: bigint | 'no-stream',
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, found ${String(actual)}`);
  }
}

/**
 * The store cannot be reached, is shutting down, or is a node that cannot serve (not the leader, not ready, too busy).
 * An append is all or nothing, but one cut off in flight may have been recorded by a remote server: retry with the
 * same event ids (the command handler derives them from the Idempotency-Key). EventStoreDB recognises such a retry
 * only within bounds (README "Running on EventStoreDB"); the ledger's own idempotency read model covers the rest.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** The data directory is held by another process. */
export class StoreLockedError extends Error {
  override readonly name = 'StoreLockedError';
}

/** A read of the global log from a position that is not an event's position (nor 0, nor past the end). */
export class InvalidPositionError extends Error {
  override readonly name = 'InvalidPositionError';
  constructor(
    readonly position: Position,
    options?: ErrorOptions,
  ) {
    super(`${formatPosition(position)} is not the position of an event in this store`, options);
  }
}

/** One append is larger than the store accepts (EventStoreDB's MaxAppendSize: 1 MiB by default). */
export class AppendTooLargeError extends Error {
  override readonly name = 'AppendTooLargeError';
  constructor(
    readonly stream: string,
    /** The store's limit in bytes of event data and metadata, when it said. */
    readonly maxBytes: number | undefined,
    options?: ErrorOptions,
  ) {
    super(`the append to ${stream} is larger than the event store accepts${maxBytes === undefined ? '' : ` (${maxBytes} bytes)`}`, options);
  }
}

/**
 * The stream was deleted in the store by someone other than the ledger, which never deletes: a tombstoned stream
 * (EventStoreDB's hard delete) refuses every read and write. A soft-deleted stream reads as missing instead.
 */
export class StreamDeletedError extends Error {
  override readonly name = 'StreamDeletedError';
  constructor(
    readonly stream: string,
    options?: ErrorOptions,
  ) {
    super(`stream ${stream} was deleted in the event store`, options);
  }
}

/** The store refused the ledger's user: wrong credentials, or a user without the rights the ledger needs. */
export class StoreAccessDeniedError extends Error {
  override readonly name = 'StoreAccessDeniedError';
}

/**
 * The disk under the store is full (SQLITE_FULL, ENOSPC): the write was rolled back whole, nothing is half-written,
 * and reads still work. Writes succeed again by themselves once space is freed.
 */
export class StoreFullError extends Error {
  override readonly name = 'StoreFullError';
}

/**
 * The store's file is not a database, or is one whose pages are damaged (SQLITE_NOTADB, SQLITE_CORRUPT): the service
 * cannot start on it, and an operator restores it from a backup.
 */
export class StoreDamagedError extends Error {
  override readonly name = 'StoreDamagedError';
  constructor(
    readonly file: string,
    readonly damage: string,
    options?: ErrorOptions,
  ) {
    super(`${file} is damaged (${damage}); stop the service and restore it from a backup: ledger restore --from <backup>`, options);
  }
}

/**
 * The store cannot be opened at start-up for a reason none of the errors above names: a connection string that does
 * not parse, or a server that answers but not as a store the ledger can use. The service says so and stops.
 */
export class StoreNotUsableError extends Error {
  override readonly name = 'StoreNotUsableError';
}

/** Why a store would not open at start-up: the service logs the message alone and exits 3, whichever it is. */
export function isStoreStartupFailure(
  error: unknown,
): error is StoreLockedError | StoreUnavailableError | StoreAccessDeniedError | StoreDamagedError | StoreNotUsableError {
  return (
    error instanceof StoreLockedError ||
    error instanceof StoreUnavailableError ||
    error instanceof StoreAccessDeniedError ||
    error instanceof StoreDamagedError ||
    error instanceof StoreNotUsableError
  );
}
