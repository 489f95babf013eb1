// Streams.Read on the stand-in: stream reads, $all reads and $all subscriptions, as EventStoreDB v24.10.0 serves them
// (src/EventStore.Core/Services/Transport/Grpc/Streams.Read.cs and the enumerators in
// src/EventStore.Core/Services/Transport/Enumerators/).
import { randomUUID } from 'node:crypto';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';
import type { ServerWritableStream } from '@grpc/grpc-js';
import { comparePositions, type LogPosition, type StoredEvent, type TransactionLog } from './log.js';
import { refused } from './status.js';
import {
  caughtUpResponse,
  checkpointResponse,
  confirmationResponse,
  eventResponse,
  passesFilter,
  streamNotFoundResponse,
  type ReadRequest,
} from './wire.js';

export type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

/** Position.End: what the server sends as a checkpoint when it has none (Position.FromInt64(-1, -1)). */
const END_POSITION: LogPosition = { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n };

export interface ReadSettings {
  /**
   * CaughtUp when a subscription goes live, and a filtered one's checkpoint at the end of its catch-up: both came with
   * 24.2's rewritten subscription enumerators (Streams.Read.cs converts SubscriptionCaughtUp from oss-v24.2.0 on; the
   * 23.10 protocol already had the message but its server never sent it). False behaves like servers before 24.2.
   */
  readonly caughtUpMessages: boolean;
}

/** A stream read, a $all read, or a $all subscription (catch-up, then live); refusals throw RefusedRequest. */
export async function serveRead(log: TransactionLog, call: ReadCall, request: ReadRequest, settings: ReadSettings): Promise<void> {
  const options = { structuredIds: request.structuredIds, fromAll: request.kind !== 'stream' };
  const sendAll = async (events: Iterable<StoredEvent>): Promise<boolean> => {
    for (const event of events) if (!(await send(call, eventResponse(event, options)))) return false;
    return true;
  };
  switch (request.kind) {
    case 'stream': {
      // Enumerator.ReadStreamForwards/Backwards: NoStream is a message, StreamDeleted ends the call.
      const read = log.readStream(request.stream);
      if (read.kind === 'deleted') throw refused.streamDeleted(request.stream);
      if (read.kind === 'not-found') await send(call, streamNotFoundResponse(request.stream));
      else if (!(await sendAll(streamSlice(read.events, request)))) return;
      break;
    }
    case 'all':
      if (typeof request.from === 'object' && !log.isReadablePosition(request.from))
        throw refused.readFromInvalidPosition(request.filter !== undefined);
      if (!(await sendAll(allSlice(log, request)))) return;
      break;
    case 'subscribe-all':
      if (typeof request.from === 'object' && !log.isReadablePosition(request.from)) throw refused.subscribeFromInvalidPosition();
      await subscribe(log, call, request, settings);
      return;
  }
  call.end();
}

function* streamSlice(events: readonly StoredEvent[], request: Extract<ReadRequest, { kind: 'stream' }>): Generator<StoredEvent> {
  if (events.length === 0) return;
  const first = events[0]!.revision;
  const last = events.at(-1)!.revision;
  const at = (revision: bigint) => events[Number(revision - first)]!;
  if (request.direction === 'forwards') {
    const from = request.from === 'start' ? first : request.from === 'end' ? last + 1n : request.from < first ? first : request.from;
    for (let revision = from, sent = 0n; revision <= last && sent < request.count; revision += 1n, sent += 1n) yield at(revision);
  } else {
    const from = request.from === 'start' ? first : request.from === 'end' || request.from > last ? last : request.from;
    for (let revision = from, sent = 0n; revision >= first && sent < request.count; revision -= 1n, sent += 1n) yield at(revision);
  }
}

/** Forwards from a position includes the event there; backwards from a position starts strictly before it. */
function* allSlice(log: TransactionLog, request: Extract<ReadRequest, { kind: 'all' }>): Generator<StoredEvent> {
  const { events } = log;
  const step = request.direction === 'forwards' ? 1 : -1;
  let index =
    request.from === 'start'
      ? request.direction === 'forwards'
        ? 0
        : -1
      : request.from === 'end'
        ? request.direction === 'forwards'
          ? events.length
          : events.length - 1
        : log.indexAtOrAfter(request.from) - (request.direction === 'forwards' ? 0 : 1);
  for (let sent = 0n; index >= 0 && index < events.length && sent < request.count; index += step) {
    const event = events[index]!;
    if (!passesFilter(request.filter, event)) continue;
    sent += 1n;
    yield event;
  }
}

/**
 * Enumerator.AllSubscription(Filtered).cs: confirmation, then every matching event after `from` (exclusive), then live.
 * A subscription from at or past the last event goes live at once; otherwise it catches up first, and a filtered one
 * then sends a checkpoint at the last position it sent (Position.End when it sent none) before CaughtUp. A filtered
 * subscription also gets a checkpoint every `checkpointEvery` events scanned. One cursor over the log serves catch-up
 * and live, so the switch can neither skip nor repeat an event.
 */
async function subscribe(
  log: TransactionLog,
  call: ReadCall,
  request: Extract<ReadRequest, { kind: 'subscribe-all' }>,
  settings: ReadSettings,
): Promise<void> {
  const { events } = log;
  let next = request.from === 'start' ? 0 : request.from === 'end' ? events.length : log.indexAtOrAfter(request.from);
  if (typeof request.from === 'object' && next < events.length && comparePositions(events[next]!.position, request.from) === 0) next += 1;
  let checkpoint: LogPosition = typeof request.from === 'object' ? request.from : END_POSITION;
  let wake: () => void = () => undefined;
  const unlisten = log.onAppended(() => wake());
  call.on('cancelled', () => wake());
  try {
    if (!(await send(call, confirmationResponse(randomUUID())))) return;
    let live = next >= events.length;
    if (live && settings.caughtUpMessages && !(await send(call, caughtUpResponse()))) return;
    let scanned = 0;
    while (!call.cancelled) {
      const event = events[next];
      if (event !== undefined) {
        next += 1;
        scanned += 1;
        let message: ReadResp | undefined;
        if (passesFilter(request.filter, event)) {
          message = eventResponse(event, { structuredIds: request.structuredIds, fromAll: true });
          checkpoint = event.position;
        } else if (request.filter !== undefined && scanned % request.checkpointEvery === 0) {
          message = checkpointResponse(event.position);
          checkpoint = event.position;
        }
        if (message !== undefined && !(await send(call, message))) return;
        continue;
      }
      if (!live) {
        live = true;
        if (settings.caughtUpMessages) {
          if (request.filter !== undefined && !(await send(call, checkpointResponse(checkpoint)))) return;
          if (!(await send(call, caughtUpResponse()))) return;
        }
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    unlisten();
  }
}

/** Writes with the stream's flow control; false once the call is gone. */
function send(call: ReadCall, message: ReadResp): Promise<boolean> {
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
