// The EventStoreDB adapter: the port over @eventstore/db-client v6 (gRPC), reading only this ledger's streams.
import {
  ANY,
  CancelledError,
  DeadlineExceededError,
  EventStoreDBClient,
  NO_STREAM,
  NotLeaderError,
  STREAM_EXISTS,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
  convertToCommandError,
  jsonEvent,
  type AppendExpectedRevision,
  type BaseOptions,
} from '@eventstore/db-client';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type { UUID } from '@eventstore/db-client/generated/shared_pb.js';
import { StreamsClient } from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';
import type { CallOptions, ClientReadableStream, Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { assertExpectedRevision } from './expectedRevision.js';
import {
  StoreUnavailableError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventFilter,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandlers,
} from './port.js';
import { comparePositions, formatPosition } from './position.js';

/** The streams this ledger writes (programme-{code}, announcement-{id}, fx-{base}-{quote}): all its store ever reads. */
export const LEDGER_STREAM_PREFIXES: readonly string[] = Object.freeze(['programme-', 'announcement-', 'fx-']);

export interface EventStoreDbOptions {
  /** For example `esdb://127.0.0.1:2113?tls=false`. Credentials in it are masked in every message and log. */
  readonly connectionString: string;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How long start-up waits for the server's first answer. @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
  /** The only streams readAll, subscribeToAll and headPosition see; never system streams. @defaultValue LEDGER_STREAM_PREFIXES */
  readonly streamPrefixes?: readonly string[];
  /** A subscription's wait between reconnection attempts, doubling from `firstMs` up to `maxMs`. @defaultValue 100 and 5000 */
  readonly reconnectBackoff?: { readonly firstMs: number; readonly maxMs: number };
}

/**
 * Connects, and proves the connection with one filtered read of $all before returning; a bad or unreachable server fails
 * here, within `connectTimeoutMs`, with a message naming the connection string (credentials masked).
 * Filtered reads of $all need EventStoreDB 21.10 or later.
 */
export async function openEventStoreDb(options: EventStoreDbOptions): Promise<EventStore> {
  const where = maskConnectionString(options.connectionString);
  const prefixes = checkedPrefixes(options.streamPrefixes ?? LEDGER_STREAM_PREFIXES);
  let client: EventStoreDBClient;
  try {
    client = EventStoreDBClient.connectionString(options.connectionString);
  } catch (error) {
    throw new Error(`invalid EventStoreDB connection string ${where}: ${messageOf(error)}`, { cause: error });
  }
  const store = new EventStoreDbStore(client, where, prefixes, options);
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  try {
    const head = await withTimeout(store.lastPosition(prefixes, timeoutMs), timeoutMs);
    options.logger?.info({ eventStore: where, head: head && formatPosition(head) }, 'EventStoreDB store opened');
    return store;
  } catch (error) {
    await store.close();
    const reason = error instanceof StartupTimeout ? `no answer within ${timeoutMs} ms` : messageOf(error);
    const message = `EventStoreDB at ${where} is not usable: ${reason}`;
    throw error instanceof StartupTimeout || isUnavailable(error) ? new StoreUnavailableError(message, { cause: error }) : new Error(message, { cause: error });
  }
}

/** The connection string with any user and password replaced by `***`. */
export function maskConnectionString(connectionString: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(connectionString)?.[0] ?? '';
  const at = connectionString.lastIndexOf('@');
  return at < scheme.length ? connectionString : `${scheme}***${connectionString.slice(at)}`;
}

type ReadCall = ClientReadableStream<ReadResp>;
type RecordedEventMessage = ReadResp.ReadEvent.RecordedEvent;
type Channel = ReturnType<StreamsClient['getChannel']>;

/** One read: of a stream from a revision, or of $all from a position filtered on the server by stream-name prefix. */
type Read = (
  | { readonly stream: string; readonly from: bigint | 'end' }
  | { readonly prefixes: readonly string[]; readonly from: Position | 'start' | 'end' }
) & {
  readonly direction: 'forwards' | 'backwards';
  /** How many events at most; a $all read without a count is a subscription. */
  readonly count?: bigint;
};

/** What a read or subscription answers, in the order the server sent it. */
type ReadMessage =
  | { readonly kind: 'event'; readonly position: Position; readonly type: string; readonly record: RecordedEventMessage }
  | { readonly kind: 'checkpoint'; readonly position: Position }
  | { readonly kind: 'confirmation' }
  | { readonly kind: 'caught-up' }
  | { readonly kind: 'stream-not-found' };

/**
 * The protected members the v6 client builds its own reads on. Its readAll cannot filter (the protocol can, since
 * 21.10), its subscription reports CaughtUp out of band, and its stream reads hide the call, which then cannot be ended
 * when a reader stops early. Building the requests here keeps the filter on the server, every message in order and every
 * call ours to end, on the client's own channel, credentials and reconnection.
 */
interface ClientInternals {
  GRPCStreamCreator(client: typeof StreamsClient, name: string, create: (client: StreamsClient) => ReadCall): () => Promise<ReadCall>;
  callArguments(options: BaseOptions, callOptions?: CallOptions): [Metadata, CallOptions];
}

class EventStoreDbStore implements EventStore {
  private closed = false;
  private readonly subscriptions = new Set<EventStoreDbSubscription>();
  private readonly channels = new Set<Channel>();

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly where: string,
    private readonly prefixes: readonly string[],
    private readonly options: EventStoreDbOptions,
  ) {}

  async append(stream: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    if (events.length === 0) return this.emptyAppend(stream, expected);
    // Serialised first: a payload JSON cannot represent must fail here, not inside the client's half-sent request.
    for (const event of events) JSON.stringify([event.data, event.metadata]);
    // The port's id becomes the server's event id: a retry with the same ids is recognised and not written twice.
    const proposed = events.map(({ id, type, data, metadata }) => jsonEvent({ id, type, data, metadata }));
    try {
      const result = await this.client.appendToStream(stream, proposed, { expectedRevision: toClientRevision(expected) });
      const position = result.position ?? (await this.lastOfStream(stream))?.position;
      if (position === undefined) throw new Error(`EventStoreDB answered an append to ${stream} without a position`);
      return { nextRevision: result.nextExpectedRevision, position };
    } catch (error) {
      throw this.portError(error, { stream, expected });
    }
  }

  /** Nothing to write: the revision check and the answer come from the stream's last event, as on the embedded store. */
  private async emptyAppend(stream: string, expected: ExpectedRevision): Promise<AppendResult> {
    const last = await this.lastOfStream(stream);
    assertExpectedRevision(stream, expected, last?.revision ?? 'no-stream');
    if (last === undefined) throw new RangeError(`append to ${stream}: no events, and the stream does not exist`);
    return { nextRevision: last.revision, position: last.position };
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    this.assertOpen();
    const limit = limitOf(options.limit);
    if (limit === 0) return;
    const count = BigInt(limit === Infinity ? Number.MAX_SAFE_INTEGER : limit);
    yield* this.streamEvents({ stream, from: options.fromRevision ?? 0n, direction: 'forwards', count });
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    this.assertOpen();
    let remaining = limitOf(options.limit);
    const prefixes = scopedPrefixes(this.prefixes, options.filter?.streamPrefixes);
    if (remaining === 0 || prefixes.length === 0) return;
    const after = options.after;
    try {
      const call = await this.openRead({ prefixes, from: after ?? 'start', direction: 'forwards', count: BigInt(Number.MAX_SAFE_INTEGER) });
      for await (const message of readMessages(call)) {
        if (message.kind !== 'event' || !passesTypes(options.filter, message.type)) continue;
        // A read from a position starts with the event there; the port wants what comes strictly after it.
        if (after !== undefined && comparePositions(message.position, after) <= 0) continue;
        yield toRecordedEvent(message.record);
        if (--remaining === 0) return;
      }
    } catch (error) {
      throw this.portError(error);
    }
  }

  subscribeToAll(options: SubscribeOptions, handlers: SubscriptionHandlers): Subscription {
    this.assertOpen();
    const prefixes = scopedPrefixes(this.prefixes, options.filter?.streamPrefixes);
    const subscription = new EventStoreDbSubscription(
      {
        prefixes,
        head: () => this.lastPosition(prefixes),
        open: (from) => this.openRead({ prefixes, from, direction: 'forwards' }),
        forget: () => this.subscriptions.delete(subscription),
      },
      options,
      handlers,
      this.options,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<Position | undefined> {
    this.assertOpen();
    try {
      return await this.lastPosition(this.prefixes);
    } catch (error) {
      throw this.portError(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const subscription of [...this.subscriptions]) subscription.stop();
    await this.client.dispose();
    for (const channel of this.channels) channel.close();
    this.options.logger?.info({ eventStore: this.where }, 'EventStoreDB store closed');
  }

  /** Position of the last event in these streams (system-typed ones included), undefined when there is none. */
  async lastPosition(prefixes: readonly string[], deadlineMs?: number): Promise<Position | undefined> {
    const call = await this.openRead({ prefixes, from: 'end', direction: 'backwards', count: 1n }, deadlineMs);
    for await (const message of readMessages(call)) if (message.kind === 'event') return message.position;
    return undefined;
  }

  private async lastOfStream(stream: string): Promise<RecordedEvent | undefined> {
    for await (const event of this.streamEvents({ stream, from: 'end', direction: 'backwards', count: 1n })) return event;
    return undefined;
  }

  /** A stream's events; none when it does not exist. */
  private async *streamEvents(read: Read & { stream: string }): AsyncGenerator<RecordedEvent> {
    try {
      const call = await this.openRead(read);
      for await (const message of readMessages(call)) {
        if (message.kind === 'stream-not-found') return;
        if (message.kind === 'event') yield toRecordedEvent(message.record);
      }
    } catch (error) {
      throw this.portError(error);
    }
  }

  private async openRead(read: Read, deadlineMs?: number): Promise<ReadCall> {
    const client = this.client as unknown as ClientInternals;
    const request = readRequest(read);
    const [metadata, callOptions] = client.callArguments({ deadline: deadlineMs }, deadlineMs === undefined ? { deadline: Infinity } : undefined);
    const call = await client.GRPCStreamCreator(StreamsClient, 'stream' in read ? 'readStream' : 'readAll', (grpcClient) => {
      this.channels.add(grpcClient.getChannel());
      return grpcClient.read(request, metadata, callOptions);
    })();
    // Errors reach the reader through iteration; this only keeps one that arrives after a cancel from going unhandled.
    call.on('error', () => undefined);
    return call;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError(`the EventStoreDB store at ${this.where} is closed`);
  }

  private portError(error: unknown, append?: { stream: string; expected: ExpectedRevision }): Error {
    const converted = error instanceof Error ? convertToCommandError(error) : new Error(String(error));
    if (append !== undefined && converted instanceof WrongExpectedVersionError) {
      const actual = converted.actualVersion === NO_STREAM ? 'no-stream' : converted.actualVersion;
      return new WrongExpectedRevisionError(append.stream, append.expected, actual);
    }
    if (isUnavailable(converted)) {
      return new StoreUnavailableError(`EventStoreDB at ${this.where} is unavailable: ${converted.message}`, { cause: converted });
    }
    return converted;
  }
}

interface SubscriptionSource {
  readonly prefixes: readonly string[];
  head(): Promise<Position | undefined>;
  open(from: Position | 'start'): Promise<ReadCall>;
  forget(): void;
}

/** A handler threw: the subscription ends, as the port says, instead of reconnecting. */
class HandlerFailure extends Error {}

/**
 * One subscribeToAll that outlives the server going away: on a lost connection it reports onDisconnected, waits
 * (doubling, capped, jittered), and subscribes again after the last event it delivered, so nothing is applied twice or
 * missed. Caught up is the server's CaughtUp message (23.10 and later) or, for older servers, reaching the last
 * position the stream filter matched when the connection was made.
 */
class EventStoreDbSubscription implements Subscription {
  private stopped = false;
  private delivered: Position | undefined;
  private call: ReadCall | undefined;
  private wake: () => void = () => undefined;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscribeOptions,
    private readonly handlers: SubscriptionHandlers,
    private readonly settings: Pick<EventStoreDbOptions, 'logger' | 'reconnectBackoff'>,
  ) {
    this.delivered = options.after;
    // Not synchronously: handlers should not run before subscribeToAll has returned the subscription.
    setImmediate(() => void this.run());
  }

  async close(): Promise<void> {
    this.stop();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const call = this.call;
    // Cancelled on the next turn, as the client does: grpc-js misbehaves when a call is cancelled inside its own callbacks.
    if (call !== undefined) setImmediate(() => call.cancel());
    this.wake();
    this.source.forget();
  }

  private async run(): Promise<void> {
    // No stream can match: caught up at once, and nothing will ever come.
    if (this.source.prefixes.length === 0) return this.notify(() => this.handlers.onCaughtUp?.(this.delivered)).catch((error: unknown) => this.fail(error));
    const { firstMs, maxMs } = this.settings.reconnectBackoff ?? { firstMs: 100, maxMs: 5_000 };
    let attempt = 0;
    let connected = true;
    while (!this.stopped) {
      try {
        await this.follow(() => {
          attempt = 0;
          connected = true;
        });
        if (!this.stopped) throw new UnavailableError(undefined, 'EventStoreDB ended the subscription');
      } catch (error) {
        if (this.stopped) return;
        const cause = error instanceof Error ? convertToCommandError(error) : new Error(String(error));
        if (!isUnavailable(cause)) return this.fail(cause);
        if (connected) {
          connected = false;
          this.settings.logger?.warn({ err: cause, after: this.delivered && formatPosition(this.delivered) }, 'EventStoreDB subscription lost; reconnecting');
          await this.notify(() => this.handlers.onDisconnected?.(cause)).catch((failure: unknown) => this.fail(failure));
        }
        const capped = Math.min(maxMs, firstMs * 2 ** attempt);
        attempt += 1;
        await this.pause(capped / 2 + (Math.random() * capped) / 2);
      }
    }
  }

  /** One connection: subscribe after the last delivered event, deliver until the stream ends or fails. */
  private async follow(confirmed: () => void): Promise<void> {
    const from = this.delivered;
    const head = await this.source.head();
    if (this.stopped) return;
    const call = await this.source.open(from ?? 'start');
    this.call = call;
    if (this.stopped) return call.cancel();
    let live = false;
    const reached = (position: Position): boolean => head === undefined || comparePositions(position, head) >= 0;
    const goLive = async (): Promise<void> => {
      if (live) return;
      live = true;
      await this.notify(() => this.handlers.onCaughtUp?.(this.delivered));
    };
    for await (const message of readMessages(call)) {
      if (this.stopped) return;
      if (message.kind === 'confirmation') {
        confirmed();
        if (head === undefined || (from !== undefined && reached(from))) await goLive();
      } else if (message.kind === 'caught-up') {
        await goLive();
      } else if (message.kind === 'event' || message.kind === 'checkpoint') {
        if (message.kind === 'event') await this.deliver(message);
        if (reached(message.position)) await goLive();
      }
    }
  }

  private async deliver(message: Extract<ReadMessage, { kind: 'event' }>): Promise<void> {
    // After a reconnect the server may offer again what was delivered before it: never twice.
    if (this.delivered !== undefined && comparePositions(message.position, this.delivered) <= 0) return;
    if (!passesTypes(this.options.filter, message.type)) return;
    const event = toRecordedEvent(message.record);
    await this.notify(() => this.handlers.onEvent(event));
    this.delivered = event.position;
  }

  /** Runs a handler unless stopped; what it throws ends the subscription. */
  private async notify(handler: () => void | Promise<void>): Promise<void> {
    if (this.stopped) return;
    try {
      await handler();
    } catch (error) {
      throw new HandlerFailure('subscription handler failed', { cause: error });
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private fail(cause: unknown): void {
    if (this.stopped) return;
    this.stop();
    const error = cause instanceof HandlerFailure ? cause.cause : cause;
    const failure = error instanceof Error ? error : new Error(String(error));
    this.settings.logger?.error({ err: failure }, 'EventStoreDB subscription stopped');
    try {
      this.handlers.onError?.(failure);
    } catch (handlerError) {
      this.settings.logger?.error({ err: handlerError }, 'EventStoreDB subscription: onError threw');
    }
  }
}

/** Messages of a read in order; converts gRPC errors to the client's typed errors and cancels the call when left early. */
async function* readMessages(call: ReadCall): AsyncGenerator<ReadMessage> {
  let finished = false;
  try {
    for await (const response of call as AsyncIterable<ReadResp>) {
      const message = toReadMessage(response);
      if (message !== undefined) yield message;
    }
    finished = true;
  } catch (error) {
    finished = true;
    throw error instanceof Error ? convertToCommandError(error) : error;
  } finally {
    if (!finished) setImmediate(() => call.cancel());
  }
}

function toReadMessage(response: ReadResp): ReadMessage | undefined {
  const Content = streamsPb.ReadResp.ContentCase;
  switch (response.getContentCase()) {
    case Content.EVENT: {
      const record = response.getEvent()?.getEvent();
      if (record === undefined) return undefined;
      const position = { commit: BigInt(record.getCommitPosition()), prepare: BigInt(record.getPreparePosition()) };
      return { kind: 'event', position, type: record.getMetadataMap().get('type') ?? '', record };
    }
    case Content.CHECKPOINT: {
      const checkpoint = response.getCheckpoint()!;
      return { kind: 'checkpoint', position: { commit: BigInt(checkpoint.getCommitPosition()), prepare: BigInt(checkpoint.getPreparePosition()) } };
    }
    case Content.CONFIRMATION:
      return { kind: 'confirmation' };
    case Content.CAUGHT_UP:
      return { kind: 'caught-up' };
    case Content.STREAM_NOT_FOUND:
      return { kind: 'stream-not-found' };
    default:
      return undefined;
  }
}

function readRequest(read: Read): ReadReq {
  const Options = streamsPb.ReadReq.Options;
  const options = new Options()
    .setReadDirection(read.direction === 'forwards' ? Options.ReadDirection.FORWARDS : Options.ReadDirection.BACKWARDS)
    .setResolveLinks(false)
    .setUuidOption(new Options.UUIDOption().setString(new sharedPb.Empty()));
  if (read.count === undefined) options.setSubscription(new Options.SubscriptionOptions());
  else options.setCount(read.count.toString());
  if ('stream' in read) {
    const stream = new Options.StreamOptions().setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(read.stream, 'utf8')));
    if (read.from === 'end') stream.setEnd(new sharedPb.Empty());
    else stream.setRevision(read.from.toString());
    return new streamsPb.ReadReq().setOptions(options.setStream(stream).setNoFilter(new sharedPb.Empty()));
  }
  const all = new Options.AllOptions();
  if (read.from === 'start') all.setStart(new sharedPb.Empty());
  else if (read.from === 'end') all.setEnd(new sharedPb.Empty());
  else all.setPosition(new Options.Position().setCommitPosition(read.from.commit.toString()).setPreparePosition(read.from.prepare.toString()));
  const filter = new Options.FilterOptions()
    .setStreamIdentifier(new Options.FilterOptions.Expression().setPrefixList([...read.prefixes]))
    .setCount(new sharedPb.Empty())
    .setCheckpointintervalmultiplier(1);
  return new streamsPb.ReadReq().setOptions(options.setAll(all).setFilter(filter));
}

function toRecordedEvent(record: RecordedEventMessage): RecordedEvent {
  const stream = Buffer.from(record.getStreamIdentifier()?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
  const id = uuidOf(record.getId());
  const contentType = record.getMetadataMap().get('content-type');
  if (contentType !== 'application/json') throw new Error(`event ${id} in ${stream} is ${contentType ?? 'untyped'}, not JSON`);
  const metadata = record.getCustomMetadata_asU8();
  return {
    id,
    stream,
    revision: BigInt(record.getStreamRevision()),
    position: { commit: BigInt(record.getCommitPosition()), prepare: BigInt(record.getPreparePosition()) },
    type: record.getMetadataMap().get('type') ?? '',
    data: jsonObject(JSON.parse(Buffer.from(record.getData_asU8()).toString('utf8')), id),
    metadata: metadata.length === 0 ? {} : jsonObject(JSON.parse(Buffer.from(metadata).toString('utf8')), id),
  };
}

function jsonObject(value: unknown, id: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`event ${id} holds JSON that is not an object`);
  }
  return value as Record<string, unknown>;
}

/** Ids are asked for as strings; a server that sends the structured form (two 64-bit halves) is read too. */
function uuidOf(uuid: UUID | undefined): string {
  const structured = uuid?.getStructured();
  if (structured === undefined) return uuid?.getString() ?? '';
  const bytes = Buffer.alloc(16);
  bytes.writeBigInt64BE(BigInt(structured.getMostSignificantBits()), 0);
  bytes.writeBigInt64BE(BigInt(structured.getLeastSignificantBits()), 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function toClientRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no-stream') return NO_STREAM;
  if (expected === 'stream-exists') return STREAM_EXISTS;
  return expected;
}

/** The prefixes a stream must start with to be both one of `scope` and one of `wanted` (none: nothing can match). */
function scopedPrefixes(scope: readonly string[], wanted: readonly string[] | undefined): string[] {
  if (wanted === undefined || wanted.length === 0) return [...scope];
  const both = new Set<string>();
  for (const prefix of wanted) {
    for (const allowed of scope) {
      if (prefix.startsWith(allowed)) both.add(prefix);
      else if (allowed.startsWith(prefix)) both.add(allowed);
    }
  }
  return [...both];
}

/** The server filters by stream name only (it cannot combine stream and type); types are checked here, as the port says. */
function passesTypes(filter: EventFilter | undefined, type: string): boolean {
  const types = filter?.eventTypes ?? [];
  return types.length > 0 ? types.includes(type) : !type.startsWith('$');
}

function checkedPrefixes(prefixes: readonly string[]): readonly string[] {
  if (prefixes.length === 0 || prefixes.some((prefix) => prefix === '' || prefix.startsWith('$'))) {
    throw new RangeError(`stream prefixes must be non-empty and must not name system streams, got ${JSON.stringify(prefixes)}`);
  }
  return prefixes;
}

function isUnavailable(error: unknown): boolean {
  return [UnavailableError, DeadlineExceededError, CancelledError, TimeoutError, NotLeaderError].some((type) => error instanceof type);
}

function limitOf(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be a whole number >= 0, got ${limit}`);
  return limit;
}

class StartupTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new StartupTimeout()), ms)));
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
