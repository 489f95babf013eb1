// A test-only stand-in for EventStoreDB: the Streams service of its gRPC API on @grpc/grpc-js, over an in-memory log.
// It serves the service definitions shipped inside @eventstore/db-client, so the real client talks to it over real gRPC.
// Never imported from src/: the product only ever talks to a real EventStoreDB.
import { randomUUID } from 'node:crypto';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb.js';
import type { AppendReq, AppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';
import {
  Metadata,
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerWritableStream,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { comparePositions, TransactionLog, type ExpectedVersion, type ProposedEvent, type StoredEvent } from './log.js';
import {
  appendResponse,
  caughtUpResponse,
  checkpointResponse,
  confirmationResponse,
  eventResponse,
  parseAppendOptions,
  parseProposedMessage,
  parseReadRequest,
  passesFilter,
  RefusedRequest,
  streamNotFoundResponse,
  type ReadRequest,
} from './wire.js';

export interface StandInOptions {
  /** Port on 127.0.0.1; a free one when absent. */
  readonly port?: number;
  /** Send CaughtUp when a subscription goes live, as EventStoreDB does from 23.10; false behaves like older servers. */
  readonly caughtUpMessages?: boolean;
  /** Serve this log instead of a fresh one: a second endpoint onto the same database, which stays up while another stops. */
  readonly log?: TransactionLog;
}

export interface StandIn {
  /** For the real client: `esdb://127.0.0.1:<port>?tls=false`. */
  readonly connectionString: string;
  /** The in-memory log, for assertions on what the server holds. */
  readonly log: TransactionLog;
  /** The server goes away: the port closes and every open call is cut. The log is kept. */
  stop(): Promise<void>;
  /** The server comes back on the same port, with the same log. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** EventStoreDB's default MaxAppendSize: the bytes of one append's events, data and metadata together. */
const MAX_APPEND_SIZE = 1_048_576;

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const log = options.log ?? new TransactionLog();
  const caughtUpMessages = options.caughtUpMessages ?? true;
  let port = options.port ?? 0;
  let server: Server | undefined;

  const start = async (): Promise<void> => {
    if (server !== undefined) return;
    const next = new Server();
    // Only Streams: the client tolerates an unimplemented ServerFeatures (it then appends with Append, not BatchAppend),
    // and a single-node connection string needs no gossip.
    next.addService(StreamsService, {
      append: (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) => append(log, call, callback),
      read: (call: ServerWritableStream<ReadReq, ReadResp>) => void read(log, call, caughtUpMessages),
    } satisfies UntypedServiceImplementation);
    port = await bind(next, port);
    server = next;
  };
  const stop = async (): Promise<void> => {
    server?.forceShutdown();
    server = undefined;
  };

  await start();
  return { connectionString: `esdb://127.0.0.1:${port}?tls=false`, log, start, stop, close: stop };
}

async function bind(server: Server, port: number): Promise<number> {
  // Right after a stop the port may still be closing; a few short retries cover that.
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await new Promise<number>((resolve, reject) =>
        server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
      );
    } catch (error) {
      if (port === 0 || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Client-streaming: options first, then the events; written only once the whole request is in, so a cut call writes nothing. */
function append(log: TransactionLog, call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void {
  let target: { stream: string; expected: ExpectedVersion } | undefined;
  const proposed: ProposedEvent[] = [];
  let size = 0;
  let settled = false;
  const refuse = (error: unknown): void => {
    if (settled) return;
    settled = true;
    callback(serviceError(error));
  };
  call.on('data', (request: AppendReq) => {
    if (settled) return;
    try {
      const options = request.getOptions();
      if (options !== undefined) {
        target = parseAppendOptions(options);
        return;
      }
      const message = request.getProposedMessage();
      if (message === undefined || target === undefined) throw new RefusedRequest(status.INVALID_ARGUMENT, 'an append starts with its options');
      const event = parseProposedMessage(message);
      size += event.data.length + event.customMetadata.length;
      if (size > MAX_APPEND_SIZE) {
        throw new RefusedRequest(status.INVALID_ARGUMENT, 'maximum append size exceeded', {
          exception: 'maximum-append-size-exceeded',
          'maximum-append-size': String(MAX_APPEND_SIZE),
        });
      }
      proposed.push(event);
    } catch (error) {
      refuse(error);
    }
  });
  call.on('end', () => {
    if (settled) return;
    if (target === undefined) return refuse(new RefusedRequest(status.INVALID_ARGUMENT, 'an append without options'));
    settled = true;
    callback(null, appendResponse(log.append(target.stream, proposed, target.expected), target.expected));
  });
  call.on('error', () => (settled = true));
}

/** Server-streaming: a stream read, a $all read, or a $all subscription (catch-up, then live). */
async function read(log: TransactionLog, call: ServerWritableStream<ReadReq, ReadResp>, caughtUpMessages: boolean): Promise<void> {
  let request: ReadRequest;
  try {
    request = parseReadRequest(call.request);
  } catch (error) {
    call.emit('error', serviceError(error));
    return;
  }
  const options = { structuredIds: request.structuredIds, fromAll: request.kind !== 'stream' };
  const sendAll = async (events: Iterable<StoredEvent>): Promise<boolean> => {
    for (const event of events) if (!(await send(call, eventResponse(event, options)))) return false;
    return true;
  };
  switch (request.kind) {
    case 'stream': {
      const events = log.streamEvents(request.stream);
      if (events === undefined) await send(call, streamNotFoundResponse(request.stream));
      else if (!(await sendAll(streamSlice(events, request)))) return;
      break;
    }
    case 'all':
      if (!(await sendAll(allSlice(log, request)))) return;
      break;
    case 'subscribe-all':
      await subscribe(log, call, request, caughtUpMessages);
      return;
  }
  call.end();
}

function* streamSlice(events: readonly StoredEvent[], request: Extract<ReadRequest, { kind: 'stream' }>): Generator<StoredEvent> {
  const last = BigInt(events.length - 1);
  if (request.direction === 'forwards') {
    const from = request.from === 'start' ? 0n : request.from === 'end' ? last + 1n : request.from;
    for (let revision = from, sent = 0n; revision <= last && sent < request.count; revision += 1n, sent += 1n) yield events[Number(revision)]!;
  } else {
    const from = request.from === 'start' ? 0n : request.from === 'end' || request.from > last ? last : request.from;
    for (let revision = from, sent = 0n; revision >= 0n && sent < request.count; revision -= 1n, sent += 1n) yield events[Number(revision)]!;
  }
}

/** Forwards from a position includes the event there; backwards from a position starts strictly before it. */
function* allSlice(log: TransactionLog, request: Extract<ReadRequest, { kind: 'all' }>): Generator<StoredEvent> {
  const { events } = log;
  const step = request.direction === 'forwards' ? 1 : -1;
  let index =
    request.from === 'start'
      ? request.direction === 'forwards' ? 0 : -1
      : request.from === 'end'
        ? request.direction === 'forwards' ? events.length : events.length - 1
        : log.indexAtOrAfter(request.from) - (request.direction === 'forwards' ? 0 : 1);
  for (let sent = 0n; index >= 0 && index < events.length && sent < request.count; index += step) {
    const event = events[index]!;
    if (!passesFilter(request.filter, event)) continue;
    sent += 1n;
    yield event;
  }
}

/**
 * Confirmation, then every matching event after `from` (exclusive, as a subscription resumes after its checkpoint), then
 * CaughtUp, then live events as they are appended. One cursor over the log serves catch-up and live, so the switch can
 * neither skip nor repeat an event. A filtered subscription also gets a checkpoint every `checkpointEvery` events scanned.
 */
async function subscribe(
  log: TransactionLog,
  call: ServerWritableStream<ReadReq, ReadResp>,
  request: Extract<ReadRequest, { kind: 'subscribe-all' }>,
  caughtUpMessages: boolean,
): Promise<void> {
  const { events } = log;
  let next = request.from === 'start' ? 0 : request.from === 'end' ? events.length : log.indexAtOrAfter(request.from);
  if (typeof request.from === 'object' && next < events.length && comparePositions(events[next]!.position, request.from) === 0) next += 1;
  let wake: () => void = () => undefined;
  const unlisten = log.onAppended(() => wake());
  call.on('cancelled', () => wake());
  try {
    if (!(await send(call, confirmationResponse(randomUUID())))) return;
    let live = false;
    let scanned = 0;
    while (!call.cancelled) {
      const event = events[next];
      if (event !== undefined) {
        next += 1;
        scanned += 1;
        const message = passesFilter(request.filter, event)
          ? eventResponse(event, { structuredIds: request.structuredIds, fromAll: true })
          : request.filter !== undefined && scanned % request.checkpointEvery === 0
            ? checkpointResponse(event.position)
            : undefined;
        if (message !== undefined && !(await send(call, message))) return;
        continue;
      }
      if (!live) {
        live = true;
        if (caughtUpMessages && !(await send(call, caughtUpResponse()))) return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    unlisten();
  }
}

/** Writes with the stream's flow control; false once the call is gone. */
function send(call: ServerWritableStream<ReadReq, ReadResp>, message: ReadResp): Promise<boolean> {
  if (call.cancelled || call.destroyed) return Promise.resolve(false);
  if (call.write(message)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (written: boolean) => () => {
      call.off('drain', drained);
      call.off('cancelled', cancelled);
      resolve(written);
    };
    const drained = settle(true);
    const cancelled = settle(false);
    call.once('drain', drained);
    call.once('cancelled', cancelled);
  });
}

function serviceError(error: unknown): Partial<ServiceError> {
  if (!(error instanceof RefusedRequest)) return { code: status.INTERNAL, details: String(error) };
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(error.metadata)) metadata.set(key, value);
  return { code: error.code, details: error.message, metadata };
}
