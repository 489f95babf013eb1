// How EventStoreDB's failures become the port's errors, each worded for the operator or client who has to act on it.
import {
  AccessDeniedError,
  MaxAppendSizeExceededError,
  NO_STREAM,
  StreamDeletedError as ClientStreamDeletedError,
  UnknownError,
  WrongExpectedVersionError,
  convertToCommandError,
} from '@eventstore/db-client';
import { status } from '@grpc/grpc-js';
import { isUnavailable } from './eventStoreDbMessages.js';
import {
  AppendTooLargeError,
  InvalidPositionError,
  StoreAccessDeniedError,
  StoreUnavailableError,
  StreamDeletedError,
  WrongExpectedRevisionError,
  type ExpectedRevision,
  type Position,
} from './port.js';

/** What the adapter was doing when the server failed it, so the port error can say which stream or position. */
export type Operation =
  | { readonly kind: 'append'; readonly stream: string; readonly expected: ExpectedRevision }
  | { readonly kind: 'read-stream'; readonly stream: string }
  | { readonly kind: 'read-all'; readonly from?: Position | undefined };

/**
 * BatchAppend answers a node that cannot serve with a google.rpc.Status the v6 client does not know, so it reaches us
 * as UnknownError("Could not recognize <message>") (Streams.BatchAppend.cs, ConvertMessage, v24.10.0).
 */
const NODE_CANNOT_SERVE = /Server Is Not Ready|Server Is (Too )?Busy|No leader info available|Leader info available/i;

/**
 * A read of $all from inside a record: subscriptions answer InvalidArgument "Trying to read from an invalid position."
 * (RpcExceptions.InvalidPositionException); 24.10's $all reads answer Unknown "Unexpected ReadAllResult: InvalidPosition"
 * (or FilteredReadAllResult), their enumerators having no case for it.
 */
const INVALID_POSITION = /invalid position|ReadAllResult: InvalidPosition/i;

export function toPortError(error: unknown, where: string, operation: Operation): Error {
  const converted = error instanceof Error ? convertToCommandError(error) : new Error(String(error));
  if (converted instanceof WrongExpectedVersionError && operation.kind === 'append') {
    const actual = converted.actualVersion === NO_STREAM ? 'no-stream' : converted.actualVersion;
    return new WrongExpectedRevisionError(operation.stream, operation.expected, actual);
  }
  if (converted instanceof MaxAppendSizeExceededError && operation.kind === 'append') {
    return new AppendTooLargeError(operation.stream, Number.isFinite(converted.maxAppendSize) ? converted.maxAppendSize : undefined, {
      cause: converted,
    });
  }
  if (converted instanceof ClientStreamDeletedError) {
    const stream = 'stream' in operation ? operation.stream : converted.streamName;
    return new StreamDeletedError(stream, { cause: converted });
  }
  if (converted instanceof AccessDeniedError) return accessDenied(converted, where, operation);
  if (operation.kind === 'read-all' && operation.from !== undefined && isInvalidPosition(converted)) {
    return new InvalidPositionError(operation.from, { cause: converted });
  }
  if (isUnavailable(converted) || (converted instanceof UnknownError && NODE_CANNOT_SERVE.test(converted.message))) {
    return new StoreUnavailableError(`EventStoreDB at ${where} is unavailable: ${converted.message}`, { cause: converted });
  }
  return converted;
}

/**
 * The client reports both a refused user (Unauthenticated) and a user without the right (PermissionDenied) as
 * AccessDeniedError; the gRPC code tells them apart. Reading $all, as every start does, needs `$admins` by the
 * server's default ACL (SystemSettings.Default, LegacyStreamPermissionAssertion).
 */
function accessDenied(error: AccessDeniedError, where: string, operation: Operation): StoreAccessDeniedError {
  const code = (error as { code?: number }).code;
  const refusedUser = code === status.UNAUTHENTICATED;
  const what =
    operation.kind === 'read-all'
      ? 'reading $all'
      : operation.kind === 'append'
        ? `writing ${operation.stream}`
        : `reading ${operation.stream}`;
  const advice = refusedUser
    ? 'the server did not accept the user and password in the connection string (esdb://<user>:<password>@host:2113?tls=true)'
    : operation.kind === 'read-all'
      ? 'reading $all needs a user in the $admins group: put the user and password of a member of $admins in the connection string ' +
        "(esdb://<user>:<password>@host:2113?tls=true), or add the ledger's user to $admins"
      : "the connection string's user lacks the right the stream's ACL asks for; a member of $admins has it";
  return new StoreAccessDeniedError(`EventStoreDB at ${where} denied ${what}: ${advice}`, { cause: error });
}

function isInvalidPosition(error: Error): boolean {
  const code = (error as { code?: number }).code;
  return (
    (code === status.INVALID_ARGUMENT || code === status.UNKNOWN || error instanceof UnknownError) && INVALID_POSITION.test(error.message)
  );
}
