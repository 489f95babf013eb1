// The EventStoreDB adapter: the port over @eventstore/db-client v6 (gRPC), reading only this ledger's streams.
import {
  ANY,
  EventStoreDBClient,
  NO_STREAM,
  STREAM_EXISTS,
  jsonEvent,
  type AppendExpectedRevision,
  type BaseOptions,
} from '@eventstore/db-client';
import { StreamsClient } from '@eventstore/db-client/generated/streams_grpc_pb.js';
import type { CallOptions, Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { assertExpectedRevision } from './expectedRevision.js';
import {
  limitOf,
  StoreAccessDeniedError,
  StoreNotUsableError,
  StoreUnavailableError,
  type AppendResult,
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
import {
  isUnavailable,
  passesTypes,
  readMessages,
  readRequest,
  toRecordedEvent,
  type Read,
  type ReadCall,
  type ReadMessage,
} from './eventStoreDbMessages.js';
import { toPortError, type Operation } from './eventStoreDbErrors.js';
import { EventStoreDbSubscription } from './eventStoreDbSubscription.js';
import { comparePositions, formatPosition } from './position.js';
import { appendAttributes, inSpan } from '../telemetry/spans.js';

/** The streams this ledger writes (programme-{code}, announcement-{id}, fx-{base}-{quote}): all its store ever reads. */
export const LEDGER_STREAM_PREFIXES: readonly string[] = Object.freeze(['programme-', 'announcement-', 'fx-']);

export interface EventStoreDbOptions {
  /** For example `esdb://127.0.0.1:2113?tls=false`. Credentials in it are masked in every message and log. */
  readonly connectionString: string;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How long start-up waits for the server's first answer. @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
  /**
   * The gRPC deadline of each read call (a page of at most 512 events, a stream's last event, the head): a server that
   * stops answering on a connection that still looks open fails the read within this, as 503, instead of after the
   * keep-alive timeout. Subscriptions have none: they are meant to stay open.
   * @defaultValue the client's deadline for every call: `defaultDeadline` in the connection string, 10000 ms when absent
   */
  readonly readDeadlineMs?: number;
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
    throw new StoreNotUsableError(`invalid EventStoreDB connection string ${where}: ${messageOf(error)}`, { cause: error });
  }
  const store = new EventStoreDbStore(client, where, prefixes, options);
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  try {
    const head = await withTimeout(store.lastPosition(prefixes, timeoutMs), timeoutMs);
    options.logger?.info({ eventStore: where, head: head && formatPosition(head) }, 'EventStoreDB store opened');
    return store;
  } catch (error) {
    await store.close();
    const reason =
      error instanceof StartupTimeout
        ? `no answer within ${timeoutMs} ms`
        : messageOf(error instanceof StoreUnavailableError ? error.cause : error);
    const message = `EventStoreDB at ${where} is not usable: ${reason}`;
    // Its message already names the server, what was denied and the `$admins` membership that reading $all needs.
    if (error instanceof StoreAccessDeniedError) throw error;
    throw error instanceof StartupTimeout || error instanceof StoreUnavailableError || isUnavailable(error)
      ? new StoreUnavailableError(message, { cause: error })
      : new StoreNotUsableError(message, { cause: error });
  }
}

/** The connection string with any user and password replaced by `***`. */
export function maskConnectionString(connectionString: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(connectionString)?.[0] ?? '';
  const at = connectionString.lastIndexOf('@');
  return at < scheme.length ? connectionString : `${scheme}***${connectionString.slice(at)}`;
}

type Channel = ReturnType<StreamsClient['getChannel']>;

/** Events per read call of $all or of a stream. */
const READ_PAGE = 512;

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
    return inSpan('append', appendAttributes('eventstoredb', stream, events.length, expected), () =>
      this.appendToStream(stream, events, expected),
    );
  }

  private async appendToStream(stream: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
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
      throw this.portError(error, { kind: 'append', stream, expected });
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
    for (let from: Position | 'start' = after ?? 'start'; ;) {
      const page = await this.readPage(
        { prefixes, from, direction: 'forwards', count: BigInt(READ_PAGE) },
        { kind: 'read-all', from: after },
      );
      let last: Position | undefined;
      for (const message of page) {
        if (message.kind !== 'event') continue;
        last = message.position;
        // A read from a position starts with the event there; the port wants what comes strictly after it.
        if (from !== 'start' && comparePositions(message.position, from) <= 0) continue;
        if (!passesTypes(options.filter, message.type)) continue;
        yield toRecordedEvent(message.record);
        if (--remaining === 0) return;
      }
      if (last === undefined || page.filter((message) => message.kind === 'event').length < READ_PAGE) return;
      from = last;
    }
  }

  subscribeToAll(options: SubscribeOptions, handlers: SubscriptionHandlers): Subscription {
    this.assertOpen();
    const prefixes = scopedPrefixes(this.prefixes, options.filter?.streamPrefixes);
    const subscription = new EventStoreDbSubscription(
      {
        prefixes,
        head: () => this.lastPosition(prefixes),
        open: (from) => this.openRead({ prefixes, from, direction: 'forwards' }, 'none'),
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
      throw this.portError(error, { kind: 'read-all' });
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
  async lastPosition(prefixes: readonly string[], deadlineMs = this.options.readDeadlineMs): Promise<Position | undefined> {
    const page = await this.readPage({ prefixes, from: 'end', direction: 'backwards', count: 1n }, { kind: 'read-all' }, deadlineMs);
    return page.find((message) => message.kind === 'event')?.position;
  }

  private async lastOfStream(stream: string): Promise<RecordedEvent | undefined> {
    for await (const event of this.streamEvents({ stream, from: 'end', direction: 'backwards', count: 1n })) return event;
    return undefined;
  }

  /** A stream's events, a page per call; none when it does not exist. */
  private async *streamEvents(read: Read & { stream: string; from: bigint | 'end'; count: bigint }): AsyncGenerator<RecordedEvent> {
    let { from, count } = read;
    while (count > 0n) {
      const size = count < BigInt(READ_PAGE) ? count : BigInt(READ_PAGE);
      const page = await this.readPage({ ...read, from, count: size }, { kind: 'read-stream', stream: read.stream });
      let last: bigint | undefined;
      for (const message of page) {
        if (message.kind === 'stream-not-found') return;
        if (message.kind !== 'event') continue;
        const event = toRecordedEvent(message.record);
        last = event.revision;
        yield event;
      }
      count -= size;
      if (last === undefined || read.direction === 'backwards' || page.filter((message) => message.kind === 'event').length < size) return;
      from = last + 1n;
    }
  }

  /**
   * One read call under a deadline, read whole before anything is handed on: a slow consumer (a time-sliced export,
   * say) never holds a call open past its deadline, and a server gone silent fails the read within it.
   */
  private async readPage(read: Read, operation: Operation, deadlineMs = this.options.readDeadlineMs): Promise<ReadMessage[]> {
    try {
      const messages: ReadMessage[] = [];
      for await (const message of readMessages(await this.openRead(read, deadlineMs))) messages.push(message);
      return messages;
    } catch (error) {
      throw this.portError(error, operation);
    }
  }

  /** A read call: under `deadlineMs`, or the client's default deadline when undefined, or none for a subscription. */
  private async openRead(read: Read, deadlineMs: number | undefined | 'none'): Promise<ReadCall> {
    const client = this.client as unknown as ClientInternals;
    const request = readRequest(read);
    const [metadata, callOptions] =
      deadlineMs === 'none' ? client.callArguments({}, { deadline: Infinity }) : client.callArguments({ deadline: deadlineMs });
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

  private portError(error: unknown, operation: Operation): Error {
    return toPortError(error, this.where, operation);
  }
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

function checkedPrefixes(prefixes: readonly string[]): readonly string[] {
  if (prefixes.length === 0 || prefixes.some((prefix) => prefix === '' || prefix.startsWith('$'))) {
    throw new RangeError(`stream prefixes must be non-empty and must not name system streams, got ${JSON.stringify(prefixes)}`);
  }
  return prefixes;
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
