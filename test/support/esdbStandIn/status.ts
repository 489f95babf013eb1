// The errors the stand-in answers, as the server words them: call-level errors as gRPC status with `exception` metadata
// (src/EventStore.Core/Services/Transport/Grpc/RpcExceptions.cs), and BatchAppend's per-request errors as
// google.rpc.Status with a packed detail (src/EventStore.Core/Services/Transport/Grpc/Status.cs), EventStoreDB v24.10.0.
import codePb from '@eventstore/db-client/generated/code_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import statusPb from '@eventstore/db-client/generated/status_pb.js';
import type { Status } from '@eventstore/db-client/generated/status_pb.js';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import anyPb from 'google-protobuf/google/protobuf/any_pb.js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import type { ExpectedVersion } from './log.js';

/** A call the stand-in fails, with the status and the `exception` metadata the client reads. */
export class RefusedRequest extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly metadata: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** The status a call ends with: a refusal as the server words it, anything else as an internal error. */
export function serviceError(error: unknown): Partial<ServiceError> {
  if (!(error instanceof RefusedRequest)) return { code: status.INTERNAL, details: String(error) };
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(error.metadata)) metadata.set(key, value);
  return { code: error.code, details: error.message, metadata };
}

/** How a node that cannot serve answers every call (RpcExceptions.ServerNotReady, ServerBusy, LeaderInfo). */
export type Refusal =
  | { readonly kind: 'not-ready' }
  | { readonly kind: 'too-busy' }
  | { readonly kind: 'not-leader'; readonly host: string; readonly port: number };

export const refused = {
  accessDenied: () => new RefusedRequest(status.PERMISSION_DENIED, 'Access Denied', { exception: 'access-denied' }),
  streamDeleted: (stream: string) =>
    new RefusedRequest(status.FAILED_PRECONDITION, `Event stream '${stream}' is deleted.`, {
      exception: 'stream-deleted',
      'stream-name': stream,
    }),
  maxAppendSize: (max: number) =>
    new RefusedRequest(status.INVALID_ARGUMENT, `Maximum Append Size of ${max} Exceeded.`, {
      exception: 'maximum-append-size-exceeded',
      'maximum-append-size': String(max),
    }),
  missingMetadata: (property: string) =>
    new RefusedRequest(status.INVALID_ARGUMENT, `Required Metadata Property '${property}' is missing`, {
      exception: 'missing-required-metadata-property',
      'required-metadata-properties': 'type,content-type',
    }),
  /** RpcExceptions.WrongExpectedVersion, as Delete and Tombstone answer it (Append answers in its response instead). */
  wrongExpectedVersion: (operation: string, stream: string, expected: ExpectedVersion, actual: bigint | undefined) =>
    new RefusedRequest(
      status.FAILED_PRECONDITION,
      `${operation} failed due to WrongExpectedVersion. Stream: ${stream}, Expected version: ${expectedNumber(expected)}, Actual version: ${actual ?? -1n}`,
      {
        exception: 'wrong-expected-version',
        'stream-name': stream,
        'expected-version': String(expectedNumber(expected)),
        'actual-version': actual === undefined ? '-1' : String(actual),
      },
    ),
  /** Reads of $all from a position inside a record: ReadAllResult.InvalidPosition reaches the read enumerators'
   * `default:` branch, so 24.10 answers it as an unknown error (Enumerator.ReadAllForwards(Filtered).cs, Backwards too). */
  readFromInvalidPosition: (filtered: boolean) =>
    new RefusedRequest(status.UNKNOWN, `Unexpected ${filtered ? 'FilteredReadAllResult' : 'ReadAllResult'}: InvalidPosition`),
  /** Subscriptions name it (Enumerator.AllSubscription(Filtered).cs throw ReadResponseException.InvalidPosition). */
  subscribeFromInvalidPosition: () => new RefusedRequest(status.INVALID_ARGUMENT, 'Trying to read from an invalid position.'),
  node: (refusal: Refusal) => {
    switch (refusal.kind) {
      case 'not-ready':
        return new RefusedRequest(status.UNAVAILABLE, 'Server Is Not Ready');
      case 'too-busy':
        return new RefusedRequest(status.UNAVAILABLE, 'Server Is Too Busy');
      case 'not-leader':
        return new RefusedRequest(status.NOT_FOUND, 'Leader info available', {
          exception: 'not-leader',
          'leader-endpoint-host': refusal.host,
          'leader-endpoint-port': String(refusal.port),
        });
    }
  },
};

/** ExpectedVersion's long form: -2 any, -1 no stream, -4 stream exists. */
function expectedNumber(expected: ExpectedVersion): bigint {
  if (expected.kind === 'revision') return expected.revision;
  return expected.kind === 'any' ? -2n : expected.kind === 'no-stream' ? -1n : -4n;
}

function packed(code: number, message: string, detail: { serializeBinary(): Uint8Array }, typeName: string): Status {
  const details = new anyPb.Any();
  details.pack(detail.serializeBinary(), typeName);
  return new statusPb.Status().setCode(code).setMessage(message).setDetails(details);
}

/** BatchAppend's errors, Google.Rpc.Status as the server's Status.cs builds them. */
export const batchStatus = {
  wrongExpectedVersion: (current: bigint | undefined, expected: ExpectedVersion) => {
    const detail = new sharedPb.WrongExpectedVersion();
    if (current === undefined) detail.setCurrentNoStream(new emptyPb.Empty());
    else detail.setCurrentStreamRevision(current.toString());
    if (expected.kind === 'revision') detail.setExpectedStreamPosition(expected.revision.toString());
    else if (expected.kind === 'no-stream') detail.setExpectedNoStream(new emptyPb.Empty());
    else if (expected.kind === 'stream-exists') detail.setExpectedStreamExists(new emptyPb.Empty());
    else detail.setExpectedAny(new emptyPb.Empty());
    return packed(codePb.Code.ALREADY_EXISTS, 'WrongExpectedVersion', detail, 'event_store.client.WrongExpectedVersion');
  },
  streamDeleted: (stream: string) => {
    const detail = new sharedPb.StreamDeleted().setStreamIdentifier(
      new sharedPb.StreamIdentifier().setStreamName(Buffer.from(stream, 'utf8')),
    );
    return packed(codePb.Code.NOT_FOUND, 'StreamDeleted', detail, 'event_store.client.StreamDeleted');
  },
  accessDenied: () => packed(codePb.Code.PERMISSION_DENIED, 'AccessDenied', new sharedPb.AccessDenied(), 'event_store.client.AccessDenied'),
  timeout: () => packed(codePb.Code.DEADLINE_EXCEEDED, 'Timeout', new sharedPb.Timeout(), 'event_store.client.Timeout'),
  maxAppendSize: (max: number) =>
    packed(
      codePb.Code.INVALID_ARGUMENT,
      'MaximumAppendSizeExceeded',
      new sharedPb.MaximumAppendSizeExceeded().setMaxappendsize(max),
      'event_store.client.MaximumAppendSizeExceeded',
    ),
  badRequest: (message: string) =>
    packed(codePb.Code.INVALID_ARGUMENT, 'BadRequest', new sharedPb.BadRequest().setMessage(message), 'event_store.client.BadRequest'),
  /** ClientMessage.NotHandled for NotReady / TooBusy: an Empty detail, no code, and the reason as the message. */
  notHandled: (message: string) => packed(codePb.Code.OK, message, new emptyPb.Empty(), 'google.protobuf.Empty'),
};
