// Streams.Append, Streams.BatchAppend, Streams.Delete and Streams.Tombstone on the stand-in, each as EventStoreDB
// v24.10.0 serves it (src/EventStore.Core/Services/Transport/Grpc/Streams.Append.cs, Streams.BatchAppend.cs,
// Streams.Delete.cs).
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type { UUID } from '@eventstore/db-client/generated/shared_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  DeleteReq,
  DeleteResp,
  TombstoneReq,
  TombstoneResp,
} from '@eventstore/db-client/generated/streams_pb.js';
import { status, type ServerDuplexStream, type ServerReadableStream } from '@grpc/grpc-js';
import { assertAllowed, type Principal } from './access.js';
import type { ExpectedVersion, LogPosition, ProposedEvent, TransactionLog } from './log.js';
import { batchStatus, refused, RefusedRequest, serviceError, type Refusal } from './status.js';
import { appendResponse, parseAppendOptions, parseProposedMessage, streamName } from './wire.js';

/** ClusterVNodeOptions.Database.WriteTimeoutMs: BatchAppend waits no longer than this, whatever the client's deadline. */
const WRITE_TIMEOUT_MS = 2_000;

export interface WriteContext {
  readonly log: TransactionLog;
  readonly maxAppendSize: number;
  /** Undefined when the stand-in runs without users (insecure). */
  readonly principal: Principal | undefined;
  readonly refusal: Refusal | undefined;
  /** Counts one append request served (a call of Append, a correlation id of BatchAppend). */
  readonly served: () => void;
}

/**
 * Event.SizeOnDisk as 24.10 computes it: `data?.Length ?? 0 + metadata?.Length ?? 0 + eventType.Length * 2`, which C#
 * groups as `data?.Length ?? (...)`, so only the data counts (src/EventStore.Core/Data/Event.cs).
 */
function sizeOnDisk(event: ProposedEvent): number {
  return event.data.length;
}

/** Client-streaming: options first, then the events; written only once the whole request is in, so a cut call writes nothing. */
export function serveAppend(context: WriteContext, call: ServerReadableStream<AppendReq, AppendResp>): Promise<AppendResp> {
  return new Promise((resolve, reject) => {
    let target: { stream: string; expected: ExpectedVersion } | undefined;
    const proposed: ProposedEvent[] = [];
    let size = 0;
    let settled = false;
    const refuse = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    call.on('data', (request: AppendReq) => {
      if (settled) return;
      try {
        const options = request.getOptions();
        if (options !== undefined) {
          target = parseAppendOptions(options);
          if (context.principal !== undefined) assertAllowed(context.principal, 'write', target.stream);
          return;
        }
        const message = request.getProposedMessage();
        if (message === undefined || target === undefined)
          throw new RefusedRequest(status.INVALID_ARGUMENT, 'an append starts with its options');
        const event = parseProposedMessage(message);
        size += sizeOnDisk(event);
        if (size > context.maxAppendSize) throw refused.maxAppendSize(context.maxAppendSize);
        proposed.push(event);
      } catch (error) {
        refuse(error);
      }
    });
    call.on('end', () => {
      if (settled) return;
      if (target === undefined) return refuse(new RefusedRequest(status.INVALID_ARGUMENT, 'an append without options'));
      if (context.refusal !== undefined) return refuse(refused.node(context.refusal));
      const outcome = context.log.append(target.stream, proposed, target.expected);
      if (outcome.kind === 'stream-deleted') return refuse(refused.streamDeleted(target.stream));
      settled = true;
      context.served();
      resolve(appendResponse(outcome, target.expected));
    });
    call.on('error', () => (settled = true));
  });
}

interface PendingWrite {
  readonly correlationId: UUID;
  readonly stream: string;
  readonly expected: ExpectedVersion;
  readonly events: ProposedEvent[];
  size: number;
  readonly timer: NodeJS.Timeout;
}

/**
 * Two-way: each request carries a correlation id; the first of a write carries its options (stream, expected revision,
 * deadline), later ones more events, the last `is_final`. Every answer carries the correlation id and the stream, and
 * either Success or a google.rpc.Status error; the call itself fails only for NotLeader. Writes of one call may
 * interleave. A write not finished by min(deadline, WriteTimeout) is answered Timeout; a deadline already past is
 * refused at once. When the client ends its side, the server ends the call.
 */
export function serveBatchAppend(context: WriteContext, call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
  const pending = new Map<string, PendingWrite>();
  let failed = false;
  const answer = (
    correlationId: UUID | undefined,
    stream: string | undefined,
    result: { error: ReturnType<typeof batchStatus.timeout> } | { success: BatchAppendResp.Success },
  ) => {
    if (failed || call.cancelled || call.destroyed) return;
    const response = new streamsPb.BatchAppendResp();
    if (correlationId !== undefined) response.setCorrelationId(correlationId);
    if (stream !== undefined) response.setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(stream, 'utf8')));
    if ('error' in result) response.setError(result.error);
    else response.setSuccess(result.success);
    call.write(response);
  };
  const forget = (key: string): PendingWrite | undefined => {
    const write = pending.get(key);
    if (write !== undefined) clearTimeout(write.timer);
    pending.delete(key);
    return write;
  };
  call.on('data', (request: BatchAppendReq) => {
    if (failed) return;
    const correlationId = request.getCorrelationId();
    const key = correlationId === undefined ? '' : uuidKey(correlationId);
    const options = request.getOptions();
    let stream: string | undefined;
    try {
      if (options !== undefined) {
        stream = streamName(options.getStreamIdentifier()?.getStreamName_asU8());
        if (context.principal !== undefined) {
          try {
            assertAllowed(context.principal, 'write', stream);
          } catch {
            return answer(correlationId, stream, { error: batchStatus.accessDenied() });
          }
        }
        // Streams.BatchAppend.cs GetRequestedTimeout: the absolute deadline_21_10_0 Timestamp the v6 client sends.
        const deadline = options.getDeadline()?.toDate().getTime() ?? Infinity;
        const timeout = Math.min(deadline - Date.now(), WRITE_TIMEOUT_MS);
        if (timeout <= 0) return answer(correlationId, stream, { error: batchStatus.timeout() });
        if (!pending.has(key)) {
          const timer = setTimeout(() => {
            const write = forget(key);
            if (write !== undefined) answer(write.correlationId, write.stream, { error: batchStatus.timeout() });
          }, timeout).unref();
          pending.set(key, { correlationId: correlationId!, stream, expected: batchExpected(options), events: [], size: 0, timer });
        }
      }
      const write = pending.get(key);
      if (write === undefined) return;
      stream = write.stream;
      for (const message of request.getProposedMessagesList()) {
        const event = parseProposedMessage(message);
        write.events.push(event);
        write.size += sizeOnDisk(event);
      }
      if (write.size > context.maxAppendSize) {
        forget(key);
        answer(correlationId, write.stream, { error: batchStatus.maxAppendSize(context.maxAppendSize) });
      }
      if (!request.getIsFinal() || forget(key) === undefined) return;
      if (context.refusal?.kind === 'not-leader') {
        // ConvertMessage throws RpcExceptions.LeaderInfo, which completes the whole response stream with it.
        failed = true;
        const error = refused.node(context.refusal);
        call.emit('error', serviceError(error));
        return;
      }
      if (context.refusal !== undefined) {
        return answer(correlationId, write.stream, {
          error: batchStatus.notHandled(context.refusal.kind === 'not-ready' ? 'Server Is Not Ready' : 'Server Is Busy'),
        });
      }
      const outcome = context.log.append(write.stream, write.events, write.expected);
      context.served();
      if (outcome.kind === 'stream-deleted') return answer(correlationId, write.stream, { error: batchStatus.streamDeleted(write.stream) });
      if (outcome.kind === 'wrong-expected-version')
        return answer(correlationId, write.stream, { error: batchStatus.wrongExpectedVersion(outcome.currentRevision, write.expected) });
      answer(correlationId, write.stream, { success: batchSuccess(outcome.currentRevision, outcome.position) });
    } catch (error) {
      forget(key);
      answer(correlationId, stream, { error: batchStatus.badRequest(error instanceof Error ? error.message : String(error)) });
    }
  });
  call.on('end', () => {
    for (const key of [...pending.keys()]) forget(key);
    if (!failed && !call.cancelled && !call.destroyed) call.end();
  });
  call.on('cancelled', () => {
    for (const key of [...pending.keys()]) forget(key);
  });
}

/** Streams.Delete (soft) and Streams.Tombstone (hard): errors as exceptions, the delete record's position on success. */
export function serveDelete(context: WriteContext, request: DeleteReq | TombstoneReq, hard: boolean): DeleteResp | TombstoneResp {
  const options = request.getOptions();
  const stream = streamName(options?.getStreamIdentifier()?.getStreamName_asU8());
  if (context.principal !== undefined) assertAllowed(context.principal, 'delete', stream);
  const Case = streamsPb.DeleteReq.Options.ExpectedStreamRevisionCase;
  const kind = options?.getExpectedStreamRevisionCase();
  const expected: ExpectedVersion =
    kind === Case.REVISION
      ? { kind: 'revision', revision: BigInt(options!.getRevision()) }
      : kind === Case.NO_STREAM
        ? { kind: 'no-stream' }
        : kind === Case.STREAM_EXISTS
          ? { kind: 'stream-exists' }
          : { kind: 'any' };
  if (context.refusal !== undefined) throw refused.node(context.refusal);
  const outcome = context.log.delete(stream, expected, hard);
  if (outcome.kind === 'stream-deleted') throw refused.streamDeleted(stream);
  if (outcome.kind === 'wrong-expected-version') throw refused.wrongExpectedVersion('Delete', stream, expected, outcome.currentRevision);
  const response = hard ? new streamsPb.TombstoneResp() : new streamsPb.DeleteResp();
  const position = hard ? new streamsPb.TombstoneResp.Position() : new streamsPb.DeleteResp.Position();
  position.setCommitPosition(outcome.position.commit.toString()).setPreparePosition(outcome.position.prepare.toString());
  return response.setPosition(position);
}

function batchExpected(options: BatchAppendReq.Options): ExpectedVersion {
  const Case = streamsPb.BatchAppendReq.Options.ExpectedStreamPositionCase;
  switch (options.getExpectedStreamPositionCase()) {
    case Case.STREAM_POSITION:
      return { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
    case Case.NO_STREAM:
      return { kind: 'no-stream' };
    case Case.STREAM_EXISTS:
      return { kind: 'stream-exists' };
    case Case.ANY:
      return { kind: 'any' };
    default:
      // FromOptions: RpcExceptions.InvalidArgument(options.ExpectedStreamPositionCase), answered as BadRequest.
      throw new Error(`'${options.getExpectedStreamPositionCase()}' is not a valid ExpectedStreamPositionOneofCase`);
  }
}

/** BatchAppendResp.Success.Completed(commitPosition, preparePosition, lastEventNumber). */
function batchSuccess(currentRevision: bigint | undefined, position: LogPosition | undefined): BatchAppendResp.Success {
  const success = new streamsPb.BatchAppendResp.Success();
  if (currentRevision === undefined) success.setNoStream(new sharedPb.Empty());
  else success.setCurrentRevision(currentRevision.toString());
  if (position === undefined) success.setNoPosition(new sharedPb.Empty());
  else
    success.setPosition(
      new sharedPb.AllStreamPosition().setCommitPosition(position.commit.toString()).setPreparePosition(position.prepare.toString()),
    );
  return success;
}

function uuidKey(uuid: UUID): string {
  const structured = uuid.getStructured();
  return structured === undefined ? uuid.getString() : `${structured.getMostSignificantBits()}:${structured.getLeastSignificantBits()}`;
}
