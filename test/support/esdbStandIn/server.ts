// A test-only stand-in for EventStoreDB 24.10: the Streams and ServerFeatures services of its gRPC API on @grpc/grpc-js,
// over an in-memory log, served from the service definitions shipped inside @eventstore/db-client so the real client
// talks to it over real gRPC. Each behaviour follows the server's source at v24.10.0 (kurrent-io/KurrentDB), cited
// beside it. Never imported from src/: the product only ever talks to a real EventStoreDB, and passing against this
// stand-in is no substitute for the contract suite against a real server.
//
// Options of startStandIn (all optional):
// - port: fixed port on 127.0.0.1 (default: a free one).
// - serverFeatures (default true): answer ServerFeatures.GetSupportedMethods as 24.10 does, so the client appends through
//   BatchAppend; false leaves the service out (UNIMPLEMENTED), and the client falls back to Append.
// - caughtUpMessages (default true): CaughtUp, and a filtered subscription's checkpoint at the end of its catch-up, as
//   from 24.2; false behaves like older servers.
// - maxAppendSize (default 1 MiB, the server's MaxAppendSize): bytes of event data one append may carry; over it, Append
//   fails with InvalidArgument / `maximum-append-size-exceeded` and BatchAppend answers MaximumAppendSizeExceeded, which
//   the client raises as MaxAppendSizeExceededError.
// - committedEventsBytes (default 8 MiB): the window of recent event ids that make 'any' / 'stream-exists' retries
//   idempotent (ignored when `log` is given; pass it to the TransactionLog instead).
// - refusal: answer every call as a node that cannot serve it: { kind: 'not-leader', host, port } (NotFound with
//   `not-leader` and the leader's endpoint: the client's NotLeaderError), { kind: 'not-ready' } or { kind: 'too-busy' }
//   (Unavailable: UnavailableError; BatchAppend answers these inside its stream, so the client raises UnknownError).
//   `standIn.refuse(...)` changes it while running; undefined serves again.
// - secure: { certFile, keyFile, users? }: TLS with that certificate, basic credentials checked against `users`
//   (default admin/changeit in $admins, ops/changeit in $ops), anonymous calls denied, $all and system streams for
//   $admins only. The connection string then carries `tls=true&tlsCAFile=<certFile>`.
// - log: serve this log instead of a fresh one (a second endpoint onto the same database).
import { readFileSync } from 'node:fs';
import serverFeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import type { SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb.js';
import type { Empty } from '@eventstore/db-client/generated/shared_pb.js';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb.js';
import type {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  DeleteReq,
  DeleteResp,
  ReadReq,
  ReadResp,
  TombstoneReq,
  TombstoneResp,
} from '@eventstore/db-client/generated/streams_pb.js';
import {
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { assertAllowed, authenticate, DEFAULT_USERS, type Principal, type StandInUser } from './access.js';
import { TransactionLog } from './log.js';
import { supportedMethods } from './serverFeatures.js';
import { refused, serviceError, type Refusal } from './status.js';
import { serveRead } from './streamsRead.js';
import { serveAppend, serveBatchAppend, serveDelete, type WriteContext } from './streamsWrite.js';
import { parseReadRequest } from './wire.js';

export type { Refusal } from './status.js';
export type { StandInUser } from './access.js';

export interface StandInOptions {
  readonly port?: number;
  readonly serverFeatures?: boolean;
  readonly caughtUpMessages?: boolean;
  readonly maxAppendSize?: number;
  readonly committedEventsBytes?: number;
  readonly refusal?: Refusal;
  readonly secure?: { readonly certFile: string; readonly keyFile: string; readonly users?: Readonly<Record<string, StandInUser>> };
  readonly log?: TransactionLog;
}

export type Rpc = 'getSupportedMethods' | 'read' | 'append' | 'batchAppend' | 'delete' | 'tombstone';

export interface StandIn {
  /** For the real client: `esdb://127.0.0.1:<port>?tls=false`, or with `tls=true&tlsCAFile=...` when secure. */
  readonly connectionString: string;
  /** The in-memory log, for assertions on what the server holds. */
  readonly log: TransactionLog;
  /** gRPC calls received, per RPC. */
  readonly calls: Readonly<Record<Rpc, number>>;
  /** Appends written or recognised, per RPC that served them (one BatchAppend call serves many). */
  readonly appendsServed: Readonly<Record<'append' | 'batchAppend', number>>;
  /** From now on answer every call as a node that cannot serve it, or serve again (undefined). */
  refuse(refusal: Refusal | undefined): void;
  /** The server goes away: the port closes and every open call is cut. The log is kept. */
  stop(): Promise<void>;
  /** The server comes back on the same port, with the same log. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** ClusterVNodeOptions.Database.MaxAppendSize (src/EventStore.Core/Configuration/ClusterVNodeOptions.cs). */
export const DEFAULT_MAX_APPEND_SIZE = 1_048_576;

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const log = options.log ?? new TransactionLog({ committedEventsBytes: options.committedEventsBytes });
  const settings = { caughtUpMessages: options.caughtUpMessages ?? true };
  const maxAppendSize = options.maxAppendSize ?? DEFAULT_MAX_APPEND_SIZE;
  const users = options.secure?.users ?? DEFAULT_USERS;
  const credentials = options.secure
    ? ServerCredentials.createSsl(
        null,
        [{ private_key: readFileSync(options.secure.keyFile), cert_chain: readFileSync(options.secure.certFile) }],
        false,
      )
    : ServerCredentials.createInsecure();
  const calls: Record<Rpc, number> = { getSupportedMethods: 0, read: 0, append: 0, batchAppend: 0, delete: 0, tombstone: 0 };
  const appendsServed = { append: 0, batchAppend: 0 };
  let refusal = options.refusal;
  let port = options.port ?? 0;
  let server: Server | undefined;

  /** Who is calling, in secure mode; bad credentials fail the call before it is served (AuthenticationMiddleware). */
  const principalOf = (call: { metadata: ServerUnaryCall<unknown, unknown>['metadata'] }): Principal | undefined =>
    options.secure ? authenticate(call.metadata, users) : undefined;
  const writeContext = (principal: Principal | undefined, rpc: 'append' | 'batchAppend'): WriteContext => ({
    log,
    maxAppendSize,
    principal,
    refusal,
    served: () => (appendsServed[rpc] += 1),
  });
  const unary =
    <Req, Res>(rpc: Rpc, handle: (call: ServerUnaryCall<Req, Res>) => Res) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      calls[rpc] += 1;
      try {
        callback(null, handle(call));
      } catch (error) {
        callback(serviceError(error));
      }
    };

  const streams = {
    read: (call: ServerWritableStream<ReadReq, ReadResp>) => {
      calls.read += 1;
      void (async () => {
        const request = parseReadRequest(call.request);
        const principal = principalOf(call);
        if (principal !== undefined) assertAllowed(principal, 'read', request.kind === 'stream' ? request.stream : '$all');
        if (refusal !== undefined) throw refused.node(refusal);
        await serveRead(log, call, request, settings);
      })().catch((error: unknown) => call.emit('error', serviceError(error)));
    },
    append: (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) => {
      calls.append += 1;
      let principal: Principal | undefined;
      try {
        principal = principalOf(call);
      } catch (error) {
        return callback(serviceError(error));
      }
      serveAppend(writeContext(principal, 'append'), call).then(
        (response) => callback(null, response),
        (error: unknown) => callback(serviceError(error)),
      );
    },
    batchAppend: (call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => {
      calls.batchAppend += 1;
      let principal: Principal | undefined;
      try {
        principal = principalOf(call);
      } catch (error) {
        return void call.emit('error', serviceError(error));
      }
      // The refusal is read per request, so refuse() reaches a BatchAppend call the client keeps open.
      serveBatchAppend(
        {
          ...writeContext(principal, 'batchAppend'),
          get refusal() {
            return refusal;
          },
        },
        call,
      );
    },
    delete: unary<DeleteReq, DeleteResp>('delete', (call) =>
      serveDelete({ ...writeContext(principalOf(call), 'append') }, call.request, false),
    ),
    tombstone: unary<TombstoneReq, TombstoneResp>('tombstone', (call) =>
      serveDelete({ ...writeContext(principalOf(call), 'append') }, call.request, true),
    ),
  } satisfies UntypedServiceImplementation;

  const start = async (): Promise<void> => {
    if (server !== undefined) return;
    const next = new Server();
    next.addService(StreamsService, streams);
    if (options.serverFeatures ?? true) {
      next.addService(serverFeaturesGrpc.ServerFeaturesService, {
        getSupportedMethods: unary<Empty, SupportedMethods>('getSupportedMethods', () => supportedMethods()),
      } satisfies UntypedServiceImplementation);
    }
    port = await bind(next, port, credentials);
    server = next;
  };
  const stop = async (): Promise<void> => {
    server?.forceShutdown();
    server = undefined;
  };

  await start();
  const query = options.secure ? `tls=true&tlsCAFile=${options.secure.certFile}` : 'tls=false';
  return {
    connectionString: `esdb://127.0.0.1:${port}?${query}`,
    log,
    calls,
    appendsServed,
    refuse: (next) => void (refusal = next),
    start,
    stop,
    close: stop,
  };
}

async function bind(server: Server, port: number, credentials: ServerCredentials): Promise<number> {
  // Right after a stop the port may still be closing; a few short retries cover that.
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await new Promise<number>((resolve, reject) =>
        server.bindAsync(`127.0.0.1:${port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
      );
    } catch (error) {
      if (port === 0 || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
