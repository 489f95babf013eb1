// The stand-in's side of EventStoreDB's gRPC messages (streams.proto, shared.proto, as generated inside @eventstore/db-client).
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type { UUID } from '@eventstore/db-client/generated/shared_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { AppendReq, AppendResp, BatchAppendReq, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';
import { status } from '@grpc/grpc-js';
import type { AppendOutcome, ExpectedVersion, LogPosition, ProposedEvent, StoredEvent } from './log.js';
import { RefusedRequest, refused } from './status.js';

export { RefusedRequest };

const Options = streamsPb.ReadReq.Options;

export type Direction = 'forwards' | 'backwards';

/** A server-side filter: on stream name or event type, by literal prefixes or else by a regular expression. */
export interface Filter {
  readonly on: 'stream' | 'event-type';
  readonly prefixes: readonly string[];
  readonly regex: RegExp | undefined;
}

interface ReadCommon {
  readonly structuredIds: boolean;
}

export type ReadRequest =
  | (ReadCommon & { kind: 'stream'; stream: string; from: 'start' | 'end' | bigint; direction: Direction; count: bigint })
  | (ReadCommon & { kind: 'all'; from: 'start' | 'end' | LogPosition; direction: Direction; count: bigint; filter: Filter | undefined })
  | (ReadCommon & { kind: 'subscribe-all'; from: 'start' | 'end' | LogPosition; filter: Filter | undefined; checkpointEvery: number });

/** EventStoreDB's default search window for filtered subscriptions, which the checkpoint interval multiplies. */
const DEFAULT_SEARCH_WINDOW = 32;

export function parseReadRequest(request: ReadReq): ReadRequest {
  const options = request.getOptions();
  if (options === undefined) throw new RefusedRequest(status.INVALID_ARGUMENT, 'read without options');
  const structuredIds = options.getUuidOption()?.getContentCase() === Options.UUIDOption.ContentCase.STRUCTURED;
  const direction: Direction = options.getReadDirection() === Options.ReadDirection.BACKWARDS ? 'backwards' : 'forwards';
  const subscription = options.getCountOptionCase() === Options.CountOptionCase.SUBSCRIPTION;
  const filterOptions = options.getFilter();
  const filter = filterOptions === undefined ? undefined : parseFilter(filterOptions);
  const stream = options.getStream();
  if (stream !== undefined) {
    if (subscription) throw new RefusedRequest(status.UNIMPLEMENTED, 'the stand-in has no subscriptions to a single stream');
    if (filter !== undefined) throw new RefusedRequest(status.INVALID_ARGUMENT, 'a stream read cannot be filtered');
    const name = streamName(stream.getStreamIdentifier()?.getStreamName_asU8());
    const from =
      stream.getRevisionOptionCase() === Options.StreamOptions.RevisionOptionCase.REVISION
        ? BigInt(stream.getRevision())
        : stream.getRevisionOptionCase() === Options.StreamOptions.RevisionOptionCase.END
          ? 'end'
          : 'start';
    return { kind: 'stream', stream: name, from, direction, count: BigInt(options.getCount() || '0'), structuredIds };
  }
  const all = options.getAll();
  if (all === undefined) throw new RefusedRequest(status.INVALID_ARGUMENT, 'read of neither a stream nor $all');
  const position = all.getPosition();
  const from =
    position !== undefined
      ? { commit: BigInt(position.getCommitPosition()), prepare: BigInt(position.getPreparePosition()) }
      : all.getAllOptionCase() === Options.AllOptions.AllOptionCase.END
        ? 'end'
        : 'start';
  if (!subscription) return { kind: 'all', from, direction, count: BigInt(options.getCount() || '0'), filter, structuredIds };
  if (direction === 'backwards') throw new RefusedRequest(status.INVALID_ARGUMENT, 'a subscription reads forwards');
  const window = filterOptions?.getWindowCase() === Options.FilterOptions.WindowCase.MAX ? filterOptions.getMax() : DEFAULT_SEARCH_WINDOW;
  const checkpointEvery = Math.max(1, filterOptions?.getCheckpointintervalmultiplier() ?? 1) * Math.max(1, window);
  return { kind: 'subscribe-all', from, filter, checkpointEvery, structuredIds };
}

function parseFilter(options: ReadReq.Options.FilterOptions): Filter {
  const on = options.getFilterCase() === Options.FilterOptions.FilterCase.EVENT_TYPE ? 'event-type' : 'stream';
  const expression = on === 'event-type' ? options.getEventType() : options.getStreamIdentifier();
  const regex = expression?.getRegex() ?? '';
  return { on, prefixes: expression?.getPrefixList() ?? [], regex: regex === '' ? undefined : new RegExp(regex) };
}

export function passesFilter(filter: Filter | undefined, event: StoredEvent): boolean {
  if (filter === undefined) return true;
  const subject = filter.on === 'stream' ? event.stream : event.type;
  if (filter.prefixes.length > 0) return filter.prefixes.some((prefix) => subject.startsWith(prefix));
  return filter.regex?.test(subject) ?? true;
}

export function parseAppendOptions(options: AppendReq.Options): { stream: string; expected: ExpectedVersion } {
  const stream = streamName(options.getStreamIdentifier()?.getStreamName_asU8());
  const Case = streamsPb.AppendReq.Options.ExpectedStreamRevisionCase;
  switch (options.getExpectedStreamRevisionCase()) {
    case Case.REVISION:
      return { stream, expected: { kind: 'revision', revision: BigInt(options.getRevision()) } };
    case Case.NO_STREAM:
      return { stream, expected: { kind: 'no-stream' } };
    case Case.STREAM_EXISTS:
      return { stream, expected: { kind: 'stream-exists' } };
    default:
      return { stream, expected: { kind: 'any' } };
  }
}

/** The server refuses an event without a type or content type, as EventStoreDB does (missing-required-metadata-property). */
export function parseProposedMessage(message: AppendReq.ProposedMessage | BatchAppendReq.ProposedMessage): ProposedEvent {
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  // Streams.Append.cs: RpcExceptions.RequiredMetadataPropertyMissing for either.
  if (!type) throw refused.missingMetadata('type');
  if (!contentType) throw refused.missingMetadata('content-type');
  return {
    id: uuidText(message.getId()),
    type,
    contentType,
    data: message.getData_asU8(),
    customMetadata: message.getCustomMetadata_asU8(),
  };
}

export function appendResponse(outcome: Exclude<AppendOutcome, { kind: 'stream-deleted' }>, expected: ExpectedVersion): AppendResp {
  const response = new streamsPb.AppendResp();
  if (outcome.kind === 'success') {
    const success = new streamsPb.AppendResp.Success();
    if (outcome.currentRevision === undefined) success.setNoStream(new sharedPb.Empty());
    else success.setCurrentRevision(outcome.currentRevision.toString());
    if (outcome.position === undefined) success.setNoPosition(new sharedPb.Empty());
    else {
      const position = new streamsPb.AppendResp.Position();
      position.setCommitPosition(outcome.position.commit.toString());
      position.setPreparePosition(outcome.position.prepare.toString());
      success.setPosition(position);
    }
    return response.setSuccess(success);
  }
  const wrong = new streamsPb.AppendResp.WrongExpectedVersion();
  if (outcome.currentRevision === undefined) wrong.setCurrentNoStream(new sharedPb.Empty());
  else wrong.setCurrentRevision(outcome.currentRevision.toString());
  if (expected.kind === 'revision') wrong.setExpectedRevision(expected.revision.toString());
  else if (expected.kind === 'no-stream') wrong.setExpectedNoStream(new sharedPb.Empty());
  else if (expected.kind === 'stream-exists') wrong.setExpectedStreamExists(new sharedPb.Empty());
  else wrong.setExpectedAny(new sharedPb.Empty());
  return response.setWrongExpectedVersion(wrong);
}

/** An event as a read answers it; a $all read also carries the commit position on the envelope. */
export function eventResponse(event: StoredEvent, options: { structuredIds: boolean; fromAll: boolean }): ReadResp {
  const recorded = new streamsPb.ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(uuidMessage(event.id, options.structuredIds));
  recorded.setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(event.stream, 'utf8')));
  recorded.setStreamRevision(event.revision.toString());
  recorded.setCommitPosition(event.position.commit.toString());
  recorded.setPreparePosition(event.position.prepare.toString());
  recorded.getMetadataMap().set('type', event.type).set('content-type', event.contentType).set('created', event.created.toString());
  recorded.setData(event.data);
  recorded.setCustomMetadata(event.customMetadata);
  const read = new streamsPb.ReadResp.ReadEvent().setEvent(recorded);
  if (options.fromAll) read.setCommitPosition(event.position.commit.toString());
  else read.setNoPosition(new sharedPb.Empty());
  return new streamsPb.ReadResp().setEvent(read);
}

export function streamNotFoundResponse(stream: string): ReadResp {
  const identifier = new sharedPb.StreamIdentifier().setStreamName(Buffer.from(stream, 'utf8'));
  return new streamsPb.ReadResp().setStreamNotFound(new streamsPb.ReadResp.StreamNotFound().setStreamIdentifier(identifier));
}

export function confirmationResponse(subscriptionId: string): ReadResp {
  return new streamsPb.ReadResp().setConfirmation(new streamsPb.ReadResp.SubscriptionConfirmation().setSubscriptionId(subscriptionId));
}

export function checkpointResponse(position: LogPosition): ReadResp {
  const checkpoint = new streamsPb.ReadResp.Checkpoint();
  checkpoint.setCommitPosition(position.commit.toString()).setPreparePosition(position.prepare.toString());
  return new streamsPb.ReadResp().setCheckpoint(checkpoint);
}

export function caughtUpResponse(): ReadResp {
  return new streamsPb.ReadResp().setCaughtUp(new streamsPb.ReadResp.CaughtUp());
}

export function streamName(bytes: Uint8Array | undefined): string {
  const name = bytes === undefined ? '' : Buffer.from(bytes).toString('utf8');
  if (name === '') throw new RefusedRequest(status.INVALID_ARGUMENT, 'a stream name is required');
  return name;
}

/** UUIDs travel as text, or as two 64-bit halves (most significant first) when the client asks for structured ids. */
function uuidText(message: UUID | undefined): string {
  if (message === undefined) throw new RefusedRequest(status.INVALID_ARGUMENT, 'an event needs an id');
  const structured = message.getStructured();
  if (structured === undefined) return message.getString();
  const bytes = Buffer.alloc(16);
  bytes.writeBigInt64BE(BigInt(structured.getMostSignificantBits()), 0);
  bytes.writeBigInt64BE(BigInt(structured.getLeastSignificantBits()), 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function uuidMessage(id: string, structured: boolean): UUID {
  const message = new sharedPb.UUID();
  if (!structured) return message.setString(id);
  const bytes = Buffer.from(id.replaceAll('-', ''), 'hex');
  const halves = new sharedPb.UUID.Structured()
    .setMostSignificantBits(bytes.readBigInt64BE(0).toString())
    .setLeastSignificantBits(bytes.readBigInt64BE(8).toString());
  return message.setStructured(halves);
}
