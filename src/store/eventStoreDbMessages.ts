// EventStoreDB's read protocol as the adapter uses it: the requests it sends, and the messages and events it gets back.
import {
  CancelledError,
  DeadlineExceededError,
  NotLeaderError,
  TimeoutError,
  UnavailableError,
  convertToCommandError,
} from '@eventstore/db-client';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type { UUID } from '@eventstore/db-client/generated/shared_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { StoreUnavailableError, type EventFilter, type Position, type RecordedEvent } from './port.js';

export type ReadCall = ClientReadableStream<ReadResp>;
export type RecordedEventMessage = ReadResp.ReadEvent.RecordedEvent;

/** One read: of a stream from a revision, or of $all from a position filtered on the server by stream-name prefix. */
export type Read = (
  | { readonly stream: string; readonly from: bigint | 'end' }
  | { readonly prefixes: readonly string[]; readonly from: Position | 'start' | 'end' }
) & {
  readonly direction: 'forwards' | 'backwards';
  /** How many events at most; a $all read without a count is a subscription. */
  readonly count?: bigint;
};

/** What a read or subscription answers, in the order the server sent it. */
export type ReadMessage =
  | { readonly kind: 'event'; readonly position: Position; readonly type: string; readonly record: RecordedEventMessage }
  | { readonly kind: 'checkpoint'; readonly position: Position }
  | { readonly kind: 'confirmation' }
  | { readonly kind: 'caught-up' }
  | { readonly kind: 'stream-not-found' };

/** Messages of a read in order; converts gRPC errors to the client's typed errors and cancels the call when left early. */
export async function* readMessages(call: ReadCall): AsyncGenerator<ReadMessage> {
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

export function toReadMessage(response: ReadResp): ReadMessage | undefined {
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
      return {
        kind: 'checkpoint',
        position: { commit: BigInt(checkpoint.getCommitPosition()), prepare: BigInt(checkpoint.getPreparePosition()) },
      };
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

export function readRequest(read: Read): ReadReq {
  const Options = streamsPb.ReadReq.Options;
  const options = new Options()
    .setReadDirection(read.direction === 'forwards' ? Options.ReadDirection.FORWARDS : Options.ReadDirection.BACKWARDS)
    .setResolveLinks(false)
    .setUuidOption(new Options.UUIDOption().setString(new sharedPb.Empty()));
  if (read.count === undefined) options.setSubscription(new Options.SubscriptionOptions());
  else options.setCount(read.count.toString());
  if ('stream' in read) {
    const stream = new Options.StreamOptions().setStreamIdentifier(
      new sharedPb.StreamIdentifier().setStreamName(Buffer.from(read.stream, 'utf8')),
    );
    if (read.from === 'end') stream.setEnd(new sharedPb.Empty());
    else stream.setRevision(read.from.toString());
    return new streamsPb.ReadReq().setOptions(options.setStream(stream).setNoFilter(new sharedPb.Empty()));
  }
  const all = new Options.AllOptions();
  if (read.from === 'start') all.setStart(new sharedPb.Empty());
  else if (read.from === 'end') all.setEnd(new sharedPb.Empty());
  else
    all.setPosition(new Options.Position().setCommitPosition(read.from.commit.toString()).setPreparePosition(read.from.prepare.toString()));
  const filter = new Options.FilterOptions()
    .setStreamIdentifier(new Options.FilterOptions.Expression().setPrefixList([...read.prefixes]))
    .setCount(new sharedPb.Empty())
    .setCheckpointintervalmultiplier(1);
  return new streamsPb.ReadReq().setOptions(options.setAll(all).setFilter(filter));
}

export function toRecordedEvent(record: RecordedEventMessage): RecordedEvent {
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

/**
 * Errors that mean the server could not be reached, answer in time, or serve (a follower, a node not ready): retried,
 * never a verdict on the request. The port's own StoreUnavailableError too, as the store's reads already convert.
 */
export function isUnavailable(error: unknown): boolean {
  return [UnavailableError, DeadlineExceededError, CancelledError, TimeoutError, NotLeaderError, StoreUnavailableError].some(
    (type) => error instanceof type,
  );
}

/** The server filters by stream name only (it cannot combine stream and type); types are checked here, as the port says. */
export function passesTypes(filter: EventFilter | undefined, type: string): boolean {
  const types = filter?.eventTypes ?? [];
  return types.length > 0 ? types.includes(type) : !type.startsWith('$');
}
